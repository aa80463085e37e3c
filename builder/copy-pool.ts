/**
 * Runs file copies on worker threads: creating files is kernel work, and with two copies in
 * flight both cores do it (two stages copying at once no longer wait for each other on the
 * main thread, and one large COPY is split). Small batches are copied in place, where starting
 * a thread would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { copyFileTo, type FileCopy } from './file-copy.js';

/** Files below which a copy runs on the calling thread. */
const IN_PLACE_BELOW = 64;
/** Files per message to a worker. */
const CHUNK = 32;

interface PoolWorker {
  worker: Worker;
  /** The id of the chunk it holds, if any. */
  current?: number;
}

const workers: PoolWorker[] = [];
type ChunkDone = (result: { error?: Error; digests?: (string | null)[] }) => void;

const queue: { jobs: FileCopy[]; done: ChunkDone }[] = [];
const pending = new Map<number, ChunkDone>();
let nextId = 0;

function poolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

function startWorker(): PoolWorker {
  const w: PoolWorker = { worker: new Worker(new URL('./copy-worker.js', import.meta.url)) };
  w.worker.on('message', (m: { id: number; digests?: (string | null)[]; error?: { message: string; code?: string; syscall?: string; path?: string } }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    delete w.current;
    done?.(m.error ? { error: Object.assign(new Error(m.error.message), { code: m.error.code, syscall: m.error.syscall, path: m.error.path }) } : { digests: m.digests ?? [] });
    dispatch();
  });
  w.worker.on('error', (e) => {
    // A worker that died fails what it held; a new one is started for what is queued.
    workers.splice(workers.indexOf(w), 1);
    const held = w.current !== undefined ? pending.get(w.current) : undefined;
    if (w.current !== undefined) pending.delete(w.current);
    held?.({ error: e });
    dispatch();
  });
  w.worker.unref();
  workers.push(w);
  return w;
}

/** Hands queued chunks to idle workers; keeps the process alive only while work is in flight. */
function dispatch(): void {
  while (queue.length > 0) {
    const w = workers.find((x) => x.current === undefined) ?? (workers.length < poolSize() ? startWorker() : undefined);
    if (!w) break;
    const { jobs, done } = queue.shift()!;
    const id = nextId++;
    pending.set(id, done);
    w.current = id;
    w.worker.ref();
    w.worker.postMessage({ id, jobs });
  }
  for (const w of workers) if (w.current === undefined) w.worker.unref();
}

/**
 * Copies every job (see `copyFileTo`); resolves when all are done, with each job's digest
 * (sha256 hex, or undefined when the job did not ask for one). On a failure the other chunks
 * still finish (nothing is left half-written by a thread still running), then the first error
 * is thrown.
 */
export async function copyFiles(jobs: readonly FileCopy[]): Promise<(string | undefined)[]> {
  if (jobs.length < IN_PLACE_BELOW || poolSize() < 2) return jobs.map((job) => copyFileTo(job));
  const chunks: Promise<{ error?: Error; digests?: (string | null)[] }>[] = [];
  for (let i = 0; i < jobs.length; i += CHUNK) {
    chunks.push(new Promise((resolve) => queue.push({ jobs: jobs.slice(i, i + CHUNK), done: resolve })));
  }
  dispatch();
  const results = await Promise.all(chunks);
  const failed = results.find((r) => r.error !== undefined);
  if (failed) throw failed.error;
  return results.flatMap((r) => (r.digests ?? []).map((d) => d ?? undefined));
}
