/**
 * A layer tar written from a plan instead of an upper dir: the caller describes the entries
 * (a tree of directories, files whose bytes come from host files, and symlinks) and gets the
 * bytes `diffLayer` would give for an upper dir holding exactly that tree. It lets a COPY
 * become a layer without first writing its files anywhere.
 */
import { Readable } from 'node:stream';
import { READ_CHUNK, readContent, readXattrs } from './fs-entry.js';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tar-header.js';

/** One entry of a planned layer. Ids are the container's; `mtime` is unix seconds. */
export type PlannedEntry =
  | { type: 'directory'; mode: number; uid: number; gid: number; mtime: number; xattrs?: Map<string, Buffer>; children: Map<string, PlannedEntry> }
  | { type: 'file'; mode: number; uid: number; gid: number; mtime: number; size: number; /** Host file holding the content (its first `size` bytes). */ source: string }
  | { type: 'symlink'; uid: number; gid: number; mtime: number; target: string };

/** Options of {@link plannedLayer}: the same timestamp rules as `diffLayer`. */
export interface PlannedLayerOptions {
  /** Unix seconds: later mtimes are clamped to it (or all set to it with `timestampMode: 'set'`). */
  timestamp?: number;
  timestampMode?: 'clamp' | 'set';
}

/**
 * The uncompressed layer tar of `top` (the entries at the layer's root), byte for byte what
 * `diffLayer` makes of an upper dir holding that tree: depth-first, siblings sorted by name
 * (JavaScript string order), directories as `name/` before their contents, symlinks with mode
 * 0777, no hardlinks, empty uname/gname, then the end-of-archive blocks. A file is read when its
 * entry is reached; if it shrank below `size` the stream fails with LayerDiffError.
 */
export function plannedLayer(top: Map<string, PlannedEntry>, opts: PlannedLayerOptions = {}): Readable {
  return Readable.from(generate(top, opts), { objectMode: false, highWaterMark: 4 * READ_CHUNK });
}

/** The xattrs of a host path as a layer carries them (overlay-private and system ones left out). */
export function layerXattrs(path: string): Map<string, Buffer> {
  return readXattrs(path).kept;
}

function* generate(top: Map<string, PlannedEntry>, opts: PlannedLayerOptions): Generator<Buffer> {
  yield* walk(top, '', opts);
  yield END_OF_ARCHIVE;
}

function* walk(dir: Map<string, PlannedEntry>, prefix: string, opts: PlannedLayerOptions): Generator<Buffer> {
  for (const name of [...dir.keys()].sort()) {
    const e = dir.get(name)!;
    const rel = `${prefix}${name}`;
    const base = { uid: e.uid, gid: e.gid, mtime: layerTime(e.mtime, opts), linkname: '', devmajor: 0, devminor: 0, size: 0 };
    switch (e.type) {
      case 'directory':
        yield encodeHeader({ ...base, name: `${rel}/`, type: 'directory', mode: e.mode, xattrs: e.xattrs ?? new Map() });
        yield* walk(e.children, `${rel}/`, opts);
        break;
      case 'file':
        yield encodeHeader({ ...base, name: rel, type: 'file', mode: e.mode, size: e.size, xattrs: new Map() });
        yield* readContent(e.source, e.size);
        yield paddingFor(e.size);
        break;
      case 'symlink':
        yield encodeHeader({ ...base, name: rel, type: 'symlink', mode: 0o777, linkname: e.target, xattrs: new Map() });
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
  }
}

/** The mtime a header gets: as `diffLayer` clamps or sets it. */
function layerTime(seconds: number, opts: PlannedLayerOptions): number {
  const ts = opts.timestamp;
  if (ts === undefined) return seconds;
  return opts.timestampMode === 'set' || seconds > ts ? ts : seconds;
}
