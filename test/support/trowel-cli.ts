/**
 * Runs the real `bin/trowel` in a child process against a throwaway store, for CLI tests.
 * `makeBusyboxContainer` creates a working container with `trowel from scratch` and writes a
 * busybox root into its upper dir directly (the test owns the store).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBusyboxRootfs } from './busybox-rootfs.js';

/** The trowel entry point of this checkout. */
export const TROWEL_BIN = fileURLToPath(new URL('../../../bin/trowel', import.meta.url));

/** A store root just for one test file. */
export function tempStoreRoot(prefix = 'trowel-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Result of a finished trowel run. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs trowel with TROWEL_ROOT=root and waits. */
export function trowelSync(root: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(TROWEL_BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, TROWEL_ROOT: root, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs trowel asynchronously (for tests that kill it). */
export function trowelAsync(root: string, args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawn> {
  return spawn(TROWEL_BIN, args, { env: { ...process.env, TROWEL_ROOT: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A `from scratch` container with busybox written into its upper dir; returns name and dirs. */
export function makeBusyboxContainer(root: string): { name: string; id: string; upper: string } {
  const dir = join(root, 'containers');
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  const r = trowelSync(root, ['from', 'scratch']);
  if (r.status !== 0) throw new Error(`trowel from scratch failed: ${r.stderr}`);
  const id = readdirSync(join(root, 'containers')).find((d) => !before.has(d));
  if (!id) throw new Error('trowel from scratch: no new container directory');
  const upper = join(root, 'containers', id, 'upper');
  writeBusyboxRootfs(upper);
  return { name: r.stdout.trim(), id, upper };
}
