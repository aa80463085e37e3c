/**
 * `--ssh` for a build: SSH agents that `RUN --mount=type=ssh` steps may use. An id names an
 * agent socket (given, or `$SSH_AUTH_SOCK` when no path is given) or private key files, which
 * are loaded into an `ssh-agent` started for the build (openssh-client) and stopped with it.
 * Each ssh mount gets its own proxy socket, owned and moded as the mount asks, that relays
 * connections to the agent; the proxy is closed when the step ends. Only the socket is ever
 * shown to a RUN: no key, path or socket reaches a layer, the history or the config.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';

/** What `--ssh` gave for one id: socket or key file paths (none: `$SSH_AUTH_SOCK`). */
export type SshSources = Readonly<Record<string, readonly string[]>>;

/** The agent of an id could not be started or a key could not be added to it. */
export class SshAgentError extends TrowelError {
  constructor(message: string) {
    super('SSH_AGENT', message);
  }
}

/**
 * Parses one `--ssh default|ID[=SOCKET|KEY[,KEY…]]` value (buildah's and BuildKit's syntax).
 * `env` gives `$SSH_AUTH_SOCK` for an id without paths.
 * @throws InvalidArgumentError naming the value: bad id, missing path, no `$SSH_AUTH_SOCK`.
 */
export function parseSshSpec(value: string, env: NodeJS.ProcessEnv = process.env): { id: string; paths: string[] } {
  const eq = value.indexOf('=');
  const id = eq < 0 ? value : value.slice(0, eq);
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new InvalidArgumentError(`parse --ssh ${JSON.stringify(value)}: want default|ID[=SOCKET|KEY[,KEY…]]`);
  let paths = eq < 0 ? [] : value.slice(eq + 1).split(',').filter((p) => p !== '');
  if (paths.length === 0) {
    const sock = env.SSH_AUTH_SOCK;
    if (!sock) throw new InvalidArgumentError(`parse --ssh ${JSON.stringify(value)}: $SSH_AUTH_SOCK is not set (give a socket or key file: --ssh ${id}=PATH)`);
    paths = [sock];
  }
  for (const p of paths) {
    if (!existsSync(p)) throw new InvalidArgumentError(`parse --ssh ${JSON.stringify(value)}: ${p}: no such file or socket`);
  }
  return { id, paths };
}

/** How a RUN wants its socket: BuildKit's `uid`, `gid` and `mode` (default 0:0, 0600). */
export interface SocketAccess {
  uid: number;
  gid: number;
  mode: number;
}

/** A socket made for one mount; `close` stops relaying and removes it. */
export interface ForwardedSocket {
  path: string;
  close: () => Promise<void>;
}

function isSocket(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** Polls `ready` until it holds, `alive` fails or `ms` pass; returns whether it held. */
async function waitUntil(ready: () => boolean, alive: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (ready()) return true;
    if (!alive()) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return ready();
}

/** The line of ssh-add's complaint worth showing (its banners are lines of `@`). */
function sshAddReason(stderr: string): string {
  if (/passphrase/i.test(stderr)) return 'the key has a passphrase (add it to your own agent and give --ssh ID=$SSH_AUTH_SOCK)';
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^@+$/.test(l));
  return lines.find((l) => /^(Permissions|Error|Bad|Could not|Load key)/i.test(l)) ?? lines[0] ?? '';
}

/**
 * The agents of one build. Agents for key files start on first use; {@link stop} ends them and
 * removes every socket made. Safe to call `stop` more than once.
 */
export class SshForwarding {
  private dir: string | undefined;
  private readonly agents = new Map<string, Promise<string>>();
  private readonly started: { child: ChildProcess; agentPid?: number }[] = [];
  private readonly open = new Set<ForwardedSocket>();
  private proxies = 0;

  constructor(private readonly sources: SshSources) {}

  /** Whether `--ssh` named this id. */
  has(id: string): boolean {
    return this.sources[id] !== undefined;
  }

  /**
   * A short directory for sockets (their paths must fit in 108 bytes). Others may pass through
   * it but not list it (0711), so a RUN whose root is a mapped, unprivileged id can reach the
   * socket made for it; each socket's own owner and mode decide who may connect.
   */
  private privateDir(): string {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'trowel-ssh-'));
      chmodSync(this.dir, 0o711);
    }
    return this.dir;
  }

  /** The agent socket of `id`: the one given, or a build agent holding the given keys. */
  private agentSocket(id: string): Promise<string> {
    let p = this.agents.get(id);
    if (!p) {
      const paths = this.sources[id]!;
      p = paths.length === 1 && isSocket(paths[0]!) ? Promise.resolve(paths[0]!) : this.startAgent(id, paths);
      this.agents.set(id, p);
    }
    return p;
  }

  private async startAgent(id: string, keys: readonly string[]): Promise<string> {
    for (const k of keys) {
      if (isSocket(k)) throw new SshAgentError(`start ssh agent for --ssh ${id}: ${k} is a socket; give one socket or only key files`);
    }
    const sock = join(this.privateDir(), `agent-${this.started.length}.sock`);
    // The agent watches its parent (the command below) and exits when it is gone; the command
    // lives as long as trowel holds its stdin open, so even a killed trowel leaves no agent.
    let child: ChildProcess;
    try {
      child = spawn('ssh-agent', ['-a', sock, 'sh', '-c', 'echo "$SSH_AGENT_PID"; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      throw new SshAgentError(`start ssh agent for --ssh ${id}: ${(e as Error).message}`);
    }
    const record: { child: ChildProcess; agentPid?: number } = { child };
    this.started.push(record);
    let failed: string | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', (e) => (failed = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ssh-agent not found (install openssh-client)' : e.message));
    child.stdout!.once('data', (d: Buffer) => {
      const pid = Number(String(d).trim());
      if (Number.isSafeInteger(pid) && pid > 0) record.agentPid = pid;
    });
    // The agent's pid is known before any key is added, so stop() can always end it.
    if (!(await waitUntil(() => existsSync(sock) && record.agentPid !== undefined, () => failed === undefined && child.exitCode === null, 5000))) {
      throw new SshAgentError(`start ssh agent for --ssh ${id}: ${failed ?? (stderr.trim().split('\n')[0] || 'its socket did not appear')}`);
    }
    for (const key of keys) {
      // Never prompt: a key with a passphrase is an error, not a hang. Without askpass and in
      // a session of its own (no controlling terminal) ssh-add has nowhere to ask.
      const r = spawnSync('setsid', ['--wait', 'ssh-add', '-q', key], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SSH_AUTH_SOCK: sock, SSH_ASKPASS_REQUIRE: 'never' },
      });
      if (r.status !== 0) {
        const why = r.error ? r.error.message : sshAddReason(r.stderr) || `exit status ${r.status}`;
        throw new SshAgentError(`add ssh key ${key} for --ssh ${id}: ${why}`);
      }
    }
    return sock;
  }

  /**
   * A socket for one ssh mount of `id`, relaying to its agent, owned `uid:gid` with `mode`.
   * @throws SshAgentError when the agent cannot be started, a key cannot be added, or the
   *   socket cannot be given to `uid:gid` (an id the namespace does not have).
   */
  async socketFor(id: string, access: SocketAccess): Promise<ForwardedSocket> {
    const agent = await this.agentSocket(id);
    const path = join(this.privateDir(), `mount-${this.proxies++}.sock`);
    const connections = new Set<Socket>();
    const server: Server = createServer((client) => {
      const upstream = createConnection(agent);
      connections.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        connections.delete(client);
        connections.delete(upstream);
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    try {
      chmodSync(path, access.mode);
      chownSync(path, access.uid, access.gid);
    } catch (e) {
      server.close();
      rmSync(path, { force: true });
      throw new SshAgentError(`set up the ssh socket for --ssh ${id}: give it to ${access.uid}:${access.gid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const socket: ForwardedSocket = {
      path,
      close: () => new Promise<void>((resolve) => {
        this.open.delete(socket);
        // Connections still open are cut: the step that used them has ended.
        server.close(() => resolve());
        for (const c of connections) c.destroy();
        rmSync(path, { force: true });
      }),
    };
    // The server must not keep trowel alive on its own.
    server.unref();
    this.open.add(socket);
    return socket;
  }

  /** Closes every proxy, stops the agents started for key files, removes the sockets. */
  async stop(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.close()));
    for (const { child, agentPid } of this.started) {
      if (agentPid !== undefined) {
        try {
          process.kill(agentPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      child.stdin?.end();
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    this.started.length = 0;
    this.agents.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
