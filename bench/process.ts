import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A command to start: argv[0] is looked up on PATH. */
export interface Invocation {
  argv: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 15 minutes. */
  timeoutMs?: number;
  /** The tool's verb (commit, bud…), for error messages. */
  label?: string;
}

/** How a command ended, with the end of what it printed. */
export interface Outcome {
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** A timed run: the outcome plus the peak resident set size reported by GNU time. */
export interface Measurement extends Outcome {
  peakRssKb: number;
}

/** GNU time, which reads the peak RSS from wait4's rusage. */
export const GNU_TIME = '/usr/bin/time';

/** Children still running, each the leader of its own process group. */
const running = new Set<ChildProcess>();
/** Scratch directories of measurements in progress. */
const scratch = new Set<string>();
/** Set once the bench is interrupted: nothing new may start while it cleans up. */
let stopping = false;

/** Kills a tracked child's whole process group (the tool and whatever it started). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Starts a child in a process group of its own and tracks it until it exits, so that
 * `stopEverything()` can end it with all its descendants when the bench is interrupted.
 */
export function spawnTracked(file: string, args: readonly string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  if (stopping) throw new Error('bench interrupted');
  const child = spawn(file, [...args], { ...options, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/**
 * For an interrupted bench: kills every tracked process group, waits (up to 5 s) for them to
 * go, and removes the scratch files of measurements in progress.
 */
export async function stopEverything(): Promise<void> {
  stopping = true;
  const waits = [...running].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
  }));
  for (const c of running) killGroup(c);
  await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 5000))]);
  for (const d of scratch) await rm(d, { recursive: true, force: true });
}

/** Output kept per stream: enough for an error line, bounded for chatty builds. */
const KEEP_BYTES = 64 * 1024;

function keepTail(buf: string, more: string): string {
  const s = buf + more;
  return s.length > KEEP_BYTES ? s.slice(s.length - KEEP_BYTES) : s;
}

/**
 * Runs a command to completion. Never throws for a non-zero exit: the caller decides.
 * Throws only when the command cannot be started at all (ENOENT and the like).
 */
export function execute(inv: Invocation): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = inv.argv;
    if (file === undefined) return reject(new Error('execute: empty argv'));
    const t0 = process.hrtime.bigint();
    const child = spawnTracked(file, args, { cwd: inv.cwd, env: inv.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout = keepTail(stdout, d); });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = keepTail(stderr, d); });
    const timer = setTimeout(() => killGroup(child), inv.timeoutMs ?? 15 * 60_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ exitCode: code ?? 128, signal, stdout, stderr, wallMs });
    });
  });
}

/**
 * Runs a command under GNU time and returns its wall time (measured here, around the whole
 * child) and peak RSS in KiB. The RSS is the largest single process of the tree that was
 * waited for (rusage semantics), not a sum over processes.
 */
export async function measure(inv: Invocation): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'trowel-bench-time-'));
  scratch.add(dir);
  const out = join(dir, 'rss');
  try {
    const r = await execute({ ...inv, argv: [GNU_TIME, '-f', '%M', '-o', out, ...inv.argv] });
    const text = await readFile(out, 'utf8').catch(() => '');
    // GNU time writes "Command exited with non-zero status N" before the figure on failure.
    const rss = Number(/(\d+)\s*$/.exec(text.trim())?.[1] ?? NaN);
    return { ...r, peakRssKb: Number.isFinite(rss) ? rss : 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
    scratch.delete(dir);
  }
}

/**
 * The line of a command's output that best says why it failed, for one-line reports: the
 * last line mentioning an error (Node's crash trailer "Node.js v20…" and stack frames are
 * skipped), else the last non-empty line of stderr, else of stdout.
 */
export function lastLine(o: Pick<Outcome, 'stdout' | 'stderr'>): string {
  const lines = (o.stderr.trim() || o.stdout.trim())
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Node\.js v\d/.test(l) && !/^at /.test(l));
  const errorLine = [...lines].reverse().find((l) => /error/i.test(l));
  return errorLine ?? lines[lines.length - 1] ?? '(no output)';
}
