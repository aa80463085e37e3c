/**
 * The copy worker thread (started by copy-pool.ts): copies each batch of files it is sent and
 * answers `{ id }`, or `{ id, error }` with the first failure of the batch.
 */
import { parentPort } from 'node:worker_threads';
import { copyFileTo, type FileCopy } from './file-copy.js';

parentPort?.on('message', (m: { id: number; jobs: FileCopy[] }) => {
  try {
    for (const job of m.jobs) copyFileTo(job);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    parentPort!.postMessage({ id: m.id, error: { message: err.message, code: err.code, syscall: err.syscall, path: err.path } });
  }
});
