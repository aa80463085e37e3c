/**
 * `COPY --parents` / `ADD --parents` sources: each source keeps its path relative to the
 * context (or `--from` root), or to the `/./` pivot written in it, as the Dockerfile reference
 * and `rsync --relative` have it: `COPY --parents ./x/./y/*.txt /dst/` gives `/dst/y/a.txt`.
 */
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import { expandGlob, hasGlobMeta } from './glob.js';
import { resolveInRoot } from './root-path.js';

/** One source split at its pivot: `base` is where kept paths start, `pattern` what is kept. */
export interface PivotedSource {
  /** The part before `/./`, normalized and relative to the source root ('' for the root). */
  base: string;
  /** The part after the pivot (the whole source without one), normalized and relative. */
  pattern: string;
}

/** Normalizes a source path to a relative one (`/a/./b/` -> `a/b`, `.` -> ''). */
function relativePath(p: string): string {
  const n = posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/**
 * Splits a source at its first `/./` (BuildKit's pivot): `./x/./y/*.txt` -> base `x`,
 * pattern `y/*.txt`; `src/a` -> base '', pattern `src/a`. `..` cannot climb above the root
 * (the path is normalized as an absolute one), so neither part leaves it.
 */
export function pivotSource(source: string): PivotedSource {
  const at = source.indexOf('/./');
  if (at < 0) return { base: '', pattern: relativePath(source) };
  return { base: relativePath(source.slice(0, at)), pattern: relativePath(source.slice(at + 3)) };
}

/**
 * The paths a pivoted source names, relative to `join(root, base)`: the glob's matches (sorted),
 * or the pattern itself when it has no metacharacters. Existence is the caller's to check.
 */
export function expandPivoted(baseDir: string, pattern: string): string[] {
  if (pattern === '') return [''];
  return hasGlobMeta(pattern) ? expandGlob(baseDir, pattern) : [pattern];
}

/**
 * What `--parents` also takes from the source tree besides the entries themselves: the mode
 * of every directory between a pivot and a kept entry (the copy recreates those directories),
 * as `path mode` lines, sorted, for the build cache key. Paths are resolved as the copy
 * resolves them, with `root` as `/` (a symlink to `/etc` names `root/etc`): nothing outside
 * `root` is read. Missing paths are left out.
 */
export function keptParentModes(root: string, sources: readonly string[]): string[] {
  const lines = new Set<string>();
  const inRoot = (rel: string): string | undefined => {
    try {
      return resolveInRoot(root, rel, { followLast: true });
    } catch {
      return undefined; // the copy reports what cannot be resolved
    }
  };
  for (const source of sources) {
    const { base, pattern } = pivotSource(source);
    const baseDir = inRoot(base);
    if (baseDir === undefined) continue;
    for (const kept of expandPivoted(baseDir, pattern)) {
      const parts = kept.split('/');
      for (let i = 1; i < parts.length; i++) {
        const rel = posix.join(base, ...parts.slice(0, i));
        const dir = inRoot(rel);
        try {
          if (dir !== undefined) lines.add(`${rel} ${lstatSync(dir).mode}`);
        } catch {
          /* the copy reports missing sources */
        }
      }
    }
  }
  return [...lines].sort();
}
