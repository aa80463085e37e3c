import { stat } from 'node:fs/promises';
import { BenchVerifyError } from '../errors.js';
import type { ToolSide } from '../tool-side.js';

/** Image manifest media types a registry may answer with. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** The tool's store holds `ref` as an image (`inspect --type image` succeeds). */
export async function expectImage(tool: ToolSide, ref: string): Promise<void> {
  await tool.run(['inspect', '--type', 'image', ref]);
}

/** The registry at `host` serves a manifest for `repo:tag`. */
export async function expectManifest(host: string, repo: string, tag: string): Promise<void> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT } }).catch(
    (e: Error) => ({ status: 0, statusText: e.message }),
  );
  if (r.status !== 200) throw new BenchVerifyError(`verify push ${host}/${repo}:${tag}: registry answered ${r.status} ${r.statusText}`);
}

/** `path` (a mount point a tool printed) is an existing directory. */
export async function expectDirectory(path: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s?.isDirectory()) throw new BenchVerifyError(`verify mount: "${path}" is not a directory`);
}
