/**
 * `-v/--volume` and `--mount` as buildah spells them, turned into container mounts for the
 * helper. Bind sources are host paths that must exist; targets are absolute container paths
 * (the helper resolves them inside the root). Cache mounts are directories kept under the
 * store, shared by id across runs.
 */
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { InvalidArgumentError, NotImplementedError, TrowelError } from '../../oci/error.js';
import type { ContainerMount, IdMapping } from '../../native/runner.js';

/** Where cache mounts live (one directory per id). */
export interface MountContext {
  cacheDir: string;
  /** Relative bind sources are resolved here (`--contextdir`, a build's context); else refused. */
  contextDir?: string;
}

function bad(flag: string, spec: string, cause: string): InvalidArgumentError {
  return new InvalidArgumentError(`parse ${flag} ${JSON.stringify(spec)}: ${cause}`);
}

function checkTarget(flag: string, spec: string, target: string | undefined): string {
  if (!target) throw bad(flag, spec, 'missing destination');
  if (!isAbsolute(target)) throw bad(flag, spec, `destination ${target} is not an absolute path`);
  const t = normalize(target);
  if (t === '/') throw bad(flag, spec, 'destination cannot be /');
  return t;
}

function checkSource(flag: string, spec: string, source: string | undefined, contextDir?: string): { path: string; file: boolean } {
  if (!source) throw bad(flag, spec, 'missing source');
  if (!isAbsolute(source)) {
    if (!contextDir) throw bad(flag, spec, `source ${source} is not an absolute path`);
    // A relative source names something in the context, never outside it, not even through
    // a symlink in the context (a build context may come from anyone).
    const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.replace(/\/+$/, '') + '/');
    const resolved = resolve(contextDir, source);
    if (!inside(resolved, contextDir)) throw bad(flag, spec, `source ${source} is outside the context directory`);
    if (existsSync(resolved) && !inside(realpathSync(resolved), realpathSync(contextDir))) {
      throw bad(flag, spec, `source ${source} leads outside the context directory through a symlink`);
    }
    source = resolved;
  }
  if (!existsSync(source)) throw bad(flag, spec, `source ${source}: no such file or directory`);
  return { path: source, file: !statSync(source).isDirectory() };
}

/** Characters an overlay mount's option string cannot carry in a path. */
const OVERLAY_UNSAFE = /[,:\\]/;

/** A `-v` mount; `chownSource` (the `U` option) is the host path to give the command's user. */
export interface VolumeMount extends ContainerMount {
  chownSource?: string;
}

/**
 * Parses `HOST:CONTAINER[:OPTIONS]` where OPTIONS is a comma list of ro, rw, z, Z, nosuid,
 * nodev, noexec, bind, rbind and propagation modes (accepted, all binds are private here),
 * O: an overlay volume, the host directory as its lower layer, so the command may change
 * what it sees there and the changes are dropped when it ends (`completeOverlayVolumes` gives
 * it its upper directory), and U: the host directory is chowned, recursively, to the user the
 * command runs as (`chownVolumeSources`).
 * @throws InvalidArgumentError for a malformed spec or a missing source.
 */
export function parseVolume(spec: string): VolumeMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw bad('--volume', spec, 'want HOST-DIR:CONTAINER-DIR[:OPTIONS]');
  const src = checkSource('--volume', spec, parts[0]);
  const m: VolumeMount = { type: 'bind', source: src.path, target: checkTarget('--volume', spec, parts[1]), recursive: true, file: src.file };
  let overlay = false;
  for (const o of (parts[2] ?? '').split(',').filter(Boolean)) {
    if (o === 'ro') m.readonly = true;
    else if (o === 'rw') m.readonly = false;
    else if (o === 'nosuid' || o === 'nodev' || o === 'noexec') m[o] = true;
    else if (o === 'bind') m.recursive = false;
    else if (o === 'rbind') m.recursive = true;
    else if (['z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'suid', 'dev', 'exec'].includes(o)) continue;
    else if (o === 'O') overlay = true;
    else if (o === 'U') m.chownSource = src.path;
    else throw bad('--volume', spec, `unknown option ${o}`);
  }
  if (!overlay) return m;
  if (src.file) throw bad('--volume', spec, `an overlay volume (O) needs a directory, and ${src.path} is a file`);
  if (OVERLAY_UNSAFE.test(src.path)) throw bad('--volume', spec, `an overlay volume (O) cannot have ",", ":" or "\\" in its source path`);
  const { recursive: _r, file: _f, ...rest } = m;
  return { ...rest, type: 'overlay', source: 'overlay', data: `lowerdir=${src.path}` };
}

function hostId(maps: readonly IdMapping[] | undefined, id: number, what: string): number {
  if (!maps) return id;
  const r = maps.find((m) => id >= m.containerId && id < m.containerId + m.size);
  if (!r) throw new InvalidArgumentError(`chown volume to ${what} ${id}: not in the user namespace's id map`);
  return r.hostId + (id - r.containerId);
}

function chownTree(path: string, uid: number, gid: number): void {
  try {
    lchownSync(path, uid, gid);
  } catch (e) {
    throw new TrowelError('VOLUME_CHOWN', `chown volume ${path} to ${uid}:${gid}: ${(e as Error).message}`);
  }
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

/**
 * Gives `U` volumes' host directories, recursively and without following links, to the
 * command's user: `uid`/`gid` in the container, through the id maps when the helper makes the
 * user namespace (else the ids are the ones this process sees, rootless in its namespace).
 */
export function chownVolumeSources(mounts: readonly VolumeMount[], user: { uid: number; gid: number }, maps?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] }): void {
  for (const m of mounts) {
    if (m.chownSource === undefined) continue;
    chownTree(m.chownSource, hostId(maps?.uidMappings, user.uid, 'uid'), hostId(maps?.gidMappings, user.gid, 'gid'));
  }
}

/** An `-v …:O` volume still waiting for its upper directory. */
function isPendingOverlayVolume(m: ContainerMount): boolean {
  return m.type === 'overlay' && m.source === 'overlay' && (m.data ?? '').startsWith('lowerdir=') && !(m.data ?? '').includes(',upperdir=');
}

/**
 * Gives each overlay volume an upper and a work directory under `scratchDir` (removed after
 * the run, which drops whatever the command changed), owned by `owner` when given (the
 * namespace's root). In a user namespace the overlay keeps its metadata in `user.` xattrs.
 */
export function completeOverlayVolumes(mounts: ContainerMount[], scratchDir: string, opts: { owner?: { uid: number; gid: number }; userNamespace: boolean }): void {
  let n = 0;
  for (const m of mounts) {
    if (!isPendingOverlayVolume(m)) continue;
    const dir = join(scratchDir, `volume-${n++}`);
    if (OVERLAY_UNSAFE.test(dir)) throw new InvalidArgumentError(`mount overlay volume on ${m.target}: the run directory ${scratchDir} has ",", ":" or "\\" in its path`);
    for (const d of [dir, join(dir, 'upper'), join(dir, 'work')]) {
      mkdirSync(d, { mode: 0o755 });
      if (opts.owner) chownSync(d, opts.owner.uid, opts.owner.gid);
    }
    m.data = `${m.data},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}${opts.userNamespace ? ',userxattr' : ''}`;
  }
}

function keyValues(flag: string, spec: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const field of spec.split(',')) {
    if (!field) continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim();
    if (kv.has(key)) throw bad(flag, spec, `${key} given twice`);
    kv.set(key, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  return kv;
}

function bool(flag: string, spec: string, key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw bad(flag, spec, `${key}=${v} is not true or false`);
}

function take(kv: Map<string, string>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = kv.get(k);
    if (v !== undefined) {
      kv.delete(k);
      return v;
    }
  }
  return undefined;
}

/**
 * Parses `--mount type=bind|tmpfs|cache,…` with buildah's keys: source/src, destination/dst/
 * target, ro/readonly, bind-propagation, tmpfs-size, tmpfs-mode, id, sharing, mode, uid, gid.
 * @throws InvalidArgumentError naming the spec for unknown types or keys and bad values.
 */
export function parseMount(spec: string, ctx: MountContext): ContainerMount {
  const flag = '--mount';
  const kv = keyValues(flag, spec);
  const type = take(kv, 'type') ?? 'bind';
  const target = checkTarget(flag, spec, take(kv, 'destination', 'dst', 'target'));
  const roText = take(kv, 'ro', 'readonly');
  const readonly = roText === undefined ? false : bool(flag, spec, 'ro', roText);
  let m: ContainerMount;
  switch (type) {
    case 'bind': {
      const src = checkSource(flag, spec, take(kv, 'source', 'src'), ctx.contextDir ? resolve(ctx.contextDir) : undefined);
      m = { type: 'bind', source: src.path, target, readonly, recursive: true, file: src.file };
      take(kv, 'bind-propagation', 'relabel', 'z', 'Z');
      const nonrec = take(kv, 'bind-nonrecursive');
      if (nonrec !== undefined) m.recursive = !bool(flag, spec, 'bind-nonrecursive', nonrec);
      break;
    }
    case 'tmpfs': {
      const data: string[] = [];
      const size = take(kv, 'tmpfs-size', 'size');
      if (size !== undefined) {
        if (!/^\d+[kmgKMG%]?$/.test(size)) throw bad(flag, spec, `tmpfs-size ${size} is not a size`);
        data.push(`size=${size}`);
      }
      const mode = take(kv, 'tmpfs-mode', 'mode');
      if (mode !== undefined) {
        if (!/^[0-7]{1,4}$/.test(mode)) throw bad(flag, spec, `tmpfs-mode ${mode} is not an octal mode`);
        data.push(`mode=${mode}`);
      }
      m = { type: 'tmpfs', source: 'tmpfs', target, readonly, nosuid: true, nodev: true, ...(data.length ? { data: data.join(',') } : {}) };
      break;
    }
    case 'cache': {
      const id = take(kv, 'id') ?? target;
      take(kv, 'sharing');
      // The cache directory's owner and mode, given when it is made (BuildKit's: 0:0, 0755).
      const mode = take(kv, 'mode');
      if (mode !== undefined && !/^[0-7]{1,4}$/.test(mode)) throw bad(flag, spec, `mode ${mode} is not an octal mode`);
      const uid = take(kv, 'uid');
      const gid = take(kv, 'gid');
      for (const [key, v] of [['uid', uid], ['gid', gid]] as const) {
        if (v !== undefined && !/^\d+$/.test(v)) throw bad(flag, spec, `${key}=${v} is not a number`);
      }
      if (kv.has('from')) throw new NotImplementedError('cache mounts from an image or stage (--mount type=cache,from=…)');
      const dir = join(ctx.cacheDir, createHash('sha256').update(id).digest('hex').slice(0, 32));
      if (!existsSync(dir)) {
        mkdirSync(ctx.cacheDir, { recursive: true, mode: 0o755 });
        mkdirSync(dir, { mode: 0o755 });
        if (mode !== undefined) chmodSync(dir, parseInt(mode, 8));
        if (uid !== undefined || gid !== undefined) chownSync(dir, Number(uid ?? 0), Number(gid ?? 0));
      }
      m = { type: 'bind', source: dir, target, readonly, recursive: false };
      break;
    }
    case 'secret':
    case 'ssh':
      throw new NotImplementedError(`--mount type=${type}`);
    default:
      throw bad(flag, spec, `unknown mount type ${type} (want bind, tmpfs or cache)`);
  }
  const left = [...kv.keys()];
  if (left.length > 0) throw bad(flag, spec, `unknown option ${left[0]}`);
  return m;
}

/**
 * Parses `--device HOST[:CONTAINER][:PERMISSIONS]` into a bind mount of the host device node
 * (permissions are accepted; without a device cgroup they cannot be narrowed).
 * @throws InvalidArgumentError when the host path is not a device.
 */
export function parseDevice(spec: string): ContainerMount {
  const parts = spec.split(':');
  if (parts.length > 3 || !parts[0]) throw bad('--device', spec, 'want HOST-DEVICE[:CONTAINER-DEVICE][:PERMISSIONS]');
  const host = parts[0];
  let target = host;
  let perms: string | undefined;
  if (parts.length === 3) [target, perms] = [parts[1]!, parts[2]];
  else if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1];
    else target = parts[1]!;
  }
  if (perms !== undefined && !/^[rwm]+$/.test(perms)) throw bad('--device', spec, `permissions ${perms} are not a combination of r, w and m`);
  if (!isAbsolute(host)) throw bad('--device', spec, `${host} is not an absolute path`);
  if (!existsSync(host)) throw bad('--device', spec, `${host}: no such device`);
  const st = statSync(host);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw bad('--device', spec, `${host} is not a device`);
  return { type: 'bind', source: host, target: checkTarget('--device', spec, target), file: true };
}

/**
 * `--shm-size`: a size as buildah takes it (`64m`, `1g`, `512k`, `1048576`, `b` for bytes),
 * in bytes. @throws InvalidArgumentError
 */
export function parseShmSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(text.trim());
  const bytes = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmg'.indexOf((m[2] ?? 'b').toLowerCase())) : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new InvalidArgumentError(`parse --shm-size ${JSON.stringify(text)}: want a size such as 64m or 1g`);
  return bytes;
}

/** The /dev/shm of a given size, mounted over the default one (64 MiB). */
export function shmMount(bytes: number): ContainerMount {
  return { type: 'tmpfs', source: 'shm', target: '/dev/shm', data: `mode=1777,size=${bytes}`, nosuid: true, nodev: true, noexec: true };
}
