import { chmodSync, copyFileSync, constants as fsc, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, lutimesSync, utimesSync, renameSync, openSync, readSync, closeSync, createReadStream, type Stats } from 'node:fs';
import { basename, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TrowelError } from '../oci/error.js';
import { applyLayer, detectCompression } from '../layers/index.js';
import { expandGlob, hasGlobMeta } from './glob.js';
import { resolveInRoot } from './root-path.js';
import { copyFiles } from './copy-pool.js';
import { type FileCopy } from './file-copy.js';
import { expandPivoted, pivotSource } from './parent-sources.js';

/** A COPY/ADD source that is missing, outside the context, or otherwise unusable. */
export class CopySourceError extends TrowelError {
  constructor(readonly source: string, why: string) {
    super('COPY_SOURCE', `copy ${source}: ${why}`);
  }
}

export interface CopyOptions {
  /** Host paths or patterns; relative ones are taken from `contextDir`. */
  sources: string[];
  /** Container path; relative to `workingDir`. A trailing `/` makes it a directory. */
  dest: string;
  contextDir: string;
  /** Refuse sources that resolve outside `contextDir` (bud's rule). */
  confineToContext?: boolean;
  /** Owner for everything copied (default 0:0, as buildah copies). */
  owner?: { uid: number; gid: number };
  /** Mode for everything copied (files and dirs). */
  chmod?: number;
  /** ADD: extract local tar archives (plain, gzip, zstd, xz, bzip2) into the destination. */
  extractArchives?: boolean;
  /** The container's working directory, for relative destinations. */
  workingDir?: string;
  /**
   * Leaves out entries (bud's ignore file): called with the path relative to `contextDir`
   * (`/`-separated). An excluded directory is still entered when `excludeHasExceptions` is set,
   * since a `!pattern` may bring back something inside it.
   */
  exclude?: (relativePath: string) => boolean;
  excludeHasExceptions?: boolean;
  /**
   * Called with the source's lstat and the sha256 hex of its bytes for each regular file copied
   * inside a directory source: the copy hashes what it reads anyway, so a caller that needs the
   * digests (bud's history token) need not read the files again.
   */
  onFileDigest?: (st: Stats, sha256: string) => void;
  /**
   * `--parents`: each source keeps its path relative to `contextDir` (or to a `/./` pivot in
   * it) under the destination, which is always a directory. Sources are confined to
   * `contextDir` whatever `confineToContext` says.
   */
  parents?: boolean;
}

/** Reads the first bytes of a file, to recognise archives by magic. */
function head(path: string, n = 264): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

type ArchiveKind = 'tar' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

/** The kind of tar archive a file is, or undefined if it is not one (then ADD copies it as is). */
export function archiveKind(path: string): ArchiveKind | undefined {
  const h = head(path);
  if (h.length >= 6 && h.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (h.length >= 3 && h.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  const c = detectCompression(h);
  if (c === 'gzip') return 'gzip';
  if (c === 'zstd') return 'zstd';
  if (h.length >= 263 && h.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

/** A stream of the archive with xz/bzip2 undone by Debian's tools; gzip/zstd/plain go to applyLayer as they are. */
function archiveStream(path: string, kind: ArchiveKind): Readable {
  if (kind !== 'xz' && kind !== 'bzip2') return createReadStream(path);
  const child = spawn(kind === 'xz' ? 'xz' : 'bzip2', ['-dc', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.on('close', (code) => {
    if (code !== 0) child.stdout.destroy(new CopySourceError(path, `${kind} -d failed: ${err.trim() || `exit ${code}`}`));
  });
  return child.stdout;
}

function setOwnerAndMode(path: string, st: Stats, opts: CopyOptions, isLink: boolean): void {
  const owner = opts.owner ?? { uid: 0, gid: 0 };
  lchownSync(path, owner.uid, owner.gid);
  if (!isLink) {
    chmodSync(path, opts.chmod ?? st.mode & 0o7777);
    utimesSync(path, st.atime, st.mtime);
  } else {
    lutimesSync(path, st.atime, st.mtime);
  }
}

/** The context-relative path of a host path, for the exclude filter. */
export function contextRelative(opts: CopyOptions, hostPath: string): string {
  return relative(resolve(opts.contextDir), hostPath);
}

/** Whether a directory holds anything the exclude filter lets through. */
export function hasIncluded(dir: string, opts: CopyOptions): boolean {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!opts.exclude!(contextRelative(opts, p))) return true;
    if (lstatSync(p).isDirectory() && hasIncluded(p, opts)) return true;
  }
  return false;
}

/** What a walk leaves for afterwards: files to copy (on worker threads), then directory metadata. */
interface CopyBatch {
  files: FileCopy[];
  /** The sources' lstat, one per file (for `onFileDigest`). */
  stats: Stats[];
  /** Directories in the order their metadata is set: children before parents (creating an entry changes its parent's mtime). */
  dirs: { path: string; st: Stats }[];
}

function newBatch(): CopyBatch {
  return { files: [], stats: [], dirs: [] };
}

/** Copies the batch's files, then sets its directories' owner, mode and times. */
async function finishBatch(batch: CopyBatch, opts: CopyOptions): Promise<void> {
  const digests = await copyFiles(batch.files);
  if (opts.onFileDigest) digests.forEach((d, i) => d !== undefined && opts.onFileDigest!(batch.stats[i]!, d));
  for (const d of batch.dirs) setOwnerAndMode(d.path, d.st, opts, false);
}

/** The copy of regular file `src` at `target`, with the owner, mode and times `setOwnerAndMode` gives. */
function fileCopy(src: string, target: string, st: Stats, opts: CopyOptions): FileCopy {
  const owner = opts.owner ?? { uid: 0, gid: 0 };
  return { src, target, mode: opts.chmod ?? st.mode & 0o7777, uid: owner.uid, gid: owner.gid, size: st.size, atimeMs: st.atime.getTime(), mtimeMs: st.mtime.getTime(), ...(opts.onFileDigest ? { digest: true } : {}) };
}

/**
 * Copies one host entry (not following a symlink) to `target` inside the root: directories
 * and symlinks at once, regular files and the directories' metadata left in `batch`.
 */
function copyEntry(src: string, target: string, opts: CopyOptions, batch: CopyBatch): void {
  if (opts.exclude?.(contextRelative(opts, src))) {
    // A `!pattern` can bring back part of an excluded directory: copy just that part.
    if (!(opts.excludeHasExceptions && lstatSync(src).isDirectory() && hasIncluded(src, opts))) return;
  }
  const st = lstatSync(src);
  if (st.isFile()) {
    batch.files.push(fileCopy(src, target, st, opts));
    batch.stats.push(st);
    return;
  }
  let existing: Stats | undefined;
  try {
    existing = lstatSync(target);
  } catch {
    /* nothing there */
  }
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(target, { force: true });
    if (!existing || !existing.isDirectory()) mkdirSync(target, { mode: 0o755 });
    for (const name of readdirSync(src).sort()) copyEntry(join(src, name), join(target, name), opts, batch);
    batch.dirs.push({ path: target, st });
    return;
  }
  if (existing) rmSync(target, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), target);
    setOwnerAndMode(target, st, opts, true);
  } else {
    throw new CopySourceError(src, 'only files, directories and symlinks can be copied');
  }
}

/**
 * A confined source's host path with its symlinks resolved as if the context were `/` (as
 * buildah's chrooted copier sees them): a link pointing outside the context never leads out.
 */
function followInContext(context: string, abs: string, source: string): string {
  const rel = relative(context, abs);
  if (rel === '') return context;
  try {
    return resolveInRoot(context, rel, { followLast: true });
  } catch (e) {
    throw new CopySourceError(source, `resolve in the build context: ${(e as Error).message}`);
  }
}

/** Expands sources (globs included) to absolute host paths, checking they exist. */
export function expandSources(opts: CopyOptions): string[] {
  const context = resolve(opts.contextDir);
  const out: string[] = [];
  for (const source of opts.sources) {
    const abs = isAbsolute(source) && !opts.confineToContext ? source : join(context, source);
    if (opts.confineToContext) {
      const rel = relative(context, abs);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new CopySourceError(source, 'the path is outside the build context');
    }
    if (hasGlobMeta(source)) {
      const base = isAbsolute(source) && !opts.confineToContext ? '/' : context;
      const pattern = isAbsolute(source) && !opts.confineToContext ? source.slice(1) : source;
      const matches = expandGlob(base, pattern).map((m) => join(base, m))
        .filter((m) => !opts.exclude?.(contextRelative(opts, m)));
      if (matches.length === 0) throw new CopySourceError(source, 'no items matching glob');
      out.push(...(opts.confineToContext ? matches.map((m) => followInContext(context, m, source)) : matches));
      continue;
    }
    const found = opts.confineToContext ? followInContext(context, abs, source) : abs;
    try {
      statSync(found);
    } catch {
      throw new CopySourceError(source, `no such file or directory (looked for ${abs})`);
    }
    if (opts.exclude?.(contextRelative(opts, abs)) && !(opts.excludeHasExceptions && statSync(found).isDirectory())) {
      throw new CopySourceError(source, 'no such file or directory: it is excluded by the ignore file');
    }
    out.push(found);
  }
  return out;
}

/** The destination as an absolute container path. */
export function destinationPath(opts: CopyOptions): string {
  return posix.isAbsolute(opts.dest) ? opts.dest : posix.join(opts.workingDir || '/', opts.dest);
}

/** A `--parents` source entry: its host path and the path it keeps under the destination. */
interface KeptEntry {
  host: string;
  kept: string;
  /** Host directory the kept path starts from (its ancestors give the parents' metadata). */
  baseDir: string;
}

/** Expands `--parents` sources (pivots, globs) to entries confined to the context. */
function expandParentSources(opts: CopyOptions): KeptEntry[] {
  const context = resolve(opts.contextDir);
  const out: KeptEntry[] = [];
  for (const source of opts.sources) {
    const { base, pattern } = pivotSource(source);
    const baseDir = followInContext(context, join(context, base), source);
    // An excluded directory stays when a `!pattern` may bring back something inside it.
    const kept = (m: string) => {
      if (m === '' || !opts.exclude?.(contextRelative(opts, join(baseDir, m)))) return true;
      return !!opts.excludeHasExceptions && existsSync(join(baseDir, m)) && statSync(join(baseDir, m)).isDirectory();
    };
    const matches = expandPivoted(baseDir, pattern).filter(kept);
    if (matches.length === 0) throw new CopySourceError(source, hasGlobMeta(pattern) ? 'no items matching glob' : 'no such file or directory: it is excluded by the ignore file');
    for (const kept of matches) {
      const host = kept === '' ? baseDir : followInContext(context, join(baseDir, kept), source);
      try {
        statSync(host);
      } catch {
        throw new CopySourceError(source, `no such file or directory (looked for ${join(baseDir, kept)})`);
      }
      out.push({ host, kept, baseDir });
    }
  }
  return out;
}

/**
 * `--parents`: every entry lands at `dest/<kept path>`. Missing parent directories are made
 * with their source directory's mode and times (owned like everything copied); each is
 * resolved inside the root, so a symlink in the image cannot lead the copy out of it.
 */
async function copyWithParents(root: string, opts: CopyOptions): Promise<void> {
  const entries = expandParentSources(opts);
  const context = resolve(opts.contextDir);
  const destPath = destinationPath(opts);
  const destResolved = resolveInRoot(root, destPath, { followLast: true, createParents: true });
  if (!existsSync(destResolved)) {
    mkdirSync(destResolved, { recursive: true, mode: 0o755 });
    if (opts.owner) lchownSync(destResolved, opts.owner.uid, opts.owner.gid);
  }
  for (const { host, kept, baseDir } of entries) {
    const parts = kept === '' ? [] : kept.split('/');
    let parent = destResolved;
    for (let i = 0; i < parts.length - 1; i++) {
      parent = resolveInRoot(root, posix.join(destPath, ...parts.slice(0, i + 1)), { followLast: true, createParents: true });
      let existing: Stats | undefined;
      try {
        existing = lstatSync(parent);
      } catch {
        /* made below */
      }
      if (existing?.isDirectory()) continue;
      if (existing) rmSync(parent, { force: true });
      const source = followInContext(context, join(baseDir, ...parts.slice(0, i + 1)), kept);
      mkdirSync(parent, { mode: 0o755 });
      setOwnerAndMode(parent, statSync(source), opts, false);
    }
    const st = statSync(host);
    if (st.isDirectory()) {
      const target = parts.length === 0 ? destResolved : join(parent, parts[parts.length - 1]!);
      const batch = newBatch();
      if (parts.length === 0) {
        for (const name of readdirSync(host).sort()) copyEntry(join(host, name), join(target, name), opts, batch);
      } else {
        copyEntry(host, target, opts, batch);
      }
      await finishBatch(batch, opts);
      continue;
    }
    const kind = opts.extractArchives ? archiveKind(host) : undefined;
    if (kind) {
      // An archive is unpacked where it would have been copied: in its kept parent directory.
      await applyLayer(archiveStream(host, kind), parent, { mode: 'plain' });
      continue;
    }
    const target = join(parent, parts[parts.length - 1] ?? basename(host));
    const tmp = `${target}.trowel-tmp-${process.pid}`;
    copyFileSync(host, tmp, fsc.COPYFILE_FICLONE);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    setOwnerAndMode(target, st, opts, false);
  }
}

/**
 * Copies host files into a container root (the merged view) with buildah's `copy`/`add`
 * rules: a directory source copies its contents; several sources or a trailing `/` make the
 * destination a directory; missing parents are created; ADD extracts local archives. The
 * destination is resolved through the container's own symlinks with the root as `/`, so
 * nothing lands outside `root`.
 */
export async function copyIntoRoot(root: string, opts: CopyOptions): Promise<void> {
  if (opts.parents) return copyWithParents(root, opts);
  const sources = expandSources(opts);
  const destPath = destinationPath(opts);
  const wantsDir = opts.dest.endsWith('/') || opts.dest === '.' || sources.length > 1;
  const destResolved = resolveInRoot(root, destPath, { followLast: true, createParents: true });
  let destIsDir = wantsDir;
  let destExisted = false;
  try {
    const isDir = statSync(destResolved).isDirectory();
    destExisted = true;
    destIsDir ||= isDir;
  } catch {
    /* a new path */
  }
  const makeDestDir = () => {
    mkdirSync(destResolved, { recursive: true, mode: 0o755 });
    // A destination directory the copy creates belongs to --chown's owner, as in buildah.
    if (!destExisted && opts.owner) lchownSync(destResolved, opts.owner.uid, opts.owner.gid);
  };
  for (const src of sources) {
    const st = statSync(src);
    if (st.isDirectory() || destIsDir) makeDestDir();
    if (st.isDirectory()) {
      // One source at a time: a later source may replace what an earlier one wrote.
      const batch = newBatch();
      for (const name of readdirSync(src).sort()) copyEntry(join(src, name), join(destResolved, name), opts, batch);
      await finishBatch(batch, opts);
      continue;
    }
    const kind = opts.extractArchives ? archiveKind(src) : undefined;
    if (kind) {
      makeDestDir();
      // `plain`: an ordinary archive, where `.wh.` names are just names.
      await applyLayer(archiveStream(src, kind), destResolved, { mode: 'plain' });
      continue;
    }
    const target = destIsDir ? join(destResolved, basename(src)) : destResolved;
    // The top-level source is followed (it is the file the user named); nested links are kept.
    // Written beside the target then renamed, so a failed copy never leaves a truncated file.
    const tmp = `${target}.trowel-tmp-${process.pid}`;
    copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    setOwnerAndMode(target, st, opts, false);
  }
}
