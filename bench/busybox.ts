import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolSide } from './tool-side.js';

/** The base image every scenario builds on, made locally in each store. */
export const BUSYBOX_IMAGE = 'localhost/busybox:latest';

/** Applets the scenarios' RUN steps call, linked to /bin/busybox. */
const APPLETS = ['sh', 'true', 'echo', 'cat', 'cp', 'ls', 'mkdir', 'head', 'dd', 'tar', 'gzip', 'find', 'wc', 'rm', 'touch', 'seq'];

/** Writes a minimal root filesystem (busybox-static and its applet links) under `dir`. */
export async function writeBusyboxRootfs(dir: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true, mode: 0o755 });
  await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o755 });
  await copyFile('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) await symlink('busybox', join(dir, 'bin', a));
}

/**
 * Makes BUSYBOX_IMAGE in the tool's current store the way a user scripts it:
 * `from scratch`, `copy` the rootfs, `config --cmd`, `commit`. Both tools go through the
 * same commands, so the trowel side works as soon as those commands do.
 */
export async function commitBusyboxImage(tool: ToolSide, rootfs: string): Promise<void> {
  const c = await tool.value(['from', 'scratch']);
  await tool.run(['copy', c, rootfs, '/']);
  await tool.run(['config', '--cmd', '/bin/sh', '--env', 'PATH=/bin', c]);
  await tool.run(['commit', c, BUSYBOX_IMAGE]);
}

/** Commands `commitBusyboxImage` needs from trowel. */
export const BUSYBOX_COMMANDS = ['from', 'copy', 'config', 'commit'] as const;
