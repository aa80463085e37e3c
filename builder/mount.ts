import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mount, umount2, UmountFlags, isErrnoError } from '../native/index.js';
import { TrowelError } from '../oci/error.js';
import type { Store } from '../storage/store.js';
import type { ContainerRecord } from '../storage/records.js';
import { inUserNamespace } from './run/user-namespace.js';

/** Whether `target` is a mount point in this mount namespace (reads /proc/self/mountinfo). */
export function isMounted(target: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const escaped = target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((line) => line.split(' ')[4] === escaped);
}

/**
 * Layer diffIDs top first with repeats dropped, keeping each layer's topmost place. Overlay
 * refuses a lower dir given twice (ELOOP), and an image may hold the same layer twice (two
 * steps with identical diffs); the upper copy re-applies everything the lower one had, so the
 * merged view is the same without the lower copy.
 */
export function topmostUnique<T>(topFirst: readonly T[]): T[] {
  const seen = new Set<T>();
  return topFirst.filter((d) => !seen.has(d) && (seen.add(d), true));
}

/**
 * Mounts a container's layers (read-only lower dirs, top first) with its upper and work dirs as
 * kernel overlay at its `merged` dir and returns that path. Lower dirs are given relative to the
 * store root (mount data is limited to one page), so the process changes directory around the
 * call.
 */
export function mountContainer(store: Store, c: ContainerRecord): string {
  const paths = store.containerPaths(c.id);
  if (isMounted(paths.merged)) return paths.merged;
  const lowers = c.layers.length === 0 ? ['empty'] : topmostUnique([...c.layers].reverse()).map((d) => join('layers', d.slice(d.indexOf(':') + 1)));
  mkdirSync(paths.work, { recursive: true });
  mkdirSync(paths.merged, { recursive: true });
  const rel = (p: string) => p.slice(store.root.length + 1);
  // redirect_dir and metacopy off: the upper dir must be a self-contained diff. In a user
  // namespace (rootless) the kernel wants `userxattr`, which never makes redirects either.
  const noRedirects = inUserNamespace() ? 'userxattr' : 'redirect_dir=off';
  const data = `lowerdir=${lowers.join(':')},upperdir=${rel(paths.upper)},workdir=${rel(paths.work)},${noRedirects},metacopy=off`;
  const cwd = process.cwd();
  try {
    process.chdir(store.root);
    mount('overlay', paths.merged, 'overlay', 0, data);
  } catch (err) {
    if (isErrnoError(err, 'EPERM') && !inUserNamespace()) {
      throw new TrowelError('MOUNT_DENIED', `mount ${c.name}: permission denied: rootless users run this inside \`trowel unshare\``);
    }
    throw new TrowelError('MOUNT_FAILED', `mount ${c.name}: overlay: ${(err as Error).message}`);
  } finally {
    process.chdir(cwd);
  }
  return paths.merged;
}

/**
 * Runs `fn` with the container's root mounted: mounted for the call when it is not already
 * (and unmounted afterwards, whatever happens), used as it is otherwise.
 */
export async function withContainerMounted<T>(store: Store, c: ContainerRecord, fn: (root: string) => Promise<T> | T): Promise<T> {
  const merged = store.containerPaths(c.id).merged;
  const mountedHere = !isMounted(merged);
  const root = mountContainer(store, c);
  try {
    return await fn(root);
  } finally {
    if (mountedHere) unmountContainer(merged);
  }
}

/** Unmounts a container's merged dir (lazily if busy). */
export function unmountContainer(merged: string): void {
  try {
    umount2(merged, 0);
  } catch (err) {
    if (isErrnoError(err, 'EBUSY')) umount2(merged, UmountFlags.MNT_DETACH);
    else if (!isErrnoError(err, 'EINVAL', 'ENOENT')) throw err;
  }
}
