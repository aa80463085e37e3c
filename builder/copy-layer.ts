/**
 * A COPY as a planned layer: the tree of entries `copyIntoRoot` would leave in a fresh overlay
 * upper dir, worked out without writing any file, so the layer tar can be made straight from
 * the sources (layers/planned-layer.ts). Writing thousands of small files only for the commit
 * to read them back is what a large COPY costs; this path skips it when the outcome is certain.
 */
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { layerXattrs, type PlannedEntry } from '../layers/index.js';
import { contextRelative, CopySourceError, destinationPath, expandSources, hasIncluded, type CopyOptions } from './copy.js';
import { resolveInRoot } from './root-path.js';

type PlannedDir = Extract<PlannedEntry, { type: 'directory' }>;

const S_ISGID = 0o2000;

/**
 * The layer `copyIntoRoot(root, opts)` would make in a container whose upper dir is empty, as
 * the entries at the layer's root; `undefined` when the outcome depends on what the container
 * already holds at the destination and only a real copy settles it.
 *
 * Planned only when the destination (resolved through the container's symlinks) does not exist
 * or is an empty directory, is reached through directories without the setgid bit, and every
 * source is a regular file, directory or symlink, and neither `parents` nor `extractArchives` is
 * set. The plan then follows the copy rule for rule: missing parents as `mkdir` makes them
 * (0755 less the umask, owned by this process, the destination by `owner`), existing ones as
 * overlay copies them up (their metadata and xattrs; the directory that gains an entry gets
 * `now` as mtime), copied entries with `owner` (default 0:0), `chmod` or the source's mode, and
 * the source's mtime. `now` is unix seconds.
 *
 * @throws CopySourceError for a missing, excluded or escaping source, as the copy would.
 */
export function planCopyLayer(root: string, opts: CopyOptions, now = Math.floor(Date.now() / 1000)): Map<string, PlannedEntry> | undefined {
  if (opts.parents || opts.extractArchives) return undefined;
  const sources = expandSources(opts);
  const wantsDir = opts.dest.endsWith('/') || opts.dest === '.' || sources.length > 1;
  let destResolved: string;
  try {
    destResolved = resolveInRoot(root, destinationPath(opts), { followLast: true });
  } catch {
    return undefined; // a file in the way or a link loop: the copy reports it
  }
  const parts = relative(root, destResolved).split('/').filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const me = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  const newDirMode = 0o755 & ~process.umask();

  // The existing part of the path: each directory as overlay would copy it up.
  const top = new Map<string, PlannedEntry>();
  let children = top;
  let deepest: { stat: Stats; entry?: PlannedDir } = { stat: lstatSync(root) };
  let found = 0;
  for (; found < parts.length; found++) {
    const host = join(root, ...parts.slice(0, found + 1));
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) break;
    if (!st.isDirectory()) return undefined;
    const entry: PlannedDir = { type: 'directory', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: copiedUpSeconds(host), xattrs: layerXattrs(host), children: new Map() };
    children.set(parts[found]!, entry);
    children = entry.children;
    deepest = { stat: st, entry };
  }
  // New entries take the setgid directory's group: left to the real copy.
  if ((deepest.stat.mode & S_ISGID) !== 0) return undefined;
  const destExisted = found === parts.length;
  if (destExisted && readdirSync(destResolved).length > 0) return undefined;
  const destIsDir = wantsDir || destExisted;

  const stats = sources.map((src) => statSync(src));
  if (stats.some((st) => !st.isDirectory() && !st.isFile())) return undefined;
  // Missing parents, then the destination directory when the copy makes one.
  const makesDestDir = !destExisted && (destIsDir || stats.some((st) => st.isDirectory()));
  for (let i = found; i < parts.length - (makesDestDir ? 0 : 1); i++) {
    const owner = i === parts.length - 1 ? opts.owner ?? me : me;
    const entry: PlannedDir = { type: 'directory', mode: newDirMode, uid: owner.uid, gid: owner.gid, mtime: now, children: new Map() };
    children.set(parts[i]!, entry);
    children = entry.children;
  }

  sources.forEach((src, i) => {
    const st = stats[i]!;
    if (st.isDirectory()) {
      for (const name of readdirSync(src).sort()) planEntry(join(src, name), children, name, opts);
    } else {
      children.set(destIsDir ? basename(src) : parts[parts.length - 1]!, fileEntry(src, st, opts));
    }
  });
  if (destExisted && children.size === 0) return new Map();
  // The directory the first new entry went into has its mtime changed by that creation;
  // overlay keeps the copied-up parents above it as they were.
  if (deepest.entry) deepest.entry.mtime = now;
  return top;
}

/** The owner copied entries get. */
function ownerOf(opts: CopyOptions): { uid: number; gid: number } {
  return opts.owner ?? { uid: 0, gid: 0 };
}

/** The mtime second a copied entry gets: the copy sets times from `st.mtime` (whole ms). */
function seconds(st: Stats): number {
  return Math.floor(st.mtime.getTime() / 1000);
}

/** The mtime second of a directory overlay copies up (it keeps the nanoseconds), as the diff reads it. */
function copiedUpSeconds(host: string): number {
  const ns = lstatSync(host, { bigint: true }).mtimeNs;
  return Number(ns / 1_000_000_000n) - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1 : 0);
}

function fileEntry(src: string, st: Stats, opts: CopyOptions): PlannedEntry {
  const { uid, gid } = ownerOf(opts);
  return { type: 'file', mode: opts.chmod ?? st.mode & 0o7777, uid, gid, mtime: seconds(st), size: st.size, source: src };
}

/** `copyEntry` as a plan: the entry for `src` (not following a link) under `name` in `into`. */
function planEntry(src: string, into: Map<string, PlannedEntry>, name: string, opts: CopyOptions): void {
  if (opts.exclude?.(contextRelative(opts, src))) {
    if (!(opts.excludeHasExceptions && lstatSync(src).isDirectory() && hasIncluded(src, opts))) return;
  }
  const st = lstatSync(src);
  const { uid, gid } = ownerOf(opts);
  if (st.isDirectory()) {
    const existing = into.get(name);
    const children = existing?.type === 'directory' ? existing.children : new Map<string, PlannedEntry>();
    const entry: PlannedDir = { type: 'directory', mode: opts.chmod ?? st.mode & 0o7777, uid, gid, mtime: seconds(st), children };
    into.set(name, entry);
    for (const child of readdirSync(src).sort()) planEntry(join(src, child), children, child, opts);
  } else if (st.isFile()) {
    into.set(name, fileEntry(src, st, opts));
  } else if (st.isSymbolicLink()) {
    into.set(name, { type: 'symlink', uid, gid, mtime: seconds(st), target: readlinkSync(src) });
  } else {
    throw new CopySourceError(src, 'only files, directories and symlinks can be copied');
  }
}
