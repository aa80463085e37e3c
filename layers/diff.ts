import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isErrnoError, lgetxattr, llistxattr } from '../native/index.js';
import { LayerDiffError } from './errors.js';
import { toContainerId, type IdMappings } from './id-map.js';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tar-header.js';
import {
  isPrivateXattr, OPAQUE_MARKER, OPAQUE_XATTRS, UNSUPPORTED_OVERLAY_XATTRS, WHITEOUT_PREFIX,
} from './whiteout.js';

/** Options of diffLayer. */
export interface DiffOptions {
  /**
   * Unix seconds (`--timestamp`, `SOURCE_DATE_EPOCH`). Every mtime later than it is clamped to
   * it, so the same content diffed twice gives the same bytes. Unset: mtimes as on disk.
   */
  timestamp?: number;
  /** Host -> container id mapping for upper dirs written through a user namespace (rootless). */
  idMap?: IdMappings;
  /**
   * Paths (relative, no leading slash, e.g. `run/secrets`) left out of the layer with all they
   * contain: mount points of RUN --mount and secrets that appeared in the upper dir.
   */
  exclude?: ReadonlySet<string>;
}

const READ_CHUNK = 1 << 20;
const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const S_IFDIR = 0o040000n;
const S_IFLNK = 0o120000n;
const S_IFCHR = 0o020000n;
const S_IFBLK = 0o060000n;
const S_IFIFO = 0o010000n;

/**
 * The layer tar of an overlay upper directory, as a Readable of bytes (uncompressed).
 *
 * Reads only `upperDir`, never the merged tree. Entries come depth-first, siblings sorted by
 * name, each dir before its contents and an opaque dir's `.wh..wh..opq` right after the dir.
 * Overlay whiteouts become OCI whiteouts (see layers/README.md). Errors (unreadable entries,
 * overlay redirects) make the stream fail with LayerDiffError.
 */
export function diffLayer(upperDir: string, opts: DiffOptions = {}): Readable {
  return Readable.from(generateLayer(upperDir, opts), { objectMode: false, highWaterMark: 4 * READ_CHUNK });
}

/** Context of one diff: options and the hardlink table (dev:ino -> first name). */
interface DiffState {
  upperDir: string;
  opts: DiffOptions;
  links: Map<string, string>;
}

function* generateLayer(upperDir: string, opts: DiffOptions): Generator<Buffer> {
  const state: DiffState = { upperDir, opts, links: new Map() };
  const rootStat = statOrThrow(upperDir, upperDir);
  if ((rootStat.mode & S_IFMT) !== S_IFDIR) throw new LayerDiffError(upperDir, 'not a directory');
  yield* walkDir(state, '');
  yield END_OF_ARCHIVE;
}

function statOrThrow(path: string, display: string): BigIntStats {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    throw new LayerDiffError(display, describe(err));
  }
}

function describe(err: unknown): string {
  if (isErrnoError(err)) return `${err.code}${err.syscall ? ` (${err.syscall})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** Emits the entries below `rel` ('' = the upper dir itself, which gets no entry). */
function* walkDir(state: DiffState, rel: string): Generator<Buffer> {
  const abs = join(state.upperDir, rel);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (err) {
    throw new LayerDiffError(abs, describe(err));
  }
  names.sort();
  for (const name of names) {
    // fuse-overlayfs marks opaque dirs with these as well as the xattr; they were emitted
    // as one OCI opaque marker right after the dir.
    if (name === OPAQUE_MARKER || (name === FUSE_OPAQUE_WHITEOUT && isWhiteoutDevice(join(abs, name)))) continue;
    const child = rel === '' ? name : `${rel}/${name}`;
    if (state.opts.exclude?.has(child)) continue;
    yield* emitPath(state, child);
  }
}

function* emitPath(state: DiffState, rel: string): Generator<Buffer> {
  const abs = join(state.upperDir, rel);
  const st = statOrThrow(abs, abs);
  const fmt = st.mode & S_IFMT;
  const base = {
    mode: Number(st.mode & 0o7777n),
    uid: mapId(state, 'uids', Number(st.uid)),
    gid: mapId(state, 'gids', Number(st.gid)),
    mtime: clampTime(state, st),
    linkname: '',
    devmajor: 0,
    devminor: 0,
    size: 0,
  };

  // An overlay whiteout: a char device 0:0 (shared by hardlinks on recent kernels, so this test
  // comes before the hardlink table).
  if (fmt === S_IFCHR && st.rdev === 0n) {
    const slash = rel.lastIndexOf('/');
    const name = `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
    yield encodeHeader({ ...base, name, type: 'file', mode: 0o600, uid: 0, gid: 0, xattrs: new Map() });
    return;
  }
  if (fmt === 0o140000n) return; // sockets cannot be stored in a tar

  const xattrs = readXattrs(abs);
  const isDir = fmt === S_IFDIR;
  if (!isDir && st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`;
    const first = state.links.get(key);
    if (first !== undefined) {
      yield encodeHeader({ ...base, name: rel, type: 'link', linkname: first, xattrs: new Map() });
      return;
    }
    state.links.set(key, rel);
  }

  switch (fmt) {
    case S_IFDIR: {
      yield encodeHeader({ ...base, name: `${rel}/`, type: 'directory', xattrs: xattrs.kept });
      if (xattrs.opaque || exists(join(abs, OPAQUE_MARKER)) || isWhiteoutDevice(join(abs, FUSE_OPAQUE_WHITEOUT))) {
        yield encodeHeader({ ...base, name: `${rel}/${OPAQUE_MARKER}`, type: 'file', mode: 0o600, uid: 0, gid: 0, xattrs: new Map() });
      }
      yield* walkDir(state, rel);
      return;
    }
    case S_IFREG: {
      const size = Number(st.size);
      yield encodeHeader({ ...base, name: rel, type: 'file', size, xattrs: xattrs.kept });
      yield* readContent(abs, size);
      yield paddingFor(size);
      return;
    }
    case S_IFLNK: {
      let target: string;
      try {
        target = readlinkSync(abs);
      } catch (err) {
        throw new LayerDiffError(abs, describe(err));
      }
      yield encodeHeader({ ...base, name: rel, type: 'symlink', linkname: target, xattrs: xattrs.kept });
      return;
    }
    case S_IFCHR:
    case S_IFBLK: {
      yield encodeHeader({
        ...base, name: rel, type: fmt === S_IFCHR ? 'char' : 'block', xattrs: xattrs.kept,
        devmajor: deviceMajor(st.rdev), devminor: deviceMinor(st.rdev),
      });
      return;
    }
    case S_IFIFO:
      yield encodeHeader({ ...base, name: rel, type: 'fifo', xattrs: xattrs.kept });
      return;
    default:
      throw new LayerDiffError(abs, `unsupported file type 0o${fmt.toString(8)}`);
  }
}

function mapId(state: DiffState, which: 'uids' | 'gids', hostId: number): number {
  const map = state.opts.idMap?.[which];
  return map && map.length > 0 ? toContainerId(map, hostId) : hostId;
}

function clampTime(state: DiffState, st: BigIntStats): number {
  const seconds = Number(st.mtimeNs / 1_000_000_000n) - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0);
  const ts = state.opts.timestamp;
  return ts !== undefined && seconds > ts ? ts : seconds;
}

/**
 * fuse-overlayfs makes a dir opaque with the xattr, a `.wh..wh..opq` file and a char 0:0
 * device named `.wh..opq` (which, read as an overlay whiteout, is the OCI opaque marker).
 */
const FUSE_OPAQUE_WHITEOUT = OPAQUE_MARKER.slice(WHITEOUT_PREFIX.length);

function isWhiteoutDevice(path: string): boolean {
  try {
    const st = lstatSync(path, { bigint: true });
    return (st.mode & S_IFMT) === S_IFCHR && st.rdev === 0n;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** The xattrs that go into the layer, and whether the entry is an opaque overlay dir. */
function readXattrs(abs: string): { kept: Map<string, Buffer>; opaque: boolean } {
  const kept = new Map<string, Buffer>();
  let opaque = false;
  let names: string[];
  try {
    names = llistxattr(abs);
  } catch (err) {
    if (isErrnoError(err, 'ENOTSUP', 'EOPNOTSUPP')) return { kept, opaque };
    throw new LayerDiffError(abs, `list xattrs: ${describe(err)}`);
  }
  for (const name of names) {
    if (UNSUPPORTED_OVERLAY_XATTRS.includes(name)) {
      throw new LayerDiffError(abs, `overlay ${name} is set; mount overlay with redirect_dir=off,metacopy=off`);
    }
    if (name === OPAQUE_XATTRS.trusted || name === OPAQUE_XATTRS.user || name === OPAQUE_XATTRS.fuse) {
      if (lgetxattr(abs, name)?.toString() === 'y') opaque = true;
      continue;
    }
    if (isPrivateXattr(name)) continue;
    const value = lgetxattr(abs, name);
    if (value !== null) kept.set(name, value);
  }
  return { kept, opaque };
}

/**
 * Exactly `size` bytes of a file, in fresh chunks (downstream may hold on to them). Reads are
 * synchronous: for the thousands of small files of a typical layer, a round trip through
 * the thread pool per call costs more than the read itself.
 */
function* readContent(abs: string, size: number): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (err) {
    throw new LayerDiffError(abs, describe(err));
  }
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, READ_CHUNK));
      let filled = 0;
      while (filled < buf.length) {
        const n = readSync(fd, buf, filled, buf.length - filled, size - left + filled);
        if (n === 0) throw new LayerDiffError(abs, 'file shrank while it was being read');
        filled += n;
      }
      left -= filled;
      yield buf;
    }
  } finally {
    closeSync(fd);
  }
}

/** major(3) of a Linux dev_t. */
function deviceMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

/** minor(3) of a Linux dev_t. */
function deviceMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}
