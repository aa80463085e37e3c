/**
 * Shifting a directory tree between container ids and the host ids a user namespace maps them
 * to (`--userns-uid-map 0:100000:65536`: container 0 is host 100000), so a RUN in that
 * namespace sees its files with the right owners, and what it wrote comes back as container ids.
 */
import { chmodSync, lchownSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, lsetxattr } from '../../native/index.js';
import type { IdMapping } from '../../native/index.js';

/** The uid and gid maps of a user namespace (container id -> host id ranges). */
export interface IdMaps {
  uidMappings: readonly IdMapping[];
  gidMappings: readonly IdMapping[];
}

/** Which way a shift goes. */
export type ShiftDirection = 'to-host' | 'to-container';

const CAPABILITY = 'security.capability';

/**
 * Maps one id through `maps`: container -> host (`to-host`) or back. An id outside every range
 * stays as it is (the namespace shows it as the overflow id, as the kernel would).
 */
export function mapId(id: number, maps: readonly IdMapping[], direction: ShiftDirection): number {
  for (const m of maps) {
    const from = direction === 'to-host' ? m.containerId : m.hostId;
    const to = direction === 'to-host' ? m.hostId : m.containerId;
    if (id >= from && id < from + m.size) return to + (id - from);
  }
  return id;
}

/** Whether the maps change nothing (container id n is host id n wherever mapped). */
export function isIdentity(maps: IdMaps): boolean {
  return [...maps.uidMappings, ...maps.gidMappings].every((m) => m.containerId === m.hostId);
}

/**
 * Re-owns every entry under `root` (the root included, links not followed) through the maps.
 * A hard-linked inode is shifted once. chown clears set-id bits and file capabilities, so both
 * are put back. Identity maps change nothing and cost nothing.
 */
export function shiftTree(root: string, maps: IdMaps, direction: ShiftDirection): void {
  if (isIdentity(maps)) return;
  const seen = new Set<string>();
  const visit = (path: string, st: Stats): void => {
    if (st.nlink <= 1 || st.isDirectory() || !seen.has(`${st.dev}:${st.ino}`)) {
      if (st.nlink > 1 && !st.isDirectory()) seen.add(`${st.dev}:${st.ino}`);
      const uid = mapId(st.uid, maps.uidMappings, direction);
      const gid = mapId(st.gid, maps.gidMappings, direction);
      if (uid !== st.uid || gid !== st.gid) {
        const caps = st.isFile() ? lgetxattr(path, CAPABILITY) : null;
        lchownSync(path, uid, gid);
        if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) chmodSync(path, st.mode & 0o7777);
        if (caps !== null) lsetxattr(path, CAPABILITY, caps);
      }
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) {
        const p = join(path, name);
        visit(p, lstatSync(p));
      }
    }
  };
  visit(root, lstatSync(root));
}
