import {
  closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, openSync, readFileSync, writeSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, rmSync, symlinkSync, chmodSync,
  utimesSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import { OffThreadDigestingStream } from './off-thread-digest.js';
import { TrowelError } from '../oci/error.js';
import type { Compression } from '../oci/media-types.js';
import { FileType, isErrnoError, lsetxattr, mknod } from '../native/index.js';
import { createDecompressor, detectCompression } from './compression.js';
import { LayerApplyError, LayerFormatError, LayerPathError } from './errors.js';
import { toHostId, type IdMappings } from './id-map.js';
import { entryComponents, resolveDir } from './safe-path.js';
import type { TarHeader } from './tar-header.js';
import { readTar } from './tar-reader.js';
import { OPAQUE_MARKER, OPAQUE_XATTRS, WHITEOUT_PREFIX, isPrivateXattr } from './whiteout.js';

/** Options of applyLayer. */
export interface ApplyOptions {
  /**
   * 'overlay': the dir will be an overlay lower dir; whiteouts become char 0:0 devices and
   * opaque xattrs. 'flatten': whiteouts delete what they name (vfs, unpacking a rootfs).
   * 'plain': an ordinary archive (ADD): `.wh.` names are ordinary files.
   */
  mode: 'overlay' | 'flatten' | 'plain';
  /** Container -> host id mapping (rootless: the user's subids). Unset: ids as in the tar. */
  idMap?: IdMappings;
  /**
   * Overlay mode: mark opaque dirs with `user.overlay.opaque` (rootless kernel overlay with
   * `userxattr`, and fuse-overlayfs) instead of `trusted.overlay.opaque`. Default: unless
   * running as root outside any user namespace.
   */
  userxattr?: boolean;
  /** Restore owners (lchown). Default: running as root (in the user namespace or not). */
  preserveOwnership?: boolean;
}

/** What applyLayer read. */
export interface AppliedLayer {
  /** sha256 of the uncompressed tar, including everything after its end marker. */
  diffID: Digest;
  uncompressedSize: number;
  /** What the input was compressed with (detected from its magic bytes). */
  compression: Compression;
}

interface ApplyState {
  root: string;
  opts: Required<Omit<ApplyOptions, 'idMap'>> & { idMap?: IdMappings };
  /** euid 0 (in whatever user namespace): owners can be set, dirs need no unlocking. */
  isRoot: boolean;
  /** Root of the initial user namespace: devices and trusted.* xattrs can be made. */
  privileged: boolean;
  /** Host paths this layer wrote: an opaque marker must not delete them. */
  created: Set<string>;
  /** Directories whose mode and times are set last (creating children changes their mtime). */
  dirs: Array<{ path: string; header: TarHeader }>;
  /** Existing dirs made writable for this layer (unprivileged only), with the mode to restore. */
  unlocked: Map<string, number>;
}

/**
 * Unpacks a layer (gzip, zstd or plain tar, detected by magic) onto `dir`, which must exist.
 *
 * Entries are applied in order. Names that are absolute, contain `..`, or reach outside `dir`
 * through a symlink, and hardlinks to anything outside `dir`, throw LayerPathError before
 * anything is written for that entry; nothing is ever written outside `dir`. Other failures
 * throw LayerApplyError or LayerFormatError. On failure `dir` may hold part of the layer.
 */
export async function applyLayer(stream: Readable | AsyncIterable<Buffer>, dir: string, opts: ApplyOptions): Promise<AppliedLayer> {
  const isRoot = process.geteuid?.() === 0;
  const privileged = isRoot && inInitialUserNamespace();
  const state: ApplyState = {
    root: dir,
    opts: {
      mode: opts.mode,
      userxattr: opts.userxattr ?? !privileged,
      preserveOwnership: opts.preserveOwnership ?? isRoot,
      ...(opts.idMap ? { idMap: opts.idMap } : {}),
    },
    isRoot,
    privileged,
    created: new Set(),
    dirs: [],
    unlocked: new Map(),
  };
  if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new LayerApplyError('.', `target ${dir} is not a directory`);
  }

  const { tar, compression, hasher, destroy } = await decompressed(stream);
  try {
    for await (const { header, body } of readTar(tar)) {
      await applyEntry(state, header, body);
    }
  } catch (err) {
    destroy(err);
    // zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR…) mean the blob is not valid compressed data.
    if (isErrnoError(err) && err.code.startsWith('Z_')) {
      throw new LayerFormatError(`${compression} data: ${err.message}`);
    }
    throw err;
  }
  for (const [path, mode] of state.unlocked) {
    if (!state.dirs.some((d) => d.path === path)) attempt('.', path, () => chmodSync(path, mode));
  }
  for (const { path, header } of state.dirs.reverse()) {
    const entry = header.name;
    attempt(entry, path, () => chmodSync(path, header.mode));
    attempt(entry, path, () => utimesSync(path, header.mtime, header.mtime));
  }
  return { diffID: hasher.digest, uncompressedSize: hasher.size, compression };
}

/**
 * True outside any user namespace (uid_map is the identity over all ids). Inside one, even
 * root cannot make device nodes or set trusted.* xattrs.
 */
function inInitialUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
  } catch {
    return true;
  }
}

/** A Buffer view of a chunk, without copying. */
function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('apply layer: the stream must yield bytes');
}

/** The uncompressed tar of `stream`, hashed as it is read. */
async function decompressed(stream: Readable | AsyncIterable<Buffer>) {
  const it = stream[Symbol.asyncIterator]();
  const headParts: Buffer[] = [];
  let headLength = 0;
  while (headLength < 4) {
    const next = await it.next();
    if (next.done) break;
    const chunk = asBuffer(next.value);
    headParts.push(chunk);
    headLength += chunk.length;
  }
  const head = Buffer.concat(headParts);
  const compression = detectCompression(head);
  const replay = Readable.from((async function* () {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  })(), { objectMode: false });
  const hasher = new OffThreadDigestingStream();
  const tar = pipeline(replay, createDecompressor(compression), hasher, () => { /* errors surface through `tar` */ });
  const destroy = (err: unknown) => {
    tar.destroy(err instanceof Error ? err : undefined);
    if (stream instanceof Readable) stream.destroy();
  };
  return { tar: tar as AsyncIterable<Buffer>, compression, hasher, destroy };
}

async function applyEntry(state: ApplyState, header: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
  const entry = header.name;
  const components = entryComponents(entry);
  if (components.length === 0) {
    // The root itself ("./"): a directory entry sets its owner, mode, times and xattrs;
    // anything else cannot replace the root and is ignored.
    if (header.type === 'directory') {
      setOwner(state, header, state.root);
      setXattrs(state, header, state.root);
      state.dirs.push({ path: state.root, header });
    }
    return;
  }
  const base = components[components.length - 1]!;
  const parent = resolveDir(state.root, components.slice(0, -1), entry, true);
  if (!state.isRoot) unlockDir(state, parent, entry);

  if (base.startsWith(WHITEOUT_PREFIX) && state.opts.mode !== 'plain') {
    if (base === OPAQUE_MARKER) return applyOpaque(state, parent, entry);
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw new LayerPathError(entry, 'whiteout names no file');
    return applyWhiteout(state, parent, victim, entry);
  }

  const dest = join(parent, base);
  const existing = lstatSync(dest, { throwIfNoEntry: false });
  markCreated(state, dest);

  switch (header.type) {
    case 'directory':
      if (!existing?.isDirectory()) {
        if (existing) removeAll(entry, dest);
        attempt(entry, dest, () => mkdirSync(dest, { mode: 0o700 }));
        // A dir replacing a whiteout (`.wh.x` then `x/`) must still hide the lower x's contents.
        if (state.opts.mode === 'overlay' && existing?.isCharacterDevice() && existing.rdev === 0) applyOpaque(state, dest, entry);
      }
      setOwner(state, header, dest);
      setXattrs(state, header, dest);
      state.dirs.push({ path: dest, header });
      return;
    case 'file':
      if (existing) removeAll(entry, dest);
      await writeFile(state, header, body, dest);
      return;
    case 'symlink':
      if (existing) removeAll(entry, dest);
      attempt(entry, dest, () => symlinkSync(header.linkname, dest));
      setOwner(state, header, dest);
      setXattrs(state, header, dest);
      attempt(entry, dest, () => lutimesSync(dest, header.mtime, header.mtime));
      return;
    case 'link': {
      const source = resolveLinkSource(state, header);
      if (existing) {
        const src = lstatSync(source);
        if (src.ino === existing.ino && src.dev === existing.dev) return;
        removeAll(entry, dest);
      }
      attempt(entry, dest, () => linkSync(source, dest));
      return;
    }
    case 'char':
    case 'block':
    case 'fifo': {
      if (existing) removeAll(entry, dest);
      const type = header.type === 'char' ? FileType.S_IFCHR : header.type === 'block' ? FileType.S_IFBLK : FileType.S_IFIFO;
      try {
        mknod(dest, type | 0o600, header.devmajor, header.devminor);
      } catch (err) {
        // Without CAP_MKNOD (rootless) device nodes cannot exist; containers/storage skips them too.
        if (header.type !== 'fifo' && !state.privileged && isErrnoError(err, 'EPERM')) return;
        throw applyFailure(entry, err, dest);
      }
      setOwner(state, header, dest);
      attempt(entry, dest, () => chmodSync(dest, header.mode));
      setXattrs(state, header, dest);
      attempt(entry, dest, () => utimesSync(dest, header.mtime, header.mtime));
      return;
    }
  }
}

/**
 * Writes a regular file. Calls are synchronous: a layer has thousands of small files and a
 * thread-pool round trip per open/write/chown/chmod/utimes/close would cost more than the work.
 */
async function writeFile(state: ApplyState, header: TarHeader, body: AsyncIterable<Buffer>, dest: string): Promise<void> {
  const entry = header.name;
  let fd: number;
  try {
    fd = openSync(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw applyFailure(entry, err, dest);
  }
  try {
    for await (const piece of body) {
      let off = 0;
      while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
    }
    if (state.opts.preserveOwnership) {
      const { uid, gid } = hostIds(state, header);
      fchownSync(fd, uid, gid);
    }
    // After chown, which clears setuid/setgid bits and security.capability.
    fchmodSync(fd, header.mode);
    setXattrs(state, header, dest);
    futimesSync(fd, header.mtime, header.mtime);
  } catch (err) {
    if (err instanceof TrowelError) throw err;
    throw applyFailure(entry, err, dest);
  } finally {
    closeSync(fd);
  }
}

/**
 * Without root, a dir a lower layer left read-only (0555 /usr) cannot take new entries:
 * give the owner write and search permission for the rest of this layer, and restore its
 * mode at the end.
 */
function unlockDir(state: ApplyState, dir: string, entry: string): void {
  if (state.unlocked.has(dir)) return;
  const st = lstatSync(dir);
  if ((st.mode & 0o300) === 0o300) return;
  state.unlocked.set(dir, st.mode & 0o7777);
  attempt(entry, dir, () => chmodSync(dir, (st.mode & 0o7777) | 0o300));
}

/** The host path a hardlink entry links to; it must already exist inside the root. */
function resolveLinkSource(state: ApplyState, header: TarHeader): string {
  const entry = header.name;
  if (header.linkname === '') throw new LayerPathError(entry, 'hardlink with an empty target');
  const target = entryComponents(header.linkname, entry);
  if (target.length === 0) throw new LayerPathError(entry, 'hardlink to the root');
  const dir = resolveDir(state.root, target.slice(0, -1), entry, false);
  const source = join(dir, target[target.length - 1]!);
  const st = lstatSync(source, { throwIfNoEntry: false });
  if (!st) throw new LayerApplyError(entry, `hardlink target ${JSON.stringify(header.linkname)} does not exist`);
  if (st.isDirectory()) throw new LayerPathError(entry, 'hardlink to a directory');
  return source;
}

function applyWhiteout(state: ApplyState, parent: string, victim: string, entry: string): void {
  const path = join(parent, victim);
  if (state.opts.mode === 'flatten') {
    removeAll(entry, path);
    return;
  }
  if (lstatSync(path, { throwIfNoEntry: false })) removeAll(entry, path);
  try {
    mknod(path, FileType.S_IFCHR, 0, 0);
  } catch (err) {
    if (!isErrnoError(err, 'EPERM')) throw applyFailure(entry, err, path);
    // Kernels before 5.8 refuse whiteout devices without CAP_MKNOD; fuse-overlayfs also reads
    // the OCI form, so keep it as a file.
    const marker = join(parent, `${WHITEOUT_PREFIX}${victim}`);
    attempt(entry, marker, () => rmSync(marker, { force: true }));
    attempt(entry, marker, () => writeFileSync(marker, '', { mode: 0o600, flag: 'wx' }));
  }
  markCreated(state, path);
}

function applyOpaque(state: ApplyState, dir: string, entry: string): void {
  if (state.opts.mode === 'overlay') {
    const name = state.opts.userxattr ? OPAQUE_XATTRS.user : OPAQUE_XATTRS.trusted;
    attempt(entry, dir, () => lsetxattr(dir, name, 'y'));
    return;
  }
  clearLower(state, dir, entry);
}

/**
 * Records that this layer wrote `path`, and so everything on the way to it: an opaque marker
 * later in the layer must keep those dirs (they may have been made implicitly, as parents).
 */
function markCreated(state: ApplyState, path: string): void {
  for (let p = path; p.length > state.root.length && !state.created.has(p); p = dirname(p)) state.created.add(p);
}

/** Deletes what lower layers put below `dir`, keeping what this layer created. */
function clearLower(state: ApplyState, dir: string, entry: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw applyFailure(entry, err, dir);
  }
  for (const name of names) {
    const path = join(dir, name);
    if (!state.created.has(path)) removeAll(entry, path);
    else if (lstatSync(path).isDirectory()) clearLower(state, path, entry);
  }
}

function removeAll(entry: string, path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    // Unprivileged, read-only dirs inside the subtree block removal: open them up and retry.
    if (!isErrnoError(err, 'EACCES', 'EPERM')) throw applyFailure(entry, err, path);
    makeTreeWritable(path);
    attempt(entry, path, () => rmSync(path, { recursive: true, force: true }));
  }
}

/** Gives the owner rwx on every real directory under (and at) `path`; symlinks are not followed. */
function makeTreeWritable(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  try {
    chmodSync(path, (st.mode & 0o7777) | 0o700);
    for (const name of readdirSync(path)) makeTreeWritable(join(path, name));
  } catch {
    // Not ours to change: the retried removal reports the real error.
  }
}

function hostIds(state: ApplyState, header: TarHeader): { uid: number; gid: number } {
  const map = state.opts.idMap;
  if (!map) return { uid: header.uid, gid: header.gid };
  try {
    return {
      uid: map.uids.length > 0 ? toHostId(map.uids, header.uid, 'uid') : header.uid,
      gid: map.gids.length > 0 ? toHostId(map.gids, header.gid, 'gid') : header.gid,
    };
  } catch (err) {
    throw new LayerApplyError(header.name, (err as Error).message);
  }
}

function setOwner(state: ApplyState, header: TarHeader, path: string): void {
  if (!state.opts.preserveOwnership) return;
  const { uid, gid } = hostIds(state, header);
  attempt(header.name, path, () => lchownSync(path, uid, gid));
}

function setXattrs(state: ApplyState, header: TarHeader, path: string): void {
  for (const [name, value] of header.xattrs) {
    // A layer may not forge overlay state (fake whiteouts, redirects) in the lower dir.
    if (isPrivateXattr(name)) continue;
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      // Filesystems without xattrs, user.* on symlinks, trusted.* without root: skipped, as
      // containers/storage does; anything else is a real failure.
      if (isErrnoError(err, 'ENOTSUP', 'EOPNOTSUPP')) continue;
      if (isErrnoError(err, 'EPERM') && (!state.privileged || header.type === 'symlink')) continue;
      throw applyFailure(header.name, err, path);
    }
  }
}

function attempt(entry: string, path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw applyFailure(entry, err, path);
  }
}

function applyFailure(entry: string, err: unknown, path: string): TrowelError {
  if (err instanceof TrowelError) return err;
  const code = isErrnoError(err) ? err.code : err instanceof Error ? err.message : String(err);
  return new LayerApplyError(entry, `${code}: ${path}`, { cause: err });
}
