/**
 * Storage drivers for a working container's root: kernel `overlay` (rootful, and rootless with
 * userxattr), `overlay` with a mount program such as fuse-overlayfs, and `vfs` (a plain copy) as
 * the last resort. The choice comes from flags (`--storage-driver`, `--storage-opt
 * overlay.mount_program=…`), then $STORAGE_DRIVER/$STORAGE_OPTS, then storage.conf in the usual
 * places, as in containers/storage.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';
import { mountRootfs, unmountRootfs, type RootfsSpec } from '../../native/runner.js';
import { lgetxattr } from '../../native/fsops.js';

const run = promisify(execFile);

/** The drivers trowel has. */
export type StorageDriverName = 'overlay' | 'vfs';

/** A resolved driver choice. */
export interface StorageDriverConfig {
  driver: StorageDriverName;
  /** overlay only: a program that mounts in user space (fuse-overlayfs). */
  mountProgram?: string;
  /** overlay only: extra mount options (`overlay.mountopt`, comma-separated in config). */
  mountOptions: string[];
  /** True when nothing chose the driver, so falling back to fuse-overlayfs or vfs is allowed. */
  isDefault: boolean;
  /** The storage.conf read, if any (for messages). */
  configFile?: string;
}

/** What can choose a driver. */
export interface StorageDriverInputs {
  /** `--storage-driver`. */
  storageDriver?: string;
  /** `--storage-opt`, each `overlay.mount_program=/usr/bin/fuse-overlayfs` or `overlay.mountopt=nodev`. */
  storageOpts?: string[];
  env?: NodeJS.ProcessEnv;
  /** Whether the user is unprivileged (chooses which storage.conf is read first). */
  rootless?: boolean;
  /** storage.conf candidates to use instead of the usual places (tests). */
  configFiles?: string[];
}

/** storage.conf could not be read or has a wrong value. */
export class StorageConfigError extends TrowelError {
  constructor(file: string, cause: string) {
    super('STORAGE_CONFIG', `read storage config ${file}: ${cause}`);
  }
}

/**
 * storage.conf candidates in containers/storage order: $CONTAINERS_STORAGE_CONF; for rootless
 * users $XDG_CONFIG_HOME/containers/storage.conf (else ~/.config/…); then
 * /etc/containers/storage.conf and /usr/share/containers/storage.conf. The first that exists wins.
 */
export function storageConfCandidates(env: NodeJS.ProcessEnv, rootless: boolean): string[] {
  const out: string[] = [];
  if (env.CONTAINERS_STORAGE_CONF) out.push(env.CONTAINERS_STORAGE_CONF);
  if (rootless) out.push(join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers', 'storage.conf'));
  out.push('/etc/containers/storage.conf', '/usr/share/containers/storage.conf');
  return out;
}

interface ConfValues {
  driver?: string;
  mountProgram?: string;
  mountOpt?: string;
}

/** The TOML parser, loaded only when a storage.conf exists (most runs have none). */
function parseToml(text: string): unknown {
  const toml = createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');
  return toml.parse(text);
}

function readStorageConf(file: string): ConfValues {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new StorageConfigError(file, (e as Error).message.split('\n')[0] ?? 'parse error');
  }
  const storage = (doc.storage ?? {}) as Record<string, unknown>;
  const options = (storage.options ?? {}) as Record<string, unknown>;
  const overlay = (options.overlay ?? {}) as Record<string, unknown>;
  const str = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw new StorageConfigError(file, `${key} must be a string`);
    return v;
  };
  return {
    driver: str(storage.driver, 'storage.driver'),
    // [storage.options.overlay] is current; [storage.options] is the older spelling.
    mountProgram: str(overlay.mount_program, 'storage.options.overlay.mount_program') ?? str(options.mount_program, 'storage.options.mount_program'),
    mountOpt: str(overlay.mountopt, 'storage.options.overlay.mountopt') ?? str(options.mountopt, 'storage.options.mountopt'),
  };
}

function parseOpts(opts: string[], where: string): ConfValues {
  const out: ConfValues = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`parse ${where} ${JSON.stringify(o)}: want key=value`);
    const key = o.slice(0, eq).replace(/^overlay2?\./, '');
    const value = o.slice(eq + 1);
    if (key === 'mount_program') out.mountProgram = value;
    else if (key === 'mountopt') out.mountOpt = value;
    else if (key === 'size' || key === 'skip_mount_home' || key === 'ignore_chown_errors' || key === 'force_mask') continue; // accepted, no effect here
    else throw new InvalidArgumentError(`parse ${where} ${JSON.stringify(o)}: unknown option ${key}`);
  }
  return out;
}

function normalizeDriver(name: string, where: string): StorageDriverName {
  if (name === 'overlay' || name === 'overlay2') return 'overlay';
  if (name === 'vfs') return 'vfs';
  throw new InvalidArgumentError(`choose storage driver ${JSON.stringify(name)} (from ${where}): trowel has overlay and vfs`);
}

/**
 * Resolves the driver: flags, then environment, then the first storage.conf found, then the
 * default `overlay` (kernel). A configured mount program must exist and be executable.
 * @throws InvalidArgumentError for an unknown driver or option; StorageConfigError for a bad file.
 */
export function resolveStorageDriver(inputs: StorageDriverInputs = {}): StorageDriverConfig {
  const env = inputs.env ?? process.env;
  const rootless = inputs.rootless ?? (process.geteuid?.() ?? 0) !== 0;
  const candidates = inputs.configFiles ?? storageConfCandidates(env, rootless);
  const configFile = candidates.find((f) => existsSync(f));
  const conf = configFile ? readStorageConf(configFile) : {};
  const envOpts = env.STORAGE_OPTS ? parseOpts(env.STORAGE_OPTS.split(','), 'STORAGE_OPTS') : {};
  const flagOpts = parseOpts(inputs.storageOpts ?? [], '--storage-opt');
  let driver: StorageDriverName = 'overlay';
  let isDefault = true;
  if (inputs.storageDriver) [driver, isDefault] = [normalizeDriver(inputs.storageDriver, '--storage-driver'), false];
  else if (env.STORAGE_DRIVER) [driver, isDefault] = [normalizeDriver(env.STORAGE_DRIVER, 'STORAGE_DRIVER'), false];
  else if (conf.driver) [driver, isDefault] = [normalizeDriver(conf.driver, configFile!), false];
  const mountProgram = flagOpts.mountProgram ?? envOpts.mountProgram ?? conf.mountProgram;
  const mountOpt = flagOpts.mountOpt ?? envOpts.mountOpt ?? conf.mountOpt;
  if (mountProgram) {
    try {
      accessSync(mountProgram, constants.X_OK);
    } catch {
      throw new InvalidArgumentError(`use overlay.mount_program ${mountProgram}: not found or not executable`);
    }
  }
  const cfg: StorageDriverConfig = { driver, mountOptions: mountOpt ? mountOpt.split(',').filter(Boolean) : [], isDefault: isDefault && !mountProgram };
  if (driver === 'overlay' && mountProgram) cfg.mountProgram = mountProgram;
  if (configFile) cfg.configFile = configFile;
  return cfg;
}

/** A container's layers as the driver sees them. */
export interface LayerStack {
  /** Read-only layer directories, topmost first. */
  lowerDirs: string[];
  /** The writable directory whose content is the container's diff. */
  upperDir: string;
  /** Scratch directory for overlay, on the same filesystem as upperDir. */
  workDir: string;
  /** Where the merged root appears. */
  target: string;
}

/** fuse-overlayfs, when installed: the fallback when kernel overlay cannot mount. */
export function findFuseOverlayfs(): string | undefined {
  for (const p of ['/usr/bin/fuse-overlayfs', '/usr/local/bin/fuse-overlayfs', '/bin/fuse-overlayfs']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** /dev/fuse is missing or not usable: fuse-overlayfs cannot mount. */
export class FuseDeviceError extends TrowelError {
  constructor(device: string, cause: string) {
    super('FUSE_UNAVAILABLE', `mount layers with fuse-overlayfs: ${device} ${cause} (load the fuse module; distributions make ${device} mode 0666)`);
  }
}

function checkFuseDevice(device: string): void {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch (e) {
    throw new FuseDeviceError(device, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not readable and writable');
  }
}

function checkOverlayPath(p: string): string {
  // The mount program reads one comma/colon separated option string.
  if (/[,:]/.test(p)) throw new InvalidArgumentError(`mount layer ${p}: path contains ',' or ':', which a mount program cannot take`);
  return p;
}

/**
 * How the helper mounts the stack (a RootfsSpec). Kernel overlay turns redirect_dir and
 * metacopy off so the upper dir stays a self-contained diff; in a user namespace it adds
 * `userxattr`. vfs copies the layers into `target` first (once); a target that is such a copy
 * already is used as it is whatever `cfg` says.
 */
export async function rootfsFor(cfg: StorageDriverConfig, stack: LayerStack, opts: { userNamespace: boolean; fuseDevice?: string }): Promise<RootfsSpec> {
  // A root once copied by vfs stays the container's root whatever driver is asked for later:
  // an overlay over it would put changes in the upper dir that commit, seeing a vfs root,
  // would not look for.
  if (cfg.driver === 'vfs' || isVfsRoot(stack.target)) {
    await populateVfs(stack);
    return { kind: 'directory', path: stack.target };
  }
  if (cfg.mountProgram) {
    if (basename(cfg.mountProgram).startsWith('fuse')) checkFuseDevice(opts.fuseDevice ?? '/dev/fuse');
    const options = [
      `lowerdir=${stack.lowerDirs.map(checkOverlayPath).join(':')}`,
      `upperdir=${checkOverlayPath(stack.upperDir)}`,
      `workdir=${checkOverlayPath(stack.workDir)}`,
      ...cfg.mountOptions,
    ];
    return { kind: 'program', target: stack.target, argv: [cfg.mountProgram, '-o', options.join(','), stack.target] };
  }
  // With userxattr the kernel refuses redirect_dir=off but defaults to nofollow, which never
  // creates redirects either.
  const options = [...(opts.userNamespace ? ['userxattr'] : ['redirect_dir=off']), 'metacopy=off', ...cfg.mountOptions];
  return { kind: 'overlay', target: stack.target, lowerDirs: stack.lowerDirs, upperDir: stack.upperDir, workDir: stack.workDir, options };
}

/** The same stack with fuse-overlayfs, for when kernel overlay refuses to mount. */
export function withFuseFallback(cfg: StorageDriverConfig): StorageDriverConfig | undefined {
  if (!cfg.isDefault || cfg.driver !== 'overlay' || cfg.mountProgram) return undefined;
  const fuse = findFuseOverlayfs();
  return fuse ? { ...cfg, mountProgram: fuse, isDefault: false } : undefined;
}

const VFS_STAMP = '.trowel-vfs-populated';

/** Whether `target` is a vfs copy of a layer stack (its changes are not in the upper dir). */
export function isVfsRoot(target: string): boolean {
  return existsSync(`${target}${VFS_STAMP}`);
}

/**
 * vfs: makes `target` a full copy of the lower dirs (bottom first, honouring overlay whiteouts
 * and opaque directories) plus the upper dir, once. Commit has to diff such a root against its
 * layers, since there is no separate upper dir.
 */
export async function populateVfs(stack: LayerStack): Promise<void> {
  const stamp = `${stack.target}${VFS_STAMP}`;
  if (existsSync(stamp)) return;
  mkdirSync(stack.target, { recursive: true });
  for (const dir of [...stack.lowerDirs].reverse().concat(stack.upperDir)) {
    if (!existsSync(dir)) continue;
    await applyWhiteouts(dir, stack.target);
    await run('cp', ['-a', '--no-target-directory', `${dir}/.`, `${stack.target}/`]);
    await removeWhiteoutNodes(dir, stack.target);
  }
  writeFileSync(stamp, '');
}

/** Whiteouts (0/0 character devices) and opaque directories of one layer, relative paths. */
function listWhiteouts(layer: string): { whiteouts: string[]; opaque: string[] } {
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(layer, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isCharacterDevice() && lstatSync(join(layer, r)).rdev === 0) whiteouts.push(r);
      else if (e.isDirectory()) {
        const p = join(layer, r);
        const mark = lgetxattr(p, 'trusted.overlay.opaque') ?? lgetxattr(p, 'user.overlay.opaque');
        if (mark?.toString() === 'y') opaque.push(r);
        walk(r);
      }
    }
  };
  walk('');
  return { whiteouts, opaque };
}

async function applyWhiteouts(layer: string, target: string): Promise<void> {
  const { whiteouts, opaque } = listWhiteouts(layer);
  for (const w of whiteouts) rmSync(join(target, w), { recursive: true, force: true });
  for (const o of opaque) {
    const d = join(target, o);
    if (existsSync(d)) for (const e of readdirSync(d)) rmSync(join(d, e), { recursive: true, force: true });
  }
}

async function removeWhiteoutNodes(layer: string, target: string): Promise<void> {
  for (const w of listWhiteouts(layer).whiteouts) rmSync(join(target, w), { force: true });
}

/**
 * Mounts the stack at `stack.target` in the caller's mount namespace (for `trowel mount`) and
 * returns the root's path. Falls back from kernel overlay to fuse-overlayfs when the driver was
 * not chosen explicitly.
 * @throws RunSetupError with the kernel's or the mount program's reason.
 */
export async function mountLayers(cfg: StorageDriverConfig, stack: LayerStack, opts: { userNamespace: boolean }): Promise<string> {
  try {
    await mountRootfs(await rootfsFor(cfg, stack, opts));
  } catch (e) {
    const fallback = withFuseFallback(cfg);
    if (!fallback || !(e instanceof TrowelError) || e.code !== 'RUN_MOUNT') throw e;
    await mountRootfs(await rootfsFor(fallback, stack, opts));
  }
  return stack.target;
}

/** Unmounts what mountLayers mounted; vfs roots are plain directories and stay. */
export async function unmountLayers(cfg: StorageDriverConfig, target: string): Promise<void> {
  if (cfg.driver === 'vfs' || isVfsRoot(target)) return;
  await unmountRootfs(target);
}
