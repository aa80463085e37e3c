/**
 * One regular file copied the cheap way: the unit of work of a COPY, done on the main thread
 * or by the copy workers (copy-pool.ts). Plain data in, so it can cross to a worker.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, fchmodSync, fchownSync, fstatSync, futimesSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

/** A file to copy: what to read, where to write it, and the metadata it gets. */
export interface FileCopy {
  src: string;
  target: string;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes lstat gave for `src` (the copy reads to EOF; this only spares the EOF read). */
  size: number;
  /** Times in whole milliseconds since the epoch. */
  atimeMs: number;
  mtimeMs: number;
  /** Also hash the bytes copied (sha256), for a caller that needs the file's digest anyway. */
  digest?: boolean;
}

/** The buffer contents pass through (copies are synchronous, so one per thread is enough). */
let copyBuffer: Buffer | undefined;

const CREATE_NEW = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL;

/**
 * Copies `job.src` to `job.target`, replacing whatever is there and never following a link at
 * `target`, with the job's owner, mode and times.
 *
 * Why not copyFileSync + lchown/chmod/utimes: a COPY of a large context is thousands of small
 * files, and there the cost is the file-system calls per file, each a metadata update of the
 * new inode through overlay (copyFileSync alone does fstat, fchmod and ftruncate on it). Here
 * the file is created exclusively with its mode, owner and mode are changed only when the
 * created inode differs, and the times are set on the open descriptor: one metadata update in
 * the common case. Returns the sha256 hex of the bytes copied when `job.digest` is set.
 */
export function copyFileTo(job: FileCopy): string | undefined {
  const hash = job.digest ? createHash('sha256') : undefined;
  let out: number;
  try {
    out = openSync(job.target, CREATE_NEW, job.mode & 0o777);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    rmSync(job.target, { recursive: true, force: true });
    out = openSync(job.target, CREATE_NEW, job.mode & 0o777);
  }
  try {
    const input = openSync(job.src, fsc.O_RDONLY);
    try {
      const buf = (copyBuffer ??= Buffer.allocUnsafeSlow(1 << 20));
      for (let total = 0, n = buf.length; ;) {
        // A short read that reaches the size lstat gave is the end: no extra read for EOF.
        if (n < buf.length && total >= job.size) break;
        n = readSync(input, buf, 0, buf.length, null);
        if (n === 0) break;
        for (let written = 0; written < n;) written += writeSync(out, buf, written, n - written);
        hash?.update(buf.subarray(0, n));
        total += n;
      }
    } finally {
      closeSync(input);
    }
    const made = fstatSync(out);
    const chowned = made.uid !== job.uid || made.gid !== job.gid;
    if (chowned) fchownSync(out, job.uid, job.gid);
    // A chown clears setuid/setgid bits, so those are set again after it.
    if ((made.mode & 0o7777) !== job.mode || (chowned && (job.mode & 0o6000) !== 0)) fchmodSync(out, job.mode);
    futimesSync(out, new Date(job.atimeMs), new Date(job.mtimeMs));
  } finally {
    closeSync(out);
  }
  return hash?.digest('hex');
}
