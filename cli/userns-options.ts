/**
 * buildah's user namespace flags (`--userns`, `--userns-uid-map`, `--userns-gid-map`,
 * `--userns-uid-map-user`, `--userns-gid-map-group`) turned into the id maps RUN steps use.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import type { IdMapping } from '../native/index.js';
import type { IdMaps } from '../builder/run/id-shift.js';
import { readSubIdRanges, ROOTLESS_UID_ENV } from '../builder/run/user-namespace.js';

/** The flags as yargs gives them. */
export interface UsernsFlags {
  userns?: string;
  uidMaps: string[];
  gidMaps: string[];
  uidMapUser?: string;
  gidMapGroup?: string;
}

/** Where ids are read from (tests point these elsewhere). */
export interface UsernsSetup {
  subuidFile?: string;
  subgidFile?: string;
  /** The text of this process's /proc/self/uid_map and gid_map. */
  ownUidMap?: string;
  ownGidMap?: string;
  /** Whether trowel runs rootless (default: it re-entered its user namespace). */
  rootless?: boolean;
  /** The command messages name (default `bud`). */
  command?: string;
}

/**
 * Every id this process's own namespace has, mapped onto itself: buildah's `--userns=container`
 * without maps. As root that is all ids (`0 0 4294967295`); rootless, the user's id and its
 * sub-ids as the rootless namespace numbers them (adjacent ranges merged).
 */
export function ownIdentity(mapText: string): IdMapping[] {
  const ranges = mapText.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every((n) => Number.isSafeInteger(n)))
    .map(([inside, , size]) => ({ start: inside!, size: size! }))
    .sort((a, b) => a.start - b.start);
  const out: IdMapping[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.containerId + last.size === r.start) last.size += r.size;
    else out.push({ containerId: r.start, hostId: r.start, size: r.size });
  }
  return out;
}

function readOwnMap(which: 'uid_map' | 'gid_map'): string {
  try {
    return readFileSync(`/proc/self/${which}`, 'utf8');
  } catch {
    return '0 0 4294967295';
  }
}

/**
 * Parses `CONTAINER:HOST:SIZE[,…]` triples (the flag may also be repeated).
 * @throws InvalidArgumentError naming the flag and value.
 */
export function parseIdMap(flag: string, values: readonly string[]): IdMapping[] {
  const out: IdMapping[] = [];
  for (const value of values) {
    for (const triple of value.split(',').filter((t) => t !== '')) {
      const parts = triple.split(':');
      const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
      if (parts.length !== 3 || nums.some((n) => !Number.isSafeInteger(n)) || nums[2] === 0) {
        throw new InvalidArgumentError(`parse ${flag} ${JSON.stringify(value)}: want containerID:hostID:length with a length above 0`);
      }
      out.push({ containerId: nums[0]!, hostId: nums[1]!, size: nums[2]! });
    }
  }
  checkMap(flag, out);
  return out;
}

/** Ranges must not overlap on either side, ids must fit in 32 bits, and root must be mapped. */
function checkMap(flag: string, maps: readonly IdMapping[]): void {
  const overlaps = (key: 'containerId' | 'hostId') => {
    const sorted = [...maps].sort((a, b) => a[key] - b[key]);
    return sorted.some((m, i) => i > 0 && sorted[i - 1]![key] + sorted[i - 1]!.size > m[key]);
  };
  if (maps.some((m) => m.containerId + m.size > 4294967295 || m.hostId + m.size > 4294967295)) {
    throw new InvalidArgumentError(`parse ${flag}: a range goes past id 4294967294`);
  }
  if (overlaps('containerId')) throw new InvalidArgumentError(`parse ${flag}: container id ranges overlap`);
  if (overlaps('hostId')) throw new InvalidArgumentError(`parse ${flag}: host id ranges overlap`);
  if (!maps.some((m) => m.containerId === 0)) throw new InvalidArgumentError(`parse ${flag}: container id 0 (root) must be mapped`);
}

/** Container ids from 0 onto the ranges /etc/subuid (or /etc/subgid) gives `name`. */
function subIdMap(flag: string, file: string, name: string): IdMapping[] {
  let uid = -1;
  try {
    if (userInfo().username === name) uid = userInfo().uid;
  } catch {
    /* no passwd entry: match by name only */
  }
  const ranges = readSubIdRanges(file, { name, uid });
  if (ranges.length === 0) throw new InvalidArgumentError(`parse ${flag} ${name}: no range for ${name} in ${file}`);
  const out: IdMapping[] = [];
  let next = 0;
  for (const r of ranges) {
    out.push({ containerId: next, hostId: r.start, size: r.count });
    next += r.count;
  }
  checkMap(flag, out);
  return out;
}

/**
 * The id maps for RUN steps, or undefined for the host's user namespace (`--userns=host`, the
 * default). As buildah: a uid map without a gid map (or the reverse) serves for both; a
 * `--userns-uid-map-user` without a group takes the same name's /etc/subgid ranges; maps imply
 * `--userns=container`; `--userns=container` without maps maps every id onto itself
 * ({@link ownIdentity}). Rootless, maps name ids of the rootless namespace (0 is the user,
 * 1… its sub-ids): they must lie within it and leave its id 0 out, which the kernel will not
 * map again; `container` without maps is then refused.
 * @throws InvalidArgumentError for malformed maps or maps with `--userns=host`;
 *   NotImplementedError for `ns:PATH`, `auto`, a namespace path, and sub-id maps rootless.
 */
export function resolveUsernsFlags(f: UsernsFlags, setup: UsernsSetup = {}): IdMaps | undefined {
  const mode = f.userns ?? '';
  const anyMap = f.uidMaps.length > 0 || f.gidMaps.length > 0 || f.uidMapUser !== undefined || f.gidMapGroup !== undefined;
  if (mode === 'host' || (mode === '' && !anyMap)) {
    if (anyMap) throw new InvalidArgumentError('parse --userns host: id maps (--userns-uid-map, …) need --userns=container');
    return undefined;
  }
  if (mode !== 'container' && mode !== '') throw new NotImplementedError(`trowel ${setup.command ?? 'bud'} --userns=${mode} (only host and container are supported)`);
  // /etc/subuid names host ids; a rootless trowel's namespace numbers ids its own way.
  const rootless = setup.rootless ?? process.env[ROOTLESS_UID_ENV] !== undefined;
  if ((f.uidMapUser !== undefined || f.gidMapGroup !== undefined) && rootless) {
    throw new NotImplementedError(`trowel ${setup.command ?? 'bud'} --userns-uid-map-user/--userns-gid-map-group as a non-root user (give --userns-uid-map in the rootless namespace's ids)`);
  }
  const subuid = setup.subuidFile ?? '/etc/subuid';
  const subgid = setup.subgidFile ?? '/etc/subgid';
  let uids = f.uidMaps.length > 0 ? parseIdMap('--userns-uid-map', f.uidMaps) : f.uidMapUser !== undefined ? subIdMap('--userns-uid-map-user', subuid, f.uidMapUser) : undefined;
  let gids = f.gidMaps.length > 0 ? parseIdMap('--userns-gid-map', f.gidMaps)
    : f.gidMapGroup !== undefined ? subIdMap('--userns-gid-map-group', subgid, f.gidMapGroup)
    : f.uidMapUser !== undefined && f.uidMaps.length === 0 ? subIdMap('--userns-uid-map-user', subgid, f.uidMapUser) : undefined;
  uids ??= gids;
  gids ??= uids;
  if (rootless) {
    // The kernel refuses to map a rootless namespace's id 0 (the user) into a nested one.
    if (!uids) throw new NotImplementedError(`trowel ${setup.command ?? 'bud'} --userns=container without id maps as a non-root user (give --userns-uid-map/--userns-gid-map within the rootless namespace's ids 1…N)`);
    if ([...uids, ...gids!].some((m) => m.hostId === 0)) throw new InvalidArgumentError('parse --userns-uid-map/--userns-gid-map: as a non-root user, id 0 of the rootless namespace (your own id) cannot be mapped again; use ids from 1');
    const inside = (maps: IdMapping[], own: IdMapping[]) => maps.every((m) => own.some((o) => m.hostId >= o.hostId && m.hostId + m.size <= o.hostId + o.size));
    if (!inside(uids, ownIdentity(setup.ownUidMap ?? readOwnMap('uid_map'))) || !inside(gids!, ownIdentity(setup.ownGidMap ?? readOwnMap('gid_map')))) {
      throw new InvalidArgumentError('parse --userns-uid-map/--userns-gid-map: as a non-root user, host ids must lie within the rootless namespace (see trowel unshare cat /proc/self/uid_map)');
    }
  }
  return {
    uidMappings: uids ?? ownIdentity(setup.ownUidMap ?? readOwnMap('uid_map')),
    gidMappings: gids ?? ownIdentity(setup.ownGidMap ?? readOwnMap('gid_map')),
  };
}
