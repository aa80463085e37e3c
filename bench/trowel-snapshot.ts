import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchSetupError } from './errors.js';
import { execute } from './process.js';

/** What a runnable trowel consists of, relative to the repository. */
const PARTS = ['dist', 'native', 'bin'] as const;

/**
 * Copies the built trowel (dist/, native/ with the helper and addon, bin/, package.json;
 * node_modules linked) under `dir` and returns the command that starts the copy.
 *
 * Why: the repository's dist/ is rebuilt whenever anyone compiles, and a module caught
 * half-written fails to load. Timing a copy taken once at the start keeps every scenario
 * on the same trowel and immune to rebuilds during the run.
 */
export async function snapshotTrowel(repo: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const part of PARTS) {
    const r = await execute({ argv: ['cp', '-a', join(repo, part), join(dir, part)] });
    if (r.exitCode !== 0) throw new BenchSetupError(`copy trowel's ${part}/: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  await copyFile(join(repo, 'package.json'), join(dir, 'package.json'));
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return [join(dir, 'bin', 'trowel')];
}
