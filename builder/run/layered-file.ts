/**
 * Reads a file of a working container without mounting it: looks through the upper dir, then
 * the lower dirs topmost first, honouring overlay whiteouts and opaque directories, and
 * following symlinks inside the container root (never onto the host). Used before a RUN to
 * read /etc/passwd, /etc/group and /etc/hosts of the image.
 */
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { lgetxattr } from '../../native/fsops.js';

/** The directories making up a root, topmost first (a single directory for vfs). */
export type LayerDirs = readonly string[];

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function isOpaque(p: string): boolean {
  try {
    const v = lgetxattr(p, 'trusted.overlay.opaque') ?? lgetxattr(p, 'user.overlay.opaque');
    return v?.toString() === 'y';
  } catch {
    return false;
  }
}

/** The topmost entry for a clean container path (no symlinks followed), or undefined if absent. */
function findEntry(layers: LayerDirs, rel: string[]): { path: string; st: Stats } | undefined {
  for (const layer of layers) {
    let hidden = false;
    let stop = false;
    // A whiteout of the entry or of any parent in this layer hides everything below.
    for (let i = 1; i <= rel.length; i++) {
      const p = join(layer, ...rel.slice(0, i));
      const st = lstatOrUndefined(p);
      if (!st) break;
      if (st.isCharacterDevice() && st.rdev === 0) {
        hidden = true;
        break;
      }
      if (i === rel.length) return { path: p, st };
      if (!st.isDirectory()) {
        hidden = true; // a file shadows a directory of lower layers
        break;
      }
      if (isOpaque(p)) stop = true;
    }
    if (hidden) return undefined;
    if (stop) {
      // The parent is opaque here: lower layers cannot supply the entry.
      return undefined;
    }
  }
  return undefined;
}

/**
 * Resolves `path` inside the layered root, following symlinks (absolute ones from the container
 * root) with at most 40 hops, and returns the host path of the file, or undefined when absent.
 */
export function resolveInLayers(layers: LayerDirs, path: string): string | undefined {
  let parts = posix.normalize('/' + path).split('/').filter(Boolean);
  let hops = 0;
  for (let i = 0; i < parts.length; i++) {
    const entry = findEntry(layers, parts.slice(0, i + 1));
    if (!entry) return undefined;
    if (entry.st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const link = readlinkSync(entry.path);
      const base = link.startsWith('/') ? [] : parts.slice(0, i);
      // normalize clamps `..` at the container root, like RESOLVE_IN_ROOT.
      parts = posix.normalize('/' + [...base, link, ...parts.slice(i + 1)].join('/')).split('/').filter(Boolean);
      i = -1;
      continue;
    }
    if (i === parts.length - 1) return entry.path;
  }
  return undefined;
}

/** The text of a container file, or undefined when it does not exist or is not a regular file. */
export function readLayeredFile(layers: LayerDirs, path: string): string | undefined {
  const p = resolveInLayers(layers, path);
  if (!p) return undefined;
  const st = lstatOrUndefined(p);
  if (!st?.isFile()) return undefined;
  return readFileSync(p, 'utf8');
}
