/**
 * What the compatibility suite compares: a flattened root filesystem as a sorted list of entries
 * (type, mode, uid, gid, size, content hash, link target; whiteouts are already applied because
 * the walk reads a mounted image), and an image config with the fields that must differ between
 * two builds (times, buildah's version label, layer digests, the content tokens of COPY history)
 * normalized away.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One file system entry, as a comparable line. */
export function describeEntry(root: string, rel: string): string {
  const st = lstatSync(join(root, rel));
  const perm = (st.mode & 0o7777).toString(8);
  const owner = `${st.uid}:${st.gid}`;
  if (st.isDirectory()) return `${rel} dir ${perm} ${owner}`;
  if (st.isSymbolicLink()) return `${rel} link ${owner} -> ${readlinkSync(join(root, rel))}`;
  if (st.isFile()) {
    const hash = createHash('sha256').update(readFileSync(join(root, rel))).digest('hex').slice(0, 16);
    return `${rel} file ${perm} ${owner} ${st.size} ${hash}`;
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) return `${rel} ${st.isCharacterDevice() ? 'char' : 'block'} ${perm} ${owner} ${st.rdev}`;
  return `${rel} other ${perm} ${owner}`;
}

/** Every entry under `root` (not following links), sorted by path. */
export function snapshotTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      out.push(describeEntry(root, child));
      if (lstatSync(join(root, child)).isDirectory()) walk(child);
    }
  };
  walk('');
  return out;
}

/** An image config with build-specific values removed, ready for deep comparison. */
export function normalizeConfig(config: Record<string, unknown>): Record<string, unknown> {
  const c = structuredClone(config) as Record<string, any>;
  delete c.created;
  const labels = c.config?.Labels as Record<string, string> | undefined;
  if (labels) {
    delete labels['io.buildah.version'];
    if (Object.keys(labels).length === 0) delete c.config.Labels;
  }
  if (c.rootfs) c.rootfs = { type: c.rootfs.type, layers: (c.rootfs.diff_ids ?? []).length };
  if (Array.isArray(c.history)) {
    c.history = c.history.map((h: Record<string, unknown>) => {
      const { created: _created, ...rest } = h;
      if (typeof rest.created_by === 'string') rest.created_by = rest.created_by.replace(/\b(file|dir|multi):[0-9a-f]{64}\b/g, '$1:<digest>');
      // A FROM comment names the base by id when it is an intermediate image.
      if (typeof rest.comment === 'string') rest.comment = rest.comment.replace(/^FROM [0-9a-f]{12}$/, 'FROM <id>');
      return rest;
    });
  }
  return c;
}

/** Lines in one list and not the other, for a readable diff. */
export function listDifference(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const sa = new Set(a);
  const sb = new Set(b);
  return { onlyA: a.filter((x) => !sb.has(x)), onlyB: b.filter((x) => !sa.has(x)) };
}
