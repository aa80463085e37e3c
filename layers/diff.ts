import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LayerDiffError } from './errors.js';
import {
  baseHeader, describe, entryBytes, READ_CHUNK, readXattrs, S_IFCHR, S_IFDIR, S_IFMT, statEntry, type EntryContext,
} from './fs-entry.js';
import type { IdMappings } from './id-map.js';
import { END_OF_ARCHIVE, encodeHeader } from './tar-header.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './whiteout.js';

/** Options of diffLayer. */
export interface DiffOptions {
  /**
   * Unix seconds (`--timestamp`, `SOURCE_DATE_EPOCH`). Every mtime later than it is clamped to
   * it, so the same content diffed twice gives the same bytes. Unset: mtimes as on disk.
   */
  timestamp?: number;
  /** 'clamp' (default): only later mtimes change; 'set': every mtime becomes `timestamp` (buildah --timestamp). */
  timestampMode?: 'clamp' | 'set';
  /** Host -> container id mapping for upper dirs written through a user namespace (rootless). */
  idMap?: IdMappings;
  /**
   * Paths (relative, no leading slash, e.g. `run/secrets`) left out of the layer with all they
   * contain: mount points of RUN --mount and secrets that appeared in the upper dir.
   */
  exclude?: ReadonlySet<string>;
}

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

interface DiffState extends EntryContext {
  upperDir: string;
  opts: DiffOptions;
}

function* generateLayer(upperDir: string, opts: DiffOptions): Generator<Buffer> {
  const state: DiffState = { upperDir, opts, links: new Map() };
  if ((statEntry(upperDir).mode & S_IFMT) !== S_IFDIR) throw new LayerDiffError(upperDir, 'not a directory');
  yield* walkDir(state, '');
  yield END_OF_ARCHIVE;
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
  const st = statEntry(abs);
  const fmt = st.mode & S_IFMT;

  // An overlay whiteout: a char device 0:0 (shared by hardlinks on recent kernels, so this test
  // comes before the hardlink table).
  if (fmt === S_IFCHR && st.rdev === 0n) {
    const slash = rel.lastIndexOf('/');
    const name = `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
    yield encodeHeader({ ...baseHeader(state, st), name, type: 'file', mode: 0o600, uid: 0, gid: 0, xattrs: new Map() });
    return;
  }

  const xattrs = readXattrs(abs);
  yield* entryBytes(state, rel, abs, st, xattrs.kept);
  if (fmt !== S_IFDIR) return;
  if (xattrs.opaque || exists(join(abs, OPAQUE_MARKER)) || isWhiteoutDevice(join(abs, FUSE_OPAQUE_WHITEOUT))) {
    yield encodeHeader({ ...baseHeader(state, st), name: `${rel}/${OPAQUE_MARKER}`, type: 'file', mode: 0o600, uid: 0, gid: 0, xattrs: new Map() });
  }
  yield* walkDir(state, rel);
}

/**
 * fuse-overlayfs makes a dir opaque with the xattr, a `.wh..wh..opq` file and a char 0:0
 * device named `.wh..opq` (which, read as an overlay whiteout, is the OCI opaque marker).
 */
const FUSE_OPAQUE_WHITEOUT = OPAQUE_MARKER.slice(WHITEOUT_PREFIX.length);

function isWhiteoutDevice(path: string): boolean {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st !== undefined && (st.mode & S_IFMT) === S_IFCHR && st.rdev === 0n;
}

function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}
