import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Decodes the octal escapes (\040 for space…) that /proc/self/mountinfo uses in paths. */
export function decodeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below `dir` listed in a mountinfo text, deepest first. */
export function mountsBelow(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(decodeMountPath)
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Detaches every mount at or below `dir` (lazily, so a busy mount cannot stop clean-up).
 * Tools under test leave overlay mounts behind for mounted working containers; a store
 * directory cannot be removed until they are gone. Synchronous and untracked on purpose: it
 * also runs while an interrupted bench refuses to start anything new.
 */
export async function unmountBelow(dir: string): Promise<void> {
  for (;;) {
    const points = mountsBelow(readFileSync('/proc/self/mountinfo', 'utf8'), dir);
    if (points.length === 0) return;
    for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
    // A stacked mount point shows up again once the top mount is gone; loop until none.
    const left = mountsBelow(readFileSync('/proc/self/mountinfo', 'utf8'), dir);
    if (left.length >= points.length) return;
  }
}
