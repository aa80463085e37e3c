import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder } from '../test/support/trowel.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';

const test = suite('commit to a location (registry, archive), --unsetenv, --manifest');
const t = new TrowelSandbox();
let reg: TestRegistry;
let c: string;

function imageIds(): string[] {
  return t.ok(['images', '-q', '--no-trunc']).split('\n').filter(Boolean).map((i) => i.replace(/^sha256:/, '')).sort();
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test.before(async () => {
  reg = await startRegistry();
  c = t.ok(['from', 'scratch']);
  writeFileSync(join(t.root, 'payload'), 'committed elsewhere\n');
  t.ok(['copy', c, join(t.root, 'payload'), '/payload']);
  t.ok(['config', '--env', 'KEEP=1', '--env', 'DROP=2', c]);
});

test.after(async () => {
  await reg?.stop();
  t.cleanup();
});

test('commit to oci-archive: writes the image there, uncompressed as committed, and keeps nothing locally', async () => {
  const before = imageIds();
  const archive = join(t.root, 'out.tar');
  const id = t.ok(['commit', '-q', c, `oci-archive:${archive}:app`]);
  assert.match(id, /^[0-9a-f]{64}$/);
  const manifest = JSON.parse(await skopeo(['inspect', '--raw', `oci-archive:${archive}:app`]));
  assert.equal(manifest.layers.map((l: { mediaType: string }) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar']);
  assert.is(manifest.config.digest, `sha256:${id}`);
  assert.equal(imageIds(), before, 'the store holds no new image');
});

test('commit to docker:// with --unsetenv: gzip layers at the registry, the variable gone, nothing kept locally', async () => {
  const before = imageIds();
  const ref = `docker://${reg.host}/commit/app:1`;
  const r = await t.runAsync(['commit', '-q', '--tls-verify=false', '--unsetenv', 'DROP', c, ref]);
  assert.is(r.code, 0, r.stderr);
  const manifest = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', ref]));
  assert.ok(manifest.layers.length > 0);
  for (const l of manifest.layers) assert.is(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', ref]));
  assert.equal(config.config.Env, ['KEEP=1']);
  assert.equal(imageIds(), before);
  // The working container itself keeps its variables: --unsetenv shapes the image only.
  assert.equal(JSON.parse(t.ok(['inspect', '--type', 'container', '--format', '{{json .OCIv1.config.Env}}', c])), ['KEEP=1', 'DROP=2']);
});

test('commit --manifest adds the new image to a list, made if missing', () => {
  const id = t.ok(['commit', '-q', '--manifest', 'localhost/commit-list', c, 'localhost/commit-one']);
  const list = JSON.parse(t.ok(['manifest', 'inspect', 'localhost/commit-list']));
  assert.is(list.manifests.length, 1);
  const digest = t.ok(['inspect', '--format', '{{.FromImageDigest}}', 'localhost/commit-one']);
  assert.is(list.manifests[0].digest, digest);
  assert.ok(imageIds().includes(id));
});

test('bad destinations fail before anything is committed: one line, nothing left', async () => {
  const before = imageIds();
  const withList = t.run(['commit', '--manifest', 'localhost/l2', c, `dir:${join(t.root, 'd')}`]);
  assert.is(withList.code, 125);
  assert.match(withList.stderr, /--manifest/);
  assert.is(withList.stderr.trim().split('\n').length, 1, withList.stderr);
  const port = await closedPort();
  const unreachable = await t.runAsync(['commit', '-q', '--tls-verify=false', c, `docker://127.0.0.1:${port}/x/y:1`]);
  assert.is.not(unreachable.code, 0);
  assert.match(unreachable.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.is(unreachable.stderr.trim().split('\n').length, 1, unreachable.stderr);
  assert.equal(imageIds(), before);
  assert.equal(mountsUnder(t.root), []);
});

test.run();
