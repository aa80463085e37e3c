/**
 * The binding to trowel-helper (native/helper/), the forked C process that creates namespaces,
 * mounts a container's root and runs a command in it. This is the only file that knows the
 * helper's wire format:
 *
 * - spec, Node -> helper on fd 3: a sequence of records, each `key NUL count NUL` followed by
 *   `count` NUL-terminated fields; the helper reads until EOF.
 * - status, helper -> Node on fd 4: lines `pid N` (the namespaced init), `error CODE<TAB>message`,
 *   and a final `exit N` or `signal N`.
 *
 * Node never calls unshare or mount itself: it is multi-threaded, and a user namespace can only
 * be entered by a single-threaded process.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { TrowelError } from '../oci/error.js';

/** One range of an id map: `size` ids starting at `containerId` inside are `hostId…` outside. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

/** A user namespace to create, with its uid and gid maps. */
export interface UserNamespaceSpec {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /**
   * Set-uid helpers that write the maps for an unprivileged user (newuidmap, newgidmap from
   * uidmap). When absent the helper writes /proc/PID/uid_map itself, which only root may do
   * beyond a single self-mapping.
   */
  newuidmap?: string;
  newgidmap?: string;
}

/** How the container root gets mounted at `target` (a directory that becomes `/`). */
export type RootfsSpec =
  /** A directory used as it is (vfs, or a root already mounted by `trowel mount`). */
  | { kind: 'directory'; path: string }
  /** Kernel overlay: lower dirs topmost first; `options` are extra flags such as `userxattr`. */
  | { kind: 'overlay'; target: string; lowerDirs: string[]; upperDir: string; workDir: string; options?: string[] }
  /** A mount program such as fuse-overlayfs, given its whole argv (the target included). */
  | { kind: 'program'; target: string; argv: string[] };

/** A mount inside the container; `target` is resolved inside the root (symlinks cannot escape). */
export interface ContainerMount {
  /** `bind` takes `source` from the host; anything else is a filesystem type (tmpfs…). */
  type: string;
  source: string;
  target: string;
  /** Filesystem data such as `size=64m,mode=1777`. */
  data?: string;
  readonly?: boolean;
  /** Bind submounts too (rbind). */
  recursive?: boolean;
  nosuid?: boolean;
  nodev?: boolean;
  noexec?: boolean;
  /** The target is a file (created empty when missing and removed afterwards), not a directory. */
  file?: boolean;
}

/** A resource limit by its short name (nofile, nproc, core…), `-1` meaning unlimited. */
export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

/** Namespaces a run may share with the host instead of getting its own. */
export type HostNamespace = 'pid' | 'ipc' | 'uts';

/** Everything the helper needs to run one command in a container. */
export interface HelperRunSpec {
  rootfs: RootfsSpec;
  argv: string[];
  /** The whole environment, `NAME=value` each; PATH here is what the command is looked up in. */
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  /** Ignored when the uts namespace is the host's. */
  hostname?: string;
  /**
   * Share the host's namespace of these kinds (default: a new one each). `pid`: the command
   * sees the host's processes in /proc (a bind of the host's /proc in a user namespace, where
   * a fresh one cannot be mounted) and what it leaves running is killed when it ends; `ipc`:
   * /dev/shm is the host's; `uts`: the host's hostname.
   */
  hostNamespaces?: HostNamespace[];
  network?: 'host' | 'none' | 'private';
  /** slirp4netns binary for network `private`. */
  slirp4netns?: string;
  userNamespace?: UserNamespaceSpec;
  mounts?: ContainerMount[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** Capability numbers kept in the bounding set (and granted to uid 0); absent = leave as is. */
  capabilities?: number[];
  noNewPrivileges?: boolean;
  /**
   * Install trowel's seccomp filter (native/helper/seccomp.c: module, kexec, keyring, bpf,
   * perf, userfaultfd, handle opens and new user namespaces refused).
   */
  seccomp?: boolean;
  rlimits?: Rlimit[];
  /** Give the command a new pseudo-terminal relayed to trowel's stdin/stdout. */
  tty?: boolean;
  /** Mount /proc, a minimal /dev and a read-only /sys (default true for each). */
  proc?: boolean;
  dev?: boolean;
  sys?: boolean;
}

/** How a run ended: the command's exit code, or the signal that killed it (code 128+N). */
export interface RunOutcome {
  exitCode: number;
  signal?: NodeJS.Signals | number;
  /**
   * Mount targets the helper had to create in the root (for instance /etc/hosts in an image
   * without one). It removes them afterwards; with a mount program that removal can leave
   * whiteouts in the upper dir, which the caller may tidy. Errors carry the same list.
   */
  createdTargets: string[];
}

/** The helper could not set the container up (a mount, a namespace, an id map…). */
export class RunSetupError extends TrowelError {
  constructor(readonly helperCode: string, message: string) {
    super(`RUN_${helperCode}`, message);
  }
}

/** The command is not in the container (buildah's `executable file not found in $PATH`, exit 127). */
export class ExecutableNotFoundError extends TrowelError {
  constructor(message: string) {
    super('EXECUTABLE_NOT_FOUND', message, { exitCode: 127 });
  }
}

/** The command exists but may not be executed (exit 126). */
export class ExecutableDeniedError extends TrowelError {
  constructor(message: string) {
    super('EXECUTABLE_DENIED', message, { exitCode: 126 });
  }
}

/** The helper binary is missing: the native parts were not built. */
export class HelperMissingError extends TrowelError {
  constructor(path: string) {
    super('HELPER_MISSING', `run helper ${path}: not found (build it with: bash native/build.sh)`);
  }
}

/** Path of the helper binary: $TROWEL_HELPER, else native/bin/trowel-helper in the package. */
export function helperPath(): string {
  const fromEnv = process.env.TROWEL_HELPER;
  if (fromEnv) return fromEnv;
  // Compiled to dist/native/runner.js; the binary is built into native/bin/ of the package.
  return fileURLToPath(new URL('../../native/bin/trowel-helper', import.meta.url));
}

/** Encodes records in the helper's spec format. */
class SpecWriter {
  private readonly parts: Buffer[] = [];

  record(key: string, ...fields: (string | number)[]): this {
    const all = [key, String(fields.length), ...fields.map(String)];
    for (const f of all) {
      if (f.includes('\0')) throw new TrowelError('INVALID_ARGUMENT', `run spec: ${key} contains a NUL byte`);
      this.parts.push(Buffer.from(f + '\0', 'utf8'));
    }
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function encodeUserNamespace(w: SpecWriter, ns: UserNamespaceSpec): void {
  w.record('userns');
  for (const m of ns.uidMappings) w.record('uidmap', m.containerId, m.hostId, m.size);
  for (const m of ns.gidMappings) w.record('gidmap', m.containerId, m.hostId, m.size);
  if (ns.newuidmap) w.record('newuidmap', ns.newuidmap);
  if (ns.newgidmap) w.record('newgidmap', ns.newgidmap);
}

function encodeRootfs(w: SpecWriter, r: RootfsSpec): void {
  switch (r.kind) {
    case 'directory':
      w.record('rootfs-existing', r.path);
      return;
    case 'overlay':
      w.record('rootfs-overlay', r.target);
      for (const l of r.lowerDirs) w.record('lower', l);
      w.record('upper', r.upperDir);
      w.record('work', r.workDir);
      for (const o of r.options ?? []) w.record('overlay-opt', o);
      return;
    case 'program':
      w.record('rootfs-program', r.target, ...r.argv);
      return;
    default: {
      const never: never = r;
      throw new Error(`unknown rootfs ${JSON.stringify(never)}`);
    }
  }
}

/** The directory that becomes the container root for a rootfs spec. */
export function rootfsTarget(r: RootfsSpec): string {
  return r.kind === 'directory' ? r.path : r.target;
}

/** Encodes a run spec (exported for tests of the format). */
export function encodeRunSpec(spec: HelperRunSpec): Buffer {
  if (spec.argv.length === 0) throw new TrowelError('INVALID_ARGUMENT', 'run container: missing command');
  const w = new SpecWriter().record('mode', 'run');
  if (spec.userNamespace) encodeUserNamespace(w, spec.userNamespace);
  w.record('network', spec.network ?? 'host');
  if (spec.slirp4netns) w.record('slirp4netns', spec.slirp4netns);
  if (spec.hostname) w.record('hostname', spec.hostname);
  if (spec.hostNamespaces?.length) w.record('host-ns', ...spec.hostNamespaces);
  encodeRootfs(w, spec.rootfs);
  if (spec.proc !== false) w.record('proc');
  if (spec.dev !== false) w.record('dev');
  if (spec.sys !== false) w.record('sys');
  for (const p of spec.maskedPaths ?? []) w.record('mask', p);
  for (const p of spec.readonlyPaths ?? []) w.record('readonly-path', p);
  for (const m of spec.mounts ?? []) {
    const flags: string[] = [];
    if (m.readonly) flags.push('ro');
    if (m.recursive) flags.push('rbind');
    if (m.nosuid) flags.push('nosuid');
    if (m.nodev) flags.push('nodev');
    if (m.noexec) flags.push('noexec');
    if (m.file) flags.push('file');
    w.record('mount', m.type, m.source, m.target, m.data ?? '', ...flags);
  }
  for (const e of spec.env) w.record('env', e);
  w.record('argv', ...spec.argv);
  w.record('cwd', spec.cwd);
  w.record('user', spec.uid, spec.gid);
  w.record('groups', ...(spec.additionalGids ?? []));
  if (spec.capabilities) w.record('caps', ...spec.capabilities);
  if (spec.noNewPrivileges) w.record('no-new-privs');
  if (spec.seccomp) w.record('seccomp');
  for (const r of spec.rlimits ?? []) {
    const lim = (n: number) => (n < 0 ? 'unlimited' : String(n));
    w.record('rlimit', r.type, lim(r.soft), lim(r.hard));
  }
  if (spec.tty) w.record('tty');
  return w.bytes();
}

/** Status lines as parsed from fd 4. */
interface HelperStatus {
  pid?: number;
  created: string[];
  errors: { code: string; message: string }[];
  exit?: number;
  signal?: number;
}

function parseStatus(text: string): HelperStatus {
  const st: HelperStatus = { errors: [], created: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('pid ')) st.pid = Number(line.slice(4));
    else if (line.startsWith('created ')) st.created.push(line.slice(8));
    else if (line.startsWith('exit ')) st.exit = Number(line.slice(5));
    else if (line.startsWith('signal ')) st.signal = Number(line.slice(7));
    else if (line.startsWith('error ')) {
      const tab = line.indexOf('\t');
      st.errors.push({ code: tab > 0 ? line.slice(6, tab) : 'SETUP', message: tab > 0 ? line.slice(tab + 1) : line.slice(6) });
    }
  }
  return st;
}

function errorFor(e: { code: string; message: string }, what: string): TrowelError {
  switch (e.code) {
    case 'EXEC_NOT_FOUND':
      return new ExecutableNotFoundError(`${what}: ${e.message}`);
    case 'EXEC_DENIED':
      return new ExecutableDeniedError(`${what}: ${e.message}`);
    default:
      return new RunSetupError(e.code, `${what}: ${e.message}`);
  }
}

function signalName(n: number): NodeJS.Signals | number {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return n;
}

/** Standard streams for the command: inherited from trowel, or pipes the caller reads. */
export type RunStdio = 'inherit' | 'pipe' | 'ignore' | [stdin: 'inherit' | 'pipe' | 'ignore', stdout: 'inherit' | 'pipe' | 'ignore', stderr: 'inherit' | 'pipe' | 'ignore'];

/** A started helper: its streams (when piped) and how it ends. */
export interface HelperProcess {
  readonly child: ChildProcess;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves with the outcome; rejects with a TrowelError when set-up or exec failed. */
  readonly done: Promise<RunOutcome>;
  /** Sends a signal to the container's init, which passes it to the command. */
  kill(signal?: NodeJS.Signals): void;
}

/** How a helper is started: its stdio, the prefix of its error messages, signal forwarding. */
export interface StartOptions {
  stdio?: RunStdio;
  /** Prefix of error messages, e.g. `run container abc123`. */
  what: string;
  /** Forward SIGINT/SIGTERM/SIGHUP received by trowel to the command (default true). */
  forwardSignals?: boolean;
}

/** Helpers that get SIGINT/SIGTERM/SIGHUP sent to trowel; one process handler serves them all. */
const forwardedTo = new Set<ChildProcess>();
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function forwardSignal(sig: NodeJS.Signals): void {
  for (const child of forwardedTo) if (child.exitCode === null && child.signalCode === null) child.kill(sig);
}

function startForwarding(child: ChildProcess): void {
  // While any run is in progress, trowel itself does not die of these signals: the commands
  // get them, and trowel exits with their status.
  if (forwardedTo.size === 0) for (const s of FORWARDED_SIGNALS) process.on(s, forwardSignal);
  forwardedTo.add(child);
}

function stopForwarding(child: ChildProcess): void {
  forwardedTo.delete(child);
  if (forwardedTo.size === 0) for (const s of FORWARDED_SIGNALS) process.off(s, forwardSignal);
}

function startHelper(spec: Buffer, opts: StartOptions): HelperProcess {
  const path = helperPath();
  if (!existsSync(path)) throw new HelperMissingError(path);
  const io = opts.stdio ?? 'inherit';
  const [i, o, e] = typeof io === 'string' ? [io, io, io] : io;
  const stdio: StdioOptions = [i, o, e, 'pipe', 'pipe'];
  const child = spawn(path, [], { stdio });
  const specPipe = child.stdio[3] as Writable;
  const statusPipe = child.stdio[4] as Readable;
  specPipe.on('error', () => {});
  specPipe.end(spec);
  let statusText = '';
  statusPipe.setEncoding('utf8');
  statusPipe.on('data', (d: string) => (statusText += d));
  const statusEnded = new Promise<void>((res) => {
    statusPipe.on('end', res);
    statusPipe.on('close', res);
    statusPipe.on('error', () => res());
  });
  const forwarding = opts.forwardSignals !== false;
  if (forwarding) startForwarding(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
    child.on('error', rej);
    // 'close', not 'exit': piped stdout may still hold data after the process is gone.
    child.on('close', (code, signal) => res({ code, signal }));
  });
  const done = (async (): Promise<RunOutcome> => {
    try {
      const ex = await exited;
      await statusEnded;
      const st = parseStatus(statusText);
      const err = st.errors[0];
      if (err) throw Object.assign(errorFor(err, opts.what), { createdTargets: st.created });
      if (st.signal !== undefined) return { exitCode: 128 + st.signal, signal: signalName(st.signal), createdTargets: st.created };
      if (st.exit !== undefined) return { exitCode: st.exit, createdTargets: st.created };
      if (ex.signal) throw new RunSetupError('KILLED', `${opts.what}: helper killed by ${ex.signal}`);
      throw new RunSetupError('NO_STATUS', `${opts.what}: helper exited with status ${ex.code} without reporting`);
    } finally {
      if (forwarding) stopForwarding(child);
    }
  })();
  return {
    child,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    done,
    kill: (sig = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(sig);
    },
  };
}

/**
 * Starts `spec.argv` in new mount, pid, uts and ipc namespaces (plus network unless `host`, and
 * user when `userNamespace` is set) with the root mounted as described. The command runs as
 * pid 2 under a reaping init (pid 1). All mounts exist only inside the new mount namespace, so
 * none survive the run, even when the helper is killed.
 * @throws HelperMissingError when the helper is not built; the returned `done` rejects with
 *   ExecutableNotFoundError (127), ExecutableDeniedError (126) or RunSetupError (125).
 */
export function startRun(spec: HelperRunSpec, opts: StartOptions): HelperProcess {
  return startHelper(encodeRunSpec(spec), opts);
}

/** Runs to completion with inherited (or given) stdio; see startRun. */
export function runInContainer(spec: HelperRunSpec, opts: StartOptions): Promise<RunOutcome> {
  return startRun(spec, opts).done;
}

/** What `unshareExec` runs: argv in a new mount (and user, when given) namespace. */
export interface UnshareSpec {
  argv: string[];
  env: string[];
  cwd?: string;
  userNamespace?: UserNamespaceSpec;
}

/**
 * Runs argv in a new user namespace (when given) and mount namespace, as `buildah unshare` and
 * trowel's own rootless re-entry do; stdio is inherited. Resolves with the command's outcome.
 */
export function unshareExec(spec: UnshareSpec, opts: StartOptions): Promise<RunOutcome> {
  if (spec.argv.length === 0) throw new TrowelError('INVALID_ARGUMENT', 'unshare: missing command');
  const w = new SpecWriter().record('mode', 'unshare');
  if (spec.userNamespace) encodeUserNamespace(w, spec.userNamespace);
  for (const e of spec.env) w.record('env', e);
  w.record('argv', ...spec.argv);
  if (spec.cwd) w.record('cwd', spec.cwd);
  return startHelper(w.bytes(), { ...opts, stdio: opts.stdio ?? 'inherit' }).done;
}

/**
 * Mounts a root in the caller's own mount namespace (what `trowel mount` shows the user).
 * `directory` roots need no mount and are left alone.
 * @throws RunSetupError with the kernel's or the mount program's reason.
 */
export async function mountRootfs(rootfs: RootfsSpec): Promise<void> {
  if (rootfs.kind === 'directory') return;
  const w = new SpecWriter().record('mode', 'mount');
  encodeRootfs(w, rootfs);
  // A mount program daemonizes and keeps inherited pipes open, so its stdout goes nowhere.
  await startHelper(w.bytes(), { what: `mount ${rootfs.target}`, stdio: ['ignore', 'ignore', 'inherit'], forwardSignals: false }).done;
}

/** Unmounts a root mounted by mountRootfs (lazily when busy). */
export async function unmountRootfs(target: string): Promise<void> {
  const w = new SpecWriter().record('mode', 'umount').record('rootfs-existing', target);
  await startHelper(w.bytes(), { what: `unmount ${target}`, stdio: ['ignore', 'ignore', 'inherit'], forwardSignals: false }).done;
}
