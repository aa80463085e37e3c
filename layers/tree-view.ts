/**
 * Read-only views of a root filesystem for diffTrees: a plain directory, or a stack of
 * overlay lower dirs read top-down the way overlay merges them, without mounting anything
 * (so it works unprivileged and inside a user namespace alike).
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isErrnoError, lgetxattr } from '../native/index.js';
import { LayerDiffError } from './errors.js';
import { describe } from './fs-entry.js';
import { OPAQUE_MARKER, OPAQUE_XATTRS, WHITEOUT_PREFIX } from './whiteout.js';

/** A tree addressed by relative paths (`''` is the root, `a/b` below it). */
export interface TreeView {
  /** Sorted visible names in directory `rel`; none when `rel` is missing or not a directory. */
  list(rel: string): string[];
  /** The on-disk path holding the visible entry `rel` (never a whiteout), or undefined. */
  locate(rel: string): string | undefined;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (err) {
    throw new LayerDiffError(p, describe(err));
  }
}

function readNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new LayerDiffError(dir, describe(err));
  }
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** A plain directory: every entry is what it is (a 0/0 device is a device, not a whiteout). */
export function directoryView(root: string): TreeView {
  return {
    list(rel) {
      const dir = join(root, rel);
      return lstatOrUndefined(dir)?.isDirectory() ? readNames(dir).sort() : [];
    },
    locate(rel) {
      const p = join(root, rel);
      return lstatOrUndefined(p) ? p : undefined;
    },
  };
}

/** An overlay whiteout on disk: a 0/0 character device. */
function isWhiteoutNode(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaqueDir(dir: string): boolean {
  for (const name of [OPAQUE_XATTRS.trusted, OPAQUE_XATTRS.user, OPAQUE_XATTRS.fuse]) {
    try {
      if (lgetxattr(dir, name)?.toString() === 'y') return true;
    } catch (err) {
      // A filesystem without xattrs has no opaque markers of that kind.
      if (!isErrnoError(err, 'ENOTSUP', 'EOPNOTSUPP')) throw new LayerDiffError(dir, describe(err));
    }
  }
  // fuse-overlayfs may also mark a dir opaque with an OCI-style marker file.
  return lstatOrUndefined(join(dir, OPAQUE_MARKER)) !== undefined;
}

/**
 * Overlay lower dirs (topmost first) seen as the one tree overlay would show: an entry comes
 * from the topmost layer that has it; a whiteout (0/0 character device, or a fuse-overlayfs
 * `.wh.<name>` file) hides it and everything below; a directory merges the same directory of
 * lower layers until one is opaque (overlay's `opaque` xattr, trusted or user namespace, or a
 * `.wh..wh..opq` file) or a layer has a non-directory there. The layers' root directories
 * always merge, as overlay's do.
 */
export function lowerStackView(lowerDirs: readonly string[]): TreeView {
  // Directories in the layers that make up each merged directory, topmost first.
  const layersOf = new Map<string, string[]>([['', [...lowerDirs]]]);
  const dirLayers = (rel: string): string[] => {
    const known = layersOf.get(rel);
    if (known) return known;
    const out: string[] = [];
    const name = baseName(rel);
    for (const parent of dirLayers(parentOf(rel))) {
      if (lstatOrUndefined(join(parent, WHITEOUT_PREFIX + name))) break;
      const p = join(parent, name);
      const st = lstatOrUndefined(p);
      if (!st) continue;
      if (!st.isDirectory()) break;
      out.push(p);
      if (isOpaqueDir(p)) break;
    }
    // A depth-first walk needs only the current path's entries again: bound the memo.
    if (layersOf.size > 4096) {
      layersOf.clear();
      layersOf.set('', [...lowerDirs]);
    }
    layersOf.set(rel, out);
    return out;
  };
  return {
    list(rel) {
      const decided = new Set<string>();
      const visible: string[] = [];
      for (const dir of dirLayers(rel)) {
        const names = readNames(dir);
        // Whiteout files of a layer hide names of that layer's lower neighbours only.
        const hidden = names.filter((n) => n.startsWith(WHITEOUT_PREFIX) && n !== OPAQUE_MARKER).map((n) => n.slice(WHITEOUT_PREFIX.length));
        for (const name of names) {
          if (name.startsWith(WHITEOUT_PREFIX) || decided.has(name)) continue;
          decided.add(name);
          const st = lstatOrUndefined(join(dir, name));
          if (st && !isWhiteoutNode(st)) visible.push(name);
        }
        for (const h of hidden) decided.add(h);
      }
      return visible.sort();
    },
    locate(rel) {
      if (rel === '') return lowerDirs[0];
      const name = baseName(rel);
      for (const parent of dirLayers(parentOf(rel))) {
        const p = join(parent, name);
        const st = lstatOrUndefined(p);
        if (st) return isWhiteoutNode(st) ? undefined : p;
        if (lstatOrUndefined(join(parent, WHITEOUT_PREFIX + name))) return undefined;
      }
      return undefined;
    },
  };
}
