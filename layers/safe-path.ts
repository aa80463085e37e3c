import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isErrnoError } from '../native/index.js';
import { LayerApplyError, LayerPathError } from './errors.js';

/** Symlinks followed while resolving one path before giving up (Linux's own limit). */
const MAX_SYMLINK_HOPS = 40;

/**
 * Splits a tar entry name into path components, dropping `.` and empty parts (so `./a//b/`
 * is `a/b`). Throws LayerPathError for absolute names and for any `..` component: layers are
 * relative to their root and a well-formed one never climbs.
 */
export function entryComponents(name: string, entry: string = name): string[] {
  if (name.startsWith('/')) throw new LayerPathError(entry, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new LayerPathError(entry, '".." component leaves the root');
  if (name.includes('\0')) throw new LayerPathError(entry, 'NUL byte in path');
  return parts;
}

/**
 * Resolves directory components under `root` to a host path that is a real directory inside
 * `root`, following symlinks the way the container would see them: a relative target from its
 * own directory, an absolute target from `root` (as if `root` were `/`). A target that climbs
 * above `root` throws LayerPathError naming `entry`. Missing directories are created (0755,
 * like GNU tar and containers/storage) when `create` is set; a non-directory in the way
 * throws LayerApplyError.
 *
 * Safe because layers are applied by one writer: nothing swaps a component between the
 * check and the use.
 */
export function resolveDir(root: string, components: readonly string[], entry: string, create: boolean): string {
  const resolved: string[] = [];
  const queue = [...components];
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (resolved.length === 0) throw new LayerPathError(entry, 'a symlink in its path leaves the root');
      resolved.pop();
      continue;
    }
    const here = join(root, ...resolved, c);
    let st;
    try {
      st = lstatSync(here);
    } catch (err) {
      if (!isErrnoError(err, 'ENOENT') || !create) throw applyError(entry, err, here);
      try {
        mkdirSync(here, { mode: 0o755 });
      } catch (mkErr) {
        throw applyError(entry, mkErr, here);
      }
      resolved.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new LayerPathError(entry, 'too many levels of symbolic links');
      const target = readlinkSync(here);
      if (target.startsWith('/')) resolved.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw new LayerApplyError(entry, `${[...resolved, c].join('/')} is not a directory`);
    resolved.push(c);
  }
  return join(root, ...resolved);
}

function applyError(entry: string, err: unknown, path: string): LayerApplyError {
  const code = isErrnoError(err) ? err.code : err instanceof Error ? err.message : String(err);
  return new LayerApplyError(entry, `${code}: ${path}`, { cause: err });
}
