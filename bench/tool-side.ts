import { chown, mkdir, mkdtemp, rename, rm, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { asUser, type BenchUser } from './bench-user.js';
import { ToolCommandError } from './errors.js';
import { unmountBelow } from './mounts.js';
import { execute, type Invocation } from './process.js';

export type ToolName = 'buildah' | 'trowel';

/** A storage root and state directory, fresh for each scenario (or each cold run). */
export interface Store {
  root: string;
  runroot: string;
}

export interface ToolSideOptions {
  name: ToolName;
  /** The program: ['buildah'] or [<repo>/bin/trowel]. */
  exe: readonly string[];
  /** Where this side's stores and scratch directories are made. */
  parent: string;
  /** Run every command as this unprivileged user, with fuse-overlayfs as mount program. */
  rootless?: BenchUser;
  /**
   * Where dropped stores are moved instead of being deleted; the caller removes it when the
   * whole run is over. See `dropStore`.
   */
  retireTo?: string;
  /** Below this much free space (default 10 GiB) a dropped store is deleted at once rather than kept. */
  retireMinFreeBytes?: number;
}

/** Variables that would change either tool's behaviour behind the bench's back. */
const SCRUBBED = ['BUILDAH_LAYERS', 'TROWEL_LAYERS', 'BUILDAH_ISOLATION', 'TROWEL_ROOT', 'STORAGE_DRIVER', 'STORAGE_OPTS', 'CONTAINERS_STORAGE_CONF', 'SOURCE_DATE_EPOCH'];

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  for (const k of SCRUBBED) delete env[k];
  return env;
}

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/**
 * One tool (buildah or trowel) as a scenario drives it: the same command line shape for
 * both (buildah's global flags), its own store, optionally as the rootless bench user.
 */
export class ToolSide {
  readonly name: ToolName;
  private readonly exe: readonly string[];
  private readonly parent: string;
  readonly rootless: BenchUser | undefined;
  private readonly retireTo: string | undefined;
  private readonly retireMinFreeBytes: number;
  private current: Store | undefined;
  private runtimeDir: string | undefined;

  constructor(opts: ToolSideOptions) {
    this.name = opts.name;
    this.exe = opts.exe;
    this.parent = opts.parent;
    this.rootless = opts.rootless;
    this.retireTo = opts.retireTo;
    this.retireMinFreeBytes = opts.retireMinFreeBytes ?? 10 * 1024 ** 3;
  }

  /** The current store; `freshStore()` must have been called. */
  get store(): Store {
    if (!this.current) throw new Error(`${this.name}: no store yet`);
    return this.current;
  }

  /** Removes the current store (unmounting what the tool left mounted) and makes a new one. */
  async freshStore(): Promise<Store> {
    await this.dropStore();
    await mkdir(this.parent, { recursive: true, mode: 0o755 });
    const dir = await mkdtemp(join(this.parent, `${this.name}-store-`));
    const store = { root: join(dir, 'root'), runroot: join(dir, 'runroot') };
    await mkdir(store.root, { mode: 0o700 });
    await mkdir(store.runroot, { mode: 0o700 });
    if (this.rootless) {
      for (const d of [dir, store.root, store.runroot]) await chown(d, this.rootless.uid, this.rootless.gid);
      if (!this.runtimeDir) {
        this.runtimeDir = await mkdtemp(join(this.parent, `${this.name}-xdg-`));
        await chown(this.runtimeDir, this.rootless.uid, this.rootless.gid);
      }
    }
    this.current = store;
    return store;
  }

  /**
   * Removes the current store, if any. With `retireTo` (and enough free space) it is moved there
   * instead: this machine's root file system is ext4 without a journal, where the inode
   * allocator skips, one by one, inodes freed in the last one to six minutes. Deleting a
   * store of thousands of files right before a cold run would make the next tool's file
   * creations pay for the bench's own clean-up (about 1 s of a 1.3 s pull here, both tools alike).
   */
  async dropStore(): Promise<void> {
    if (!this.current) return;
    const dir = join(this.current.root, '..');
    this.current = undefined;
    await unmountBelow(dir);
    if (this.retireTo && (await freeBytes(this.parent)) >= this.retireMinFreeBytes) {
      await mkdir(this.retireTo, { recursive: true });
      await rename(dir, join(this.retireTo, `${basename(join(this.parent, '..'))}-${this.name}-${basename(dir)}`));
      return;
    }
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes everything this side made. */
  async dispose(): Promise<void> {
    await this.dropStore();
    if (this.runtimeDir) await rm(this.runtimeDir, { recursive: true, force: true });
    this.runtimeDir = undefined;
  }

  /** Global flags selecting the store and driver, in buildah's spelling. */
  storeArgs(): string[] {
    const s = this.store;
    const args = ['--root', s.root, '--runroot', s.runroot, '--storage-driver', 'overlay'];
    if (this.rootless) args.push('--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs');
    return args;
  }

  /**
   * Flags `run` and `bud` need: buildah's default OCI runtime refuses this host's cgroup
   * layout, so it runs with chroot isolation; trowel uses its own namespaces.
   */
  isolationArgs(): string[] {
    return this.name === 'buildah' ? ['--isolation', 'chroot'] : [];
  }

  /** The full command for `args` (e.g. ['commit', c, 'img']), ready to run or measure. */
  invocation(args: readonly string[], cwd?: string): Invocation {
    const argv = [...this.exe, ...this.storeArgs(), ...args];
    const label = args.find((a) => !a.startsWith('-'));
    if (this.rootless) {
      return { argv: asUser(this.rootless, this.runtimeDir ?? '/tmp', argv), cwd: cwd ?? this.parent, env: cleanEnv(), label };
    }
    return { argv, cwd: cwd ?? this.parent, env: cleanEnv(), label };
  }

  /** Runs an untimed step and returns its stdout; throws ToolCommandError on failure. */
  async run(args: readonly string[], cwd?: string): Promise<string> {
    const outcome = await execute(this.invocation(args, cwd));
    if (outcome.exitCode !== 0) throw new ToolCommandError(this.name, args, outcome);
    return outcome.stdout;
  }

  /**
   * Like run, for commands that print one value (a container name, a path, an id) last.
   * Throws ToolCommandError when the command printed nothing.
   */
  async value(args: readonly string[], cwd?: string): Promise<string> {
    const outcome = await execute(this.invocation(args, cwd));
    const lines = outcome.stdout.trim().split('\n');
    const value = (lines[lines.length - 1] ?? '').trim();
    if (outcome.exitCode !== 0 || value === '') throw new ToolCommandError(this.name, args, outcome);
    return value;
  }
}
