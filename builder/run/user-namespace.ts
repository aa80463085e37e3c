/**
 * Rootless mode: the user namespace trowel lives in when started by an unprivileged user.
 * Container root is the user; container ids 1..N are the user's range from /etc/subuid and
 * /etc/subgid, mapped by the set-uid newuidmap/newgidmap (package uidmap).
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { TrowelError } from '../../oci/error.js';
import { unshareExec, type IdMapping, type UserNamespaceSpec } from '../../native/runner.js';

/** Container ids a rootless user needs beyond its own: 65536 covers nobody (65534). */
export const MIN_SUBIDS = 65536;

/** Environment variable set inside the re-entered namespace: the user's real uid. */
export const ROOTLESS_UID_ENV = '_TROWEL_ROOTLESS_UID';

/** One `user:start:count` line of /etc/subuid or /etc/subgid. */
export interface SubIdRange {
  start: number;
  count: number;
}

/** The sub-id file has no usable range for the user, or too few ids. */
export class SubIdError extends TrowelError {
  constructor(readonly file: string, message: string) {
    super('SUBID_MISSING', message);
  }
}

/** newuidmap or newgidmap is not installed. */
export class IdMapToolMissingError extends TrowelError {
  constructor(tool: string) {
    super('IDMAP_TOOL_MISSING', `set up rootless user namespace: ${tool} not found in PATH (install the uidmap package)`);
  }
}

/**
 * The ranges for `user` (matched by name or numeric uid, as shadow-utils does) in a sub-id file,
 * in file order. A missing file counts as no ranges.
 */
export function readSubIdRanges(file: string, user: { name: string; uid: number }): SubIdRange[] {
  if (!existsSync(file)) return [];
  const out: SubIdRange[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [who, start, count] = line.split(':');
    if (who !== user.name && who !== String(user.uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

/** Container ids 1..N mapped onto the ranges, after the user's own id at 0. */
export function mappingsFor(ownId: number, ranges: SubIdRange[]): IdMapping[] {
  const maps: IdMapping[] = [{ containerId: 0, hostId: ownId, size: 1 }];
  let next = 1;
  for (const r of ranges) {
    maps.push({ containerId: next, hostId: r.start, size: r.count });
    next += r.count;
  }
  return maps;
}

function findInPath(tool: string, env: NodeJS.ProcessEnv, standardDirs: boolean): string | undefined {
  const dirs = (env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  // newuidmap lives in /usr/bin; a user's trimmed PATH should not hide it.
  for (const d of standardDirs ? [...dirs, '/usr/bin', '/usr/sbin'] : dirs) {
    const p = join(d, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Where the sub-id files live (tests point these elsewhere). */
export interface RootlessSetup {
  subuidFile?: string;
  subgidFile?: string;
  user?: { name: string; uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
  minIds?: number;
  /** Also look for newuidmap/newgidmap in /usr/bin and /usr/sbin (default true). */
  searchStandardDirs?: boolean;
}

/**
 * The user namespace for the current (unprivileged) user.
 * @throws SubIdError naming /etc/subuid or /etc/subgid when the user has no range or fewer than
 *   `minIds` ids there; IdMapToolMissingError when newuidmap/newgidmap are not installed.
 */
export function rootlessUserNamespace(setup: RootlessSetup = {}): UserNamespaceSpec {
  const info = setup.user ?? (() => {
    const u = userInfo();
    return { name: u.username, uid: u.uid, gid: u.gid };
  })();
  const env = setup.env ?? process.env;
  const minIds = setup.minIds ?? MIN_SUBIDS;
  const files = { uid: setup.subuidFile ?? '/etc/subuid', gid: setup.subgidFile ?? '/etc/subgid' };
  const ranges = { uid: readSubIdRanges(files.uid, info), gid: readSubIdRanges(files.gid, info) };
  for (const kind of ['uid', 'gid'] as const) {
    const file = files[kind];
    const total = ranges[kind].reduce((n, r) => n + r.count, 0);
    if (total === 0) {
      throw new SubIdError(file, `set up rootless user namespace: no sub${kind} range for user ${info.name} in ${file} (add a line such as ${info.name}:100000:65536)`);
    }
    if (total < minIds) {
      throw new SubIdError(file, `set up rootless user namespace: user ${info.name} has ${total} sub${kind}s in ${file}, at least ${minIds} are needed`);
    }
  }
  const newuidmap = findInPath('newuidmap', env, setup.searchStandardDirs !== false);
  if (!newuidmap) throw new IdMapToolMissingError('newuidmap');
  const newgidmap = findInPath('newgidmap', env, setup.searchStandardDirs !== false);
  if (!newgidmap) throw new IdMapToolMissingError('newgidmap');
  return {
    uidMappings: mappingsFor(info.uid, ranges.uid),
    gidMappings: mappingsFor(info.gid, ranges.gid),
    newuidmap,
    newgidmap,
  };
}

/** True when this process already runs inside a user namespace that trowel (or anyone) set up. */
export function inUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    return false;
  }
}

/** True when trowel must enter a user namespace first: not root, and not already inside one. */
export function needsUserNamespace(env: NodeJS.ProcessEnv = process.env): boolean {
  return (process.geteuid?.() ?? 0) !== 0 && !env[ROOTLESS_UID_ENV];
}

/**
 * Runs `argv` (default: the user's shell) inside the rootless user namespace and a new mount
 * namespace, like `buildah unshare`; returns its exit code. As root, only the mount namespace
 * is new. Inside, `_TROWEL_ROOTLESS_UID` holds the user's real uid, so the store stays the
 * user's and trowel does not try to enter a namespace again.
 */
export async function unshareCommand(argv: string[], opts: RootlessSetup & { cwd?: string } = {}): Promise<number> {
  const env = { ...(opts.env ?? process.env) };
  const rootless = (process.geteuid?.() ?? 0) !== 0 && !env[ROOTLESS_UID_ENV];
  const userNamespace = rootless ? rootlessUserNamespace(opts) : undefined;
  if (rootless) env[ROOTLESS_UID_ENV] = String(process.geteuid?.());
  const command = argv.length > 0 ? argv : [env.SHELL || '/bin/sh'];
  const outcome = await unshareExec(
    {
      argv: command,
      env: Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`),
      cwd: opts.cwd ?? process.cwd(),
      userNamespace,
    },
    { what: 'unshare' },
  );
  return outcome.exitCode;
}

/**
 * Re-runs this trowel process (same node, script and arguments) inside the rootless user
 * namespace and resolves with its exit code; the caller exits with it.
 */
export function reenterUserNamespace(opts: RootlessSetup = {}): Promise<number> {
  return unshareCommand([process.execPath, ...process.execArgv, ...process.argv.slice(1)], opts);
}
