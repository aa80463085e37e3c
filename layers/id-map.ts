import { InvalidArgumentError } from '../oci/error.js';

/** One contiguous range of a user namespace map: `size` ids from `containerID` map to `hostID`. */
export interface IdMapEntry {
  containerID: number;
  hostID: number;
  size: number;
}

/** The uid and gid maps of a user namespace, as in /proc/<pid>/uid_map. */
export interface IdMappings {
  uids: IdMapEntry[];
  gids: IdMapEntry[];
}

/**
 * Maps a host id to its container id. Ids outside every range map to the overflow id 65534
 * (what the kernel shows for unmapped ids), so an unexpected owner never becomes root.
 */
export function toContainerId(map: readonly IdMapEntry[], hostID: number): number {
  for (const r of map) {
    if (hostID >= r.hostID && hostID < r.hostID + r.size) return r.containerID + (hostID - r.hostID);
  }
  return 65534;
}

/**
 * Maps a container id to its host id; throws InvalidArgumentError naming the id when no
 * range covers it (writing a file owned by an unmapped id would give it to a stranger).
 */
export function toHostId(map: readonly IdMapEntry[], containerID: number, what = 'id'): number {
  for (const r of map) {
    if (containerID >= r.containerID && containerID < r.containerID + r.size) return r.hostID + (containerID - r.containerID);
  }
  throw new InvalidArgumentError(`map ${what} ${containerID}: not covered by the user namespace mapping`);
}
