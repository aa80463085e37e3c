/**
 * Turning one file-system entry into tar bytes: the part the overlay diff and the naive
 * (two-tree) diff share. Internal to layers/.
 */

import { closeSync, lstatSync, openSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { isErrnoError, lgetxattr, llistxattr } from '../native/index.js';
import { LayerDiffError } from './errors.js';
import { toContainerId, type IdMappings } from './id-map.js';
import { encodeHeader, paddingFor } from './tar-header.js';
import { isPrivateXattr, OPAQUE_XATTRS, UNSUPPORTED_OVERLAY_XATTRS } from './whiteout.js';

export const READ_CHUNK = 1 << 20;
export const S_IFMT = 0o170000n;
export const S_IFREG = 0o100000n;
export const S_IFDIR = 0o040000n;
export const S_IFLNK = 0o120000n;
export const S_IFCHR = 0o020000n;
export const S_IFBLK = 0o060000n;
export const S_IFIFO = 0o010000n;
export const S_IFSOCK = 0o140000n;

/** Options that shape every entry's header. */
export interface EntryOptions {
  /** Unix seconds: later mtimes are clamped to it (or all set to it, see timestampMode). */
  timestamp?: number;
  /**
   * 'clamp' (default): mtimes later than `timestamp` become `timestamp` (SOURCE_DATE_EPOCH
   * with --rewrite-timestamp). 'set': every mtime becomes `timestamp` (buildah --timestamp).
   */
  timestampMode?: 'clamp' | 'set';
  /** Host -> container ids. */
  idMap?: IdMappings;
}

/** Per-layer state: options and the hardlink table (dev:ino -> first name written). */
export interface EntryContext {
  opts: EntryOptions;
  links: Map<string, string>;
}

export function describe(err: unknown): string {
  if (isErrnoError(err)) return `${err.code}${err.syscall ? ` (${err.syscall})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** lstat with bigint fields (inode numbers and nanosecond times stay exact). */
export function statEntry(path: string): BigIntStats {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    throw new LayerDiffError(path, describe(err));
  }
}

/** The header fields every entry type shares. */
export function baseHeader(ctx: EntryContext, st: BigIntStats) {
  return {
    mode: Number(st.mode & 0o7777n),
    uid: mapId(ctx, 'uids', Number(st.uid)),
    gid: mapId(ctx, 'gids', Number(st.gid)),
    mtime: clampTime(ctx, st),
    linkname: '',
    devmajor: 0,
    devminor: 0,
    size: 0,
  };
}

function mapId(ctx: EntryContext, which: 'uids' | 'gids', hostId: number): number {
  const map = ctx.opts.idMap?.[which];
  return map && map.length > 0 ? toContainerId(map, hostId) : hostId;
}

function clampTime(ctx: EntryContext, st: BigIntStats): number {
  const seconds = Number(st.mtimeNs / 1_000_000_000n) - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0);
  const ts = ctx.opts.timestamp;
  if (ts === undefined) return seconds;
  return ctx.opts.timestampMode === 'set' || seconds > ts ? ts : seconds;
}

/** The xattrs that go into the layer, and whether the entry is an opaque overlay dir. */
export function readXattrs(abs: string): { kept: Map<string, Buffer>; opaque: boolean } {
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
export function* readContent(abs: string, size: number): Generator<Buffer> {
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

/**
 * The tar bytes of one entry that is not a whiteout: header, then content and padding for a
 * regular file. A name already written for the same inode becomes a hardlink to it. A
 * directory gives only its header (`rel/`); the caller walks its contents. Sockets give
 * nothing (tar cannot hold them).
 */
export function* entryBytes(ctx: EntryContext, rel: string, abs: string, st: BigIntStats, xattrs: Map<string, Buffer>): Generator<Buffer> {
  const fmt = st.mode & S_IFMT;
  if (fmt === S_IFSOCK) return;
  const base = baseHeader(ctx, st);
  if (fmt !== S_IFDIR && st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`;
    const first = ctx.links.get(key);
    if (first !== undefined) {
      yield encodeHeader({ ...base, name: rel, type: 'link', linkname: first, xattrs: new Map() });
      return;
    }
    ctx.links.set(key, rel);
  }
  switch (fmt) {
    case S_IFDIR:
      yield encodeHeader({ ...base, name: `${rel}/`, type: 'directory', xattrs });
      return;
    case S_IFREG: {
      const size = Number(st.size);
      yield encodeHeader({ ...base, name: rel, type: 'file', size, xattrs });
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
      yield encodeHeader({ ...base, name: rel, type: 'symlink', linkname: target, xattrs });
      return;
    }
    case S_IFCHR:
    case S_IFBLK:
      yield encodeHeader({
        ...base, name: rel, type: fmt === S_IFCHR ? 'char' : 'block', xattrs,
        devmajor: deviceMajor(st.rdev), devminor: deviceMinor(st.rdev),
      });
      return;
    case S_IFIFO:
      yield encodeHeader({ ...base, name: rel, type: 'fifo', xattrs });
      return;
    default:
      throw new LayerDiffError(abs, `unsupported file type 0o${fmt.toString(8)}`);
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
