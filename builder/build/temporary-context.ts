/**
 * Build contexts trowel makes itself (from stdin, a URL or a git repository) live in a
 * directory of the store's tmp dir, named like every temp entry there (`context-<pid>-<rand>`)
 * so that a later run sweeps what a killed one left.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer, detectCompression } from '../../layers/index.js';
import { tempName } from '../../storage/atomic.js';

/** A context made for one build; `remove()` deletes it. */
export interface TemporaryContext {
  /** The directory the build reads as its context (inside the temporary one). */
  contextDir: string;
  remove(): void;
}

/** A new, empty temporary directory under `tmpDir` (`PREFIX-<pid>-<rand>`) and the function that deletes it. */
export function makeTemporaryDir(tmpDir: string, prefix = 'context'): { dir: string; remove(): void } {
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const dir = join(tmpDir, tempName(prefix));
  mkdirSync(dir, { mode: 0o700 });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether bytes that start a file are a tar: compressed (gzip, zstd), or with tar's `ustar` magic. */
export function looksLikeTar(head: Buffer): boolean {
  return detectCompression(head) !== 'none' || (head.length >= 263 && head.subarray(257, 262).toString('latin1') === 'ustar');
}

/**
 * Unpacks a context archive into `dir` with layers/, which refuses entries that would land
 * outside it (absolute names, `..`, symlinks and hardlinks pointing out).
 */
export async function unpackContextArchive(archive: Readable, dir: string): Promise<void> {
  await applyLayer(archive, dir, { mode: 'plain' });
}
