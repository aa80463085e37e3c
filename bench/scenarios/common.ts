import { isAbsolute, resolve } from 'node:path';
import { BenchSetupError } from '../errors.js';
import { commitBusyboxImage } from '../busybox.js';
import { execute } from '../process.js';
import type { BenchContext } from '../scenario.js';
import type { ToolSide } from '../tool-side.js';

/** `n` scaled for --quick, never below 1. */
export function scaled(n: number, scale: number): number {
  return Math.max(1, Math.round(n * scale));
}

/** "10,000 files / 300 MB" (decimal megabytes, as the goals are stated). */
export function describeTree(files: number, bytes: number): string {
  return `${files.toLocaleString('en-US')} files / ${Math.round(bytes / 1e6).toLocaleString('en-US')} MB`;
}

/**
 * Flushes dirty pages so a timed run does not pay for the write-back of the untimed
 * preparation before it.
 */
export async function settle(): Promise<void> {
  await execute({ argv: ['sync'] });
}

/** A fresh store holding only the local busybox base image. */
export async function freshBusyboxStore(tool: ToolSide, ctx: BenchContext): Promise<void> {
  await tool.freshStore();
  await commitBusyboxImage(tool, ctx.busyboxRootfs);
}

/**
 * Copies the contents of `src` into `dest` with `cp -a` (untimed preparation). `dest` comes
 * from a tool's output (a mount point), so anything but an absolute path below / is refused
 * rather than risk copying into the host's root.
 */
export async function copyContents(src: string, dest: string): Promise<void> {
  if (!isAbsolute(dest) || resolve(dest) === '/') throw new BenchSetupError(`copy ${src}: refusing destination "${dest}"`);
  const r = await execute({ argv: ['cp', '-a', `${src}/.`, dest] });
  if (r.exitCode !== 0) throw new BenchSetupError(`copy ${src} into ${dest}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
}
