import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves a container path to a host path under `root` the way the container would see it:
 * symlinks are followed with `root` as `/` (absolute targets restart at `root`; `..` at the
 * top stays at the top, as in a chroot), so the result is always inside `root`.
 * The last component is followed only when `followLast` is set. With `createParents`, missing
 * directories on the way are made (0755).
 */
export function resolveInRoot(root: string, path: string, opts: { followLast?: boolean; createParents?: boolean } = {}): string {
  const queue = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const isLast = queue.length === 0;
    const here = join(root, ...resolved, c);
    let st;
    try {
      st = lstatSync(here);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!isLast && opts.createParents) mkdirSync(here, { mode: 0o755 });
      resolved.push(c);
      continue;
    }
    if (st.isSymbolicLink() && (!isLast || opts.followLast)) {
      if (++hops > MAX_SYMLINK_HOPS) throw Object.assign(new Error(`resolve ${path}: too many levels of symbolic links`), { code: 'ELOOP' });
      const target = readlinkSync(here);
      if (target.startsWith('/')) resolved.length = 0;
      queue.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(c);
  }
  return join(root, ...resolved);
}
