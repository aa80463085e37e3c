/**
 * Commit support for the vfs storage driver. A vfs root is a full copy of the container's
 * layers that RUN changed in place, so its upper dir holds nothing; this recovers the upper
 * dir overlay would have written, and commit then goes on exactly as with overlay.
 */
import { lstatSync, lutimesSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer, diffTrees } from '../../layers/index.js';
import type { LayerStack } from './storage-driver.js';

/**
 * Makes `stack.upperDir` hold what the vfs root `stack.target` changed relative to the lower
 * dirs (read top-down as overlay merges them, never flattened): new and changed entries with
 * their parent dirs, deleted ones as 0/0 whiteout devices — what overlay's upper dir would
 * hold after the same commands. Whatever the upper dir held before is dropped: a vfs root
 * already contains it.
 *
 * A layer carries whole-second mtimes, so the upper dir's copies get them; the root's own
 * entries are set to the same whole seconds, so the next diff of the root against the layer
 * made from this upper dir sees them as unchanged (diffTrees compares size and mtime).
 * @throws LayerDiffError when a tree cannot be read; LayerApplyError when the upper dir cannot be written.
 */
export async function captureVfsChanges(stack: LayerStack): Promise<void> {
  rmSync(stack.upperDir, { recursive: true, force: true });
  mkdirSync(stack.upperDir, { recursive: true, mode: 0o755 });
  await applyLayer(diffTrees(stack.lowerDirs, stack.target), stack.upperDir, { mode: 'overlay' });
  alignTimes(stack.upperDir, stack.target);
}

/**
 * Gives every non-directory in `upper` (whiteouts aside) and its twin in `root` the same
 * whole-second mtime (exported for tests). Only real directories of `root` are entered: were
 * one swapped for a symlink since the diff, its entries are left alone rather than followed
 * out of the root.
 */
export function alignTimes(upper: string, root: string, rel = ''): void {
  for (const entry of readdirSync(join(upper, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const inUpper = join(upper, child);
    if (entry.isDirectory()) {
      if (lstatSync(join(root, child), { throwIfNoEntry: false })?.isDirectory()) alignTimes(upper, root, child);
      continue;
    }
    const up = lstatSync(inUpper, { bigint: true });
    if (entry.isCharacterDevice() && up.rdev === 0n) continue;
    const inRoot = join(root, child);
    const st = lstatSync(inRoot, { bigint: true, throwIfNoEntry: false });
    if (!st) continue;
    const ns = st.mtimeNs;
    const seconds = Number(ns / 1_000_000_000n) - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1 : 0);
    lutimesSync(inUpper, seconds, seconds);
    if (ns !== BigInt(seconds) * 1_000_000_000n) lutimesSync(inRoot, Number(st.atimeNs / 1_000_000_000n), seconds);
  }
}
