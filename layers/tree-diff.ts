import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LayerDiffError } from './errors.js';
import {
  baseHeader, describe, entryBytes, READ_CHUNK, readXattrs, S_IFDIR, S_IFLNK, S_IFMT, statEntry, type EntryContext,
} from './fs-entry.js';
import { END_OF_ARCHIVE, encodeHeader } from './tar-header.js';
import { WHITEOUT_PREFIX } from './whiteout.js';
import type { DiffOptions } from './diff.js';

/**
 * The layer that turns tree `base` into tree `changed`, for drivers without an upper dir
 * (vfs): a walk of both trees. Prefer diffLayer on an overlay upper dir, which reads only
 * what changed.
 *
 * An entry is written when it is new, changed type, or differs in mode, owner, device
 * number, xattrs, or (non-directories) size or mtime to the nanosecond; its parent dirs come
 * first. Content with the same size and mtime is taken as unchanged, as containers/storage
 * and moby do, so the copy that made `changed` must preserve mtimes. Whatever `base` has and
 * `changed` lacks gets a `.wh.` whiteout. Order, times, ids and errors as in diffLayer.
 */
export function diffTrees(base: string, changed: string, opts: DiffOptions = {}): Readable {
  return Readable.from(generate(base, changed, opts), { objectMode: false, highWaterMark: 4 * READ_CHUNK });
}

interface TreeDiffState extends EntryContext {
  base: string;
  changed: string;
  opts: DiffOptions;
  /** Headers of unchanged dirs on the current path, written only if something below them is. */
  pending: Buffer[];
}

function* generate(base: string, changed: string, opts: DiffOptions): Generator<Buffer> {
  for (const dir of [base, changed]) {
    if ((statEntry(dir).mode & S_IFMT) !== S_IFDIR) throw new LayerDiffError(dir, 'not a directory');
  }
  const state: TreeDiffState = { base, changed, opts, links: new Map(), pending: [] };
  yield* walk(state, '');
  yield END_OF_ARCHIVE;
}

/** Sorted names in `dir` if it is a real directory (not a symlink to one), else none. */
function listDir(dir: string): string[] {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return [];
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw new LayerDiffError(dir, describe(err));
  }
}

function* flush(state: TreeDiffState): Generator<Buffer> {
  yield* state.pending;
  state.pending = [];
}

function* walk(state: TreeDiffState, rel: string): Generator<Buffer> {
  const inBase = new Set(listDir(join(state.base, rel)));
  const inChanged = listDir(join(state.changed, rel));
  const names = [...new Set([...inBase, ...inChanged])].sort();
  const present = new Set(inChanged);
  for (const name of names) {
    const child = rel === '' ? name : `${rel}/${name}`;
    if (state.opts.exclude?.has(child)) continue;
    const changedPath = join(state.changed, child);
    if (!present.has(name)) {
      const st = statEntry(join(state.base, child));
      yield* flush(state);
      yield encodeHeader({
        ...baseHeader(state, st), name: `${rel === '' ? '' : `${rel}/`}${WHITEOUT_PREFIX}${name}`, type: 'file',
        mode: 0o600, uid: 0, gid: 0, size: 0, xattrs: new Map(),
      });
      continue;
    }
    const now = statEntry(changedPath);
    const was = inBase.has(name) ? statEntry(join(state.base, child)) : undefined;
    const xattrs = readXattrs(changedPath).kept;
    const isDir = (now.mode & S_IFMT) === S_IFDIR;
    const same = was !== undefined && sameEntry(was, now) && sameXattrs(readXattrs(join(state.base, child)).kept, xattrs)
      && ((now.mode & S_IFMT) !== S_IFLNK || readlinkSync(join(state.base, child)) === readlinkSync(changedPath));
    if (same && !isDir) continue;
    if (same && isDir) {
      // Unchanged dir: its header waits until something below it is written.
      const header = Buffer.concat([...entryBytes(state, child, changedPath, now, xattrs)]);
      state.pending.push(header);
      yield* walk(state, child);
      if (state.pending[state.pending.length - 1] === header) state.pending.pop();
      continue;
    }
    yield* flush(state);
    yield* entryBytes(state, child, changedPath, now, xattrs);
    if (isDir) yield* walk(state, child);
  }
}

function sameEntry(a: BigIntStats, b: BigIntStats): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return false;
  // Directory size and mtime change with their contents, not with the dir itself.
  if ((a.mode & S_IFMT) === S_IFDIR) return true;
  return a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}
