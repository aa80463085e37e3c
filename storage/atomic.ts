import { createWriteStream, mkdirSync, openSync, renameSync, writeFileSync, rmSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';

/** A temp name that says which process made it, so a later run can tell stale leftovers. */
export function tempName(prefix = 'tmp'): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Writes a file so readers see either the old or the new content, never a torn one:
 * temp file in the same directory, then rename.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = join(dirname(path), '.' + tempName('w'));
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * A write stream on a temp file that exists before this returns. `createWriteStream(path)`
 * opens its file later, on its own: when the pipeline fails first, the `rmSync(path)` cleaning
 * up after it can run before that open, and the file then appears after the clean-up.
 */
export function createTempWriteStream(path: string, mode = 0o644): WriteStream {
  return createWriteStream(path, { fd: openSync(path, 'w', mode) });
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

export function ensureDir(path: string, mode = 0o700): void {
  mkdirSync(path, { recursive: true, mode });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp entries (`<prefix>-<pid>-<rand>`) in `dir` whose process is gone: what a killed
 * trowel left behind. Entries of live processes are kept.
 */
export function sweepStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.?[a-z]+-(\d+)-[0-9a-f]+/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      // A stale temp is only ours to remove if it is old enough not to be a pid-namespace twin.
      if (Date.now() - statSync(join(dir, name)).mtimeMs < 1000) continue;
    } catch {
      continue;
    }
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}
