/**
 * Runs one command in a working container: what `trowel run` and every RUN step of `trowel bud`
 * call. Turns the container (its config and layer stack) and buildah-style options into a
 * helper spec — user from the container's /etc/passwd, generated /etc files, mounts, default
 * capabilities, rlimits, network — and runs it through native/runner.ts.
 */
import { chownSync, existsSync, lstatSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';
import type { ImageConfig } from '../../oci/image-config.js';
import {
  startRun,
  type ContainerMount,
  type HelperRunSpec,
  type IdMapping,
  type RunOutcome,
  type RunStdio,
  type UserNamespaceSpec,
} from '../../native/runner.js';
import { capabilityNumbers, effectiveCapabilities } from './capabilities.js';
import { resolveContainerUser } from './container-user.js';
import { etcFileMounts, type DnsSettings } from './etc-files.js';
import { chownVolumeSources, completeOverlayVolumes, parseDevice, parseMount, parseVolume, shmMount } from './mount-options.js';
import { isVfsRoot, rootfsFor, withFuseFallback, type LayerStack, type StorageDriverConfig } from './storage-driver.js';
import { parseUlimit } from './ulimits.js';
import { hostNamespacesOf } from './namespace-options.js';
import { inUserNamespace, rootlessUserNamespace } from './user-namespace.js';

/** buildah's `--isolation` values; trowel always uses its own helper, with these meanings. */
export type Isolation = 'oci' | 'rootless' | 'chroot';

/** `--network` values trowel has. */
export type NetworkMode = 'host' | 'none' | 'private';

/** buildah's run flags, as the CLI and the builder pass them. */
export interface RunOptions {
  /** The command, exec form (the builder wraps shell form in `/bin/sh -c`). */
  argv: string[];
  /** `--user`; default the container config's User, else root. */
  user?: string;
  /** `--workingdir`; default the config's WorkingDir, else `/`. */
  workingDir?: string;
  /** `--env KEY=VALUE` on top of the config's Env (a bare KEY takes trowel's own value). */
  env?: string[];
  /** `--hostname`; default the first 12 characters of the container id. An error with `uts: 'host'`. */
  hostname?: string;
  /** `--pid`: `private` (default) or `host` (the host's processes are visible; the command's pid is not 1). */
  pid?: string;
  /** `--ipc`: `private` (default) or `host` (the host's IPC namespace and /dev/shm). */
  ipc?: string;
  /** `--uts`: `private` (default) or `host` (the host's hostname; `hostname` cannot be set). */
  uts?: string;
  /** `--network`; default `host` (buildah with chroot isolation shares the host's). */
  network?: string;
  /** `-v/--volume` specs. */
  volumes?: string[];
  /** `--mount` specs. */
  mounts?: string[];
  capAdd?: string[];
  capDrop?: string[];
  /** `--ulimit type=soft[:hard]`. */
  ulimits?: string[];
  /** `--security-opt no-new-privileges`. */
  noNewPrivileges?: boolean;
  /** `--security-opt seccomp=unconfined` sets this false; default true (trowel's filter). */
  seccomp?: boolean;
  /** `-t/--terminal`. */
  tty?: boolean;
  isolation?: string;
  /** `--add-host name:ip`. */
  addHosts?: string[];
  /** `--http-proxy`: the command also gets trowel's proxy variables (the image's ENV and `env` win). */
  httpProxy?: boolean;
  /** `--shm-size` in bytes (`parseShmSize`): the size of the private /dev/shm (default 64 MiB). */
  shmSize?: number;
  /** `--dns`, `--dns-search`, `--dns-option` (see `parseDnsSettings`). */
  dns?: DnsSettings;
  /** `--contextdir`: relative `--mount` bind sources are taken from here. */
  contextDir?: string;
  /** `--device HOST[:CONTAINER][:PERMS]`. */
  devices?: string[];
  /** `--no-hosts`: leave the image's /etc/hosts alone. */
  noHosts?: boolean;
  /** `--no-hostname`: leave the image's /etc/hostname alone. */
  noHostname?: boolean;
  stdio?: RunStdio;
  /** Forward SIGINT/SIGTERM/SIGHUP to the command (default true). */
  forwardSignals?: boolean;
}

/** The working container as the run needs it. */
export interface RunTarget {
  id: string;
  name: string;
  config: ImageConfig;
  layers: LayerStack;
  /** `layers.target` is already mounted (by `trowel mount`): run in that mount as it is. */
  mountedOnHost?: boolean;
}

/** Where a run may keep files, and how the root is mounted. */
export interface RunContext {
  /** Per-run scratch files (generated /etc files) go in a temp dir under here. */
  runDir: string;
  /** `--mount type=cache` directories. */
  cacheDir: string;
  driver: StorageDriverConfig;
  /**
   * The user namespace to create, `'auto'` (default: one from /etc/subuid when trowel is not
   * root and not already inside one), or `'none'`.
   */
  userNamespace?: UserNamespaceSpec | 'auto' | 'none';
}

/** Paths buildah hides from RUN (the OCI runtime defaults). */
export const MASKED_PATHS = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'];
/** Paths buildah makes read-only in RUN. */
export const READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function parseNetwork(n: string | undefined): NetworkMode {
  const v = n ?? 'host';
  if (v === 'host' || v === 'none' || v === 'private') return v;
  if (v === 'slirp4netns' || v === 'pasta' || v === 'bridge') return 'private';
  throw new InvalidArgumentError(`parse --network ${JSON.stringify(v)}: want host, none or private`);
}

function parseIsolation(i: string | undefined): Isolation {
  const v = i ?? 'oci';
  if (v === 'oci' || v === 'rootless' || v === 'chroot') return v;
  throw new InvalidArgumentError(`parse --isolation ${JSON.stringify(v)}: want oci, rootless or chroot`);
}

/**
 * Removes per-run directories of trowel processes that no longer exist (killed runs), so
 * generated /etc files do not pile up. Names are `run-<pid>-<random>`.
 */
export function sweepDeadRunDirs(runDir: string): void {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(runDir, name), { recursive: true, force: true });
    }
  }
}

/** Config Env, then options (later wins); PATH defaulted; HOME from the user's entry. */
const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy'];

/** The proxy variables of `host`, in either case (buildah's `--http-proxy`). */
export function proxyVariables(host: NodeJS.ProcessEnv): string[] {
  return Object.entries(host)
    .filter(([k, v]) => v !== undefined && PROXY_VARIABLES.includes(k.toLowerCase()))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

/**
 * The command's environment: PATH, then `proxies` (trowel's own, unless --http-proxy=false),
 * then the image's ENV, then `extra` (`--env`, a RUN's ARGs…): later ones win.
 */
export function buildEnv(config: ImageConfig, extra: string[] | undefined, home: string, tty: boolean, proxies: readonly string[] = []): string[] {
  const env = new Map<string, string>();
  const put = (e: string) => {
    const eq = e.indexOf('=');
    if (eq < 0) {
      const own = process.env[e];
      if (own !== undefined) env.set(e, own);
      return;
    }
    if (eq === 0) throw new InvalidArgumentError(`parse --env ${JSON.stringify(e)}: empty name`);
    env.set(e.slice(0, eq), e.slice(eq + 1));
  };
  put(DEFAULT_PATH);
  for (const e of proxies) put(e);
  for (const e of config.config?.Env ?? []) put(e);
  for (const e of extra ?? []) put(e);
  if (!env.has('HOME')) env.set('HOME', home);
  if (tty && !env.has('TERM')) env.set('TERM', 'xterm');
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function chooseUserNamespace(ctx: RunContext): UserNamespaceSpec | undefined {
  const u = ctx.userNamespace ?? 'auto';
  if (u === 'none') return undefined;
  if (u !== 'auto') return u;
  return (process.geteuid?.() ?? 0) !== 0 && !inUserNamespace() ? rootlessUserNamespace() : undefined;
}

/**
 * Builds the helper spec for a run (exported for tests). Creates the per-run directory with
 * the generated /etc files; the caller removes `scratchDir` afterwards.
 * @throws InvalidArgumentError for bad --user, --env, --network, --volume, --mount, --ulimit,
 *   --pid/--ipc/--uts, capability names, or a hostname with `uts: 'host'`; NotImplementedError
 *   for a namespace path; SubIdError/IdMapToolMissingError when rootless set-up is impossible.
 */
export async function buildRunSpec(target: RunTarget, opts: RunOptions, ctx: RunContext): Promise<{ spec: HelperRunSpec; scratchDir: string }> {
  if (opts.argv.length === 0) throw new InvalidArgumentError(`run container ${target.name}: missing command`);
  const isolation = parseIsolation(opts.isolation);
  const network = parseNetwork(opts.network);
  let userNamespace = chooseUserNamespace(ctx);
  if (isolation === 'rootless' && !userNamespace && (process.geteuid?.() ?? 0) !== 0 && !inUserNamespace()) userNamespace = rootlessUserNamespace();
  const layerDirs = [target.layers.upperDir, ...target.layers.lowerDirs];
  const cfg = target.config.config ?? {};
  const user = resolveContainerUser(opts.user ?? cfg.User, layerDirs);
  const hostNamespaces = hostNamespacesOf({ pid: opts.pid, ipc: opts.ipc, uts: opts.uts });
  const hostUts = hostNamespaces.includes('uts');
  if (hostUts && opts.hostname !== undefined) {
    throw new InvalidArgumentError(`run container ${target.name}: cannot set the hostname when the UTS namespace is the host's (--uts=host)`);
  }
  // Sharing the host's UTS namespace, the command sees the host's name; /etc/hostname agrees.
  const hostname = hostUts ? hostHostname() : opts.hostname ?? target.id.slice(0, 12);
  const volumes = (opts.volumes ?? []).map((v) => parseVolume(v));
  const userMounts: ContainerMount[] = [
    ...volumes,
    ...(opts.mounts ?? []).map((m) => parseMount(m, { cacheDir: ctx.cacheDir, ...(opts.contextDir ? { contextDir: opts.contextDir } : {}) })),
    ...(opts.devices ?? []).map((d) => parseDevice(d)),
    // With the host's IPC namespace /dev/shm is the host's, whatever its size.
    ...(opts.shmSize !== undefined && !hostNamespaces.includes('ipc') ? [shmMount(opts.shmSize)] : []),
  ];
  const rlimits = (opts.ulimits ?? []).map(parseUlimit);
  const caps = capabilityNumbers(effectiveCapabilities(opts.capAdd, opts.capDrop));
  const env = buildEnv(target.config, opts.env, user.home, opts.tty ?? false, opts.httpProxy ? proxyVariables(process.env) : []);
  // As buildah: the command learns its hostname from HOSTNAME unless the config or --env set it.
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${hostname}`);
  mkdirSync(ctx.runDir, { recursive: true, mode: 0o700 });
  sweepDeadRunDirs(ctx.runDir);
  const scratchDir = mkdtempSync(join(ctx.runDir, `run-${process.pid}-`));
  // With explicit id maps (bud --userns-uid-map) the namespace's root is an unprivileged host
  // id: the generated /etc files must be reachable for it to mount them.
  let owner: { uid: number; gid: number } | undefined;
  if (typeof ctx.userNamespace === 'object') {
    const root = (m: IdMapping[]) => m.find((r) => r.containerId === 0)?.hostId;
    const uid = root(ctx.userNamespace.uidMappings);
    const gid = root(ctx.userNamespace.gidMappings);
    if (uid !== undefined && gid !== undefined) {
      owner = { uid, gid };
      chownSync(scratchDir, uid, gid);
    }
  }
  try {
    completeOverlayVolumes(userMounts, scratchDir, { ...(owner ? { owner } : {}), userNamespace: userNamespace !== undefined || inUserNamespace() });
    chownVolumeSources(volumes, user, userNamespace);
    const skip = new Set(userMounts.map((m) => m.target));
    if (opts.noHosts) skip.add('/etc/hosts');
    if (opts.noHostname) skip.add('/etc/hostname');
    const etc = etcFileMounts(scratchDir, { hostname, network, layers: layerDirs, addHosts: opts.addHosts ?? [], ...(opts.dns ? { dns: opts.dns } : {}) }, skip);
    const spec: HelperRunSpec = {
      rootfs: target.mountedOnHost
        ? { kind: 'directory', path: target.layers.target }
        : await rootfsFor(ctx.driver, target.layers, { userNamespace: userNamespace !== undefined || inUserNamespace() }),
      argv: opts.argv,
      env,
      cwd: opts.workingDir ?? (cfg.WorkingDir || '/'),
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      ...(hostUts ? {} : { hostname }),
      ...(hostNamespaces.length > 0 ? { hostNamespaces } : {}),
      network,
      mounts: [...etc, ...userMounts],
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      capabilities: caps,
      noNewPrivileges: opts.noNewPrivileges ?? false,
      seccomp: opts.seccomp ?? true,
      rlimits,
      tty: opts.tty ?? false,
    };
    if (userNamespace) spec.userNamespace = userNamespace;
    return { spec, scratchDir };
  } catch (e) {
    rmSync(scratchDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Runs `opts.argv` in the working container and resolves with its exit code (non-zero exit
 * is an outcome, not an error). Kernel overlay that cannot mount falls back to fuse-overlayfs
 * when the driver was not chosen explicitly. Nothing is left mounted or running afterwards.
 * @throws InvalidArgumentError for bad options; ExecutableNotFoundError (exit 127) when the
 *   command is not in the container; RunSetupError when the container cannot be set up.
 */
export async function runInWorkingContainer(target: RunTarget, opts: RunOptions, ctx: RunContext): Promise<RunOutcome> {
  const what = `run container ${target.name}`;
  recoverKilledRun(target.layers);
  const { spec, scratchDir } = await buildRunSpec(target, opts, ctx);
  // Until the run ends, remember which mount targets it may create in the upper dir, so a
  // killed run's leftovers (an empty /etc/hosts…) are removed next time instead of committed.
  const marker = runMarkerPath(target.layers);
  if (!target.mountedOnHost) writeFileSync(marker, JSON.stringify(mountTargetsOf(spec)));
  let rootfs = spec.rootfs;
  const start = async (s: HelperRunSpec): Promise<RunOutcome> => {
    rootfs = s.rootfs;
    try {
      const outcome = await startRun(s, { what, stdio: opts.stdio ?? 'inherit', forwardSignals: opts.forwardSignals ?? true }).done;
      if (rootfs.kind === 'program') tidyUpperDir(target.layers, outcome.createdTargets);
      return outcome;
    } catch (e) {
      const created = (e as { createdTargets?: string[] }).createdTargets;
      if (rootfs.kind === 'program' && created) tidyUpperDir(target.layers, created);
      throw e;
    }
  };
  try {
    try {
      return await start(spec);
    } catch (e) {
      const fallback = withFuseFallback(ctx.driver);
      if (!fallback || !(e instanceof TrowelError) || e.code !== 'RUN_MOUNT' || spec.rootfs.kind !== 'overlay') throw e;
      return await start({ ...spec, rootfs: await rootfsFor(fallback, target.layers, { userNamespace: spec.userNamespace !== undefined || inUserNamespace() }) });
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
    rmSync(marker, { force: true });
  }
}

/** Beside the upper dir (never inside it): the targets of a run in progress. */
function runMarkerPath(layers: LayerStack): string {
  return `${layers.upperDir}.run-targets`;
}

/** Every path a run may have to create as a mount point, parents first. */
function mountTargetsOf(spec: HelperRunSpec): string[] {
  const paths = new Set<string>(['/proc', '/dev', '/sys']);
  for (const m of spec.mounts ?? []) {
    const parts = m.target.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) paths.add('/' + parts.slice(0, i).join('/'));
  }
  return [...paths];
}

/**
 * Tidies the upper dir (and a vfs root, which runs change in place) after a run that was
 * killed before it could remove the mount targets it created (empty files and directories, or
 * whiteouts, that no layer has). Call before running or committing a container; does nothing
 * when no run was interrupted.
 */
export function recoverKilledRun(layers: LayerStack): void {
  const marker = runMarkerPath(layers);
  let targets: unknown;
  try {
    targets = JSON.parse(readFileSync(marker, 'utf8'));
  } catch {
    return;
  }
  if (Array.isArray(targets)) {
    const paths = targets.filter((t): t is string => typeof t === 'string');
    tidyUpperDir(layers, paths);
    // A vfs root is changed in place: the killed run's mount targets are in it, not in the upper dir.
    if (isVfsRoot(layers.target)) tidyUpperDir({ ...layers, upperDir: layers.target }, paths);
  }
  rmSync(marker, { force: true });
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Removes what mount targets the run created left in the upper dir: fuse-overlayfs records
 * their removal as whiteouts even when no lower layer has the path. A whiteout is removed only
 * when no lower layer has the path; an empty file or directory only when the helper made it.
 */
export function tidyUpperDir(layers: LayerStack, created: string[]): void {
  for (const path of [...created].reverse()) {
    const rel = path.replace(/^\/+/, '');
    const parts = rel.split('/');
    if (!rel || parts.includes('..')) continue;
    // The command may have made a parent a symlink (even to a host path): never follow one.
    if (parts.slice(0, -1).some((_, i) => isSymlink(join(layers.upperDir, ...parts.slice(0, i + 1))))) continue;
    const p = join(layers.upperDir, rel);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    const inLower = layers.lowerDirs.some((l) => existsSync(join(l, rel)));
    if (st.isCharacterDevice() && st.rdev === 0 && !inLower) rmSync(p, { force: true });
    else if (st.isDirectory() && !inLower && readdirSync(p).length === 0) rmSync(p, { recursive: true, force: true });
    else if (st.isFile() && st.size === 0 && !inLower) rmSync(p, { force: true });
  }
}
