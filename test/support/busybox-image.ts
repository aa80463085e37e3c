/**
 * A busybox base image for build tests, made locally (no network): the root filesystem of
 * busybox-rootfs.ts (busybox-static, applet symlinks, /etc/passwd with root, tester, nobody)
 * committed as one layer. `makeTrowelBusyboxImage` builds it with trowel itself (`from scratch`,
 * `mount`, `commit`); `makeBuildahBusyboxImage` makes the same image in a buildah store, so the
 * two builders start from the same files.
 */
import { spawnSync } from 'node:child_process';
import type { TrowelSandbox } from './trowel.js';
import { writeBusyboxRootfs } from './busybox-rootfs.js';

/** The name both helpers give the image. */
export const BUSYBOX_IMAGE = 'localhost/busybox:latest';

/**
 * Builds the busybox image in a trowel sandbox's store; returns its id. With `timestamp`
 * (seconds), two stores get the very same image (same id), for reproducibility tests.
 */
export function makeTrowelBusyboxImage(t: TrowelSandbox, name = BUSYBOX_IMAGE, opts: { timestamp?: number } = {}): string {
  const c = t.ok(['from', 'scratch']);
  try {
    const mnt = t.ok(['mount', c]);
    writeBusyboxRootfs(mnt);
    t.ok(['umount', c]);
    return t.ok(['commit', '-q', ...(opts.timestamp !== undefined ? ['--timestamp', String(opts.timestamp)] : []), c, name]);
  } finally {
    t.run(['rm', c]);
  }
}

/** buildah's flags for a private store (vfs, chroot isolation: this host's cgroup v1 layout). */
export function buildahStoreArgs(root: string): string[] {
  return ['--root', `${root}/root`, '--runroot', `${root}/runroot`, '--storage-driver', 'vfs'];
}

function buildah(store: string, args: string[]): string {
  const r = spawnSync('buildah', [...buildahStoreArgs(store), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`buildah ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Builds the same busybox image in a buildah store at `store`; returns its id. */
export function makeBuildahBusyboxImage(store: string, name = BUSYBOX_IMAGE): string {
  const c = buildah(store, ['from', 'scratch']);
  try {
    writeBusyboxRootfs(buildah(store, ['mount', c]));
    return buildah(store, ['commit', '-q', c, name]);
  } finally {
    spawnSync('buildah', [...buildahStoreArgs(store), 'rm', c]);
  }
}
