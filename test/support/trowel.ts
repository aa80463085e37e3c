import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository's `bin/trowel`. */
export const TROWEL_BIN = new URL('../../../bin/trowel', import.meta.url).pathname;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): RunResult {
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * A throwaway trowel store: `run` invokes the real CLI against it. `cleanup` unmounts any
 * container mounts left under it and removes it.
 */
export class TrowelSandbox {
  readonly root: string;

  constructor(prefix = 'trowel-test-') {
    this.root = mkdtempSync(join(process.env.TMPDIR || tmpdir(), prefix));
  }

  run(args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
    return result(
      spawnSync(TROWEL_BIN, args, {
        encoding: 'utf8',
        input: opts.input ?? '',
        cwd: opts.cwd ?? this.root,
        env: { ...process.env, TROWEL_ROOT: this.root, ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
      }),
    );
  }

  /**
   * Like `run`, without blocking the event loop: for tests whose servers (a token server, a
   * fault proxy) live in the test process and must answer while trowel runs.
   */
  runAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const p = spawn(TROWEL_BIN, args, { env: { ...process.env, TROWEL_ROOT: this.root, ...opts.env } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    });
  }

  /** Runs and insists on exit 0; returns stdout trimmed. */
  ok(args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`trowel ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  }

  cleanup(): void {
    unmountUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
}

export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
}

/** Runs a host command; throws with its stderr if it fails. */
export function sh(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input ?? '', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
