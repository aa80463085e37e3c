import { readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LayerDiffError } from './errors.js';
import {
  baseHeader, entryBytes, READ_CHUNK, readXattrs, S_IFDIR, S_IFLNK, S_IFMT, statEntry, type EntryContext,
} from './fs-entry.js';
import { END_OF_ARCHIVE, encodeHeader } from './tar-header.js';
import { WHITEOUT_PREFIX } from './whiteout.js';
import type { DiffOptions } from './diff.js';
import { directoryView, lowerStackView, type TreeView } from './tree-view.js';

/**
 * The layer that turns tree `base` into tree `changed`, for drivers without an upper dir
 * (vfs): a walk of both trees. Prefer diffLayer on an overlay upper dir, which reads only
 * what changed. `base` is a directory, or overlay lower dirs (topmost first) read as overlay
 * would merge them (whiteouts and opaque dirs honoured; see lowerStackView), so an image's
 * unpacked layers serve as the base without being flattened first.
 *
 * An entry is written when it is new, changed type, or differs in mode, owner, device
 * number, xattrs, or (non-directories) size or mtime to the nanosecond; its parent dirs come
 * first. Content with the same size and mtime is taken as unchanged, as containers/storage
 * and moby do, so the copy that made `changed` must preserve mtimes. Whatever `base` has and
 * `changed` lacks gets a `.wh.` whiteout. Order, times, ids and errors as in diffLayer.
 */
export function diffTrees(base: string | readonly string[], changed: string, opts: DiffOptions = {}): Readable {
  return Readable.from(generate(base, changed, opts), { objectMode: false, highWaterMark: 4 * READ_CHUNK });
}

interface TreeDiffState extends EntryContext {
  base: TreeView;
  changed: TreeView;
  changedRoot: string;
  opts: DiffOptions;
  /** Headers of unchanged dirs on the current path, written only if something below them is. */
  pending: Buffer[];
}

function* generate(baseDirs: string | readonly string[], changed: string, opts: DiffOptions): Generator<Buffer> {
  const roots = typeof baseDirs === 'string' ? [baseDirs, changed] : [...baseDirs, changed];
  if (roots.length < 2) throw new LayerDiffError(changed, 'no base layers to compare with');
  for (const dir of roots) {
    if ((statEntry(dir).mode & S_IFMT) !== S_IFDIR) throw new LayerDiffError(dir, 'not a directory');
  }
  const base = typeof baseDirs === 'string' ? directoryView(baseDirs) : lowerStackView(baseDirs);
  const state: TreeDiffState = { base, changed: directoryView(changed), changedRoot: changed, opts, links: new Map(), pending: [] };
  yield* walk(state, '');
  yield END_OF_ARCHIVE;
}

function* flush(state: TreeDiffState): Generator<Buffer> {
  yield* state.pending;
  state.pending = [];
}

function* walk(state: TreeDiffState, rel: string): Generator<Buffer> {
  const inBase = new Set(state.base.list(rel));
  const inChanged = state.changed.list(rel);
  const names = [...new Set([...inBase, ...inChanged])].sort();
  const present = new Set(inChanged);
  for (const name of names) {
    const child = rel === '' ? name : `${rel}/${name}`;
    if (state.opts.exclude?.has(child)) continue;
    const changedPath = join(state.changedRoot, child);
    const basePath = inBase.has(name) ? state.base.locate(child) : undefined;
    if (!present.has(name)) {
      const st = statEntry(basePath ?? join(state.changedRoot, child));
      yield* flush(state);
      yield encodeHeader({
        ...baseHeader(state, st), name: `${rel === '' ? '' : `${rel}/`}${WHITEOUT_PREFIX}${name}`, type: 'file',
        mode: 0o600, uid: 0, gid: 0, size: 0, xattrs: new Map(),
      });
      continue;
    }
    const now = statEntry(changedPath);
    const was = basePath !== undefined ? statEntry(basePath) : undefined;
    const xattrs = readXattrs(changedPath).kept;
    const isDir = (now.mode & S_IFMT) === S_IFDIR;
    const same = was !== undefined && basePath !== undefined && sameEntry(was, now) && sameXattrs(readXattrs(basePath).kept, xattrs)
      && ((now.mode & S_IFMT) !== S_IFLNK || readlinkSync(basePath) === readlinkSync(changedPath));
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
