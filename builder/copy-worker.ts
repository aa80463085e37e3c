/**
 * The copy worker thread (started by copy-pool.ts): copies each batch of files it is sent and
 * answers `{ id, digests }` (each file's sha256 hex, or null when not asked for), or
 * `{ id, error }` with the first failure of the batch.
 */
import { parentPort } from 'node:worker_threads';
import { copyFileTo, type FileCopy } from './file-copy.js';

parentPort?.on('message', (m: { id: number; jobs: FileCopy[] }) => {
  try {
    const digests = m.jobs.map((job) => copyFileTo(job) ?? null);
    parentPort!.postMessage({ id: m.id, digests });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    parentPort!.postMessage({ id: m.id, error: { message: err.message, code: err.code, syscall: err.syscall, path: err.path } });
  }
});
