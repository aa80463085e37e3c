/**
 * Adapts a stored working container (storage/) to what runInWorkingContainer takes: its layer
 * stack (unpacked layer dirs topmost first, upper, work, merged) and per-store run directories.
 */
import { join } from 'node:path';
import type { Store } from '../../storage/store.js';
import type { ContainerRecord } from '../../storage/records.js';
import { isMounted, topmostUnique } from '../mount.js';
import type { RunContext, RunTarget } from './run-step.js';
import { mountLayers, unmountLayers, type StorageDriverConfig } from './storage-driver.js';
import { inUserNamespace } from './user-namespace.js';

/** The container's layer stack; a container with no layers gets the store's empty dir. */
export function storeRunTarget(store: Store, c: ContainerRecord): RunTarget {
  const paths = store.containerPaths(c.id);
  const lowerDirs = c.layers.length === 0 ? [store.emptyDir] : topmostUnique([...c.layers].reverse()).map((d) => store.layerDir(d));
  return {
    id: c.id,
    name: c.name,
    config: c.config,
    layers: { lowerDirs, upperDir: paths.upper, workDir: paths.work, target: paths.merged },
    // Already mounted by `trowel mount`: the run must use that mount, not a second overlay on the same upper dir.
    mountedOnHost: isMounted(paths.merged),
  };
}

/** Run scratch files under the store's tmp/, cache mounts under cache/. */
export function storeRunContext(store: Store, driver: StorageDriverConfig): RunContext {
  return { runDir: join(store.tmpDir, 'run'), cacheDir: join(store.root, 'cache'), driver };
}

/**
 * Mounts a stored container's layers at its merged dir with the configured driver (kernel
 * overlay with userxattr when rootless, fuse-overlayfs, or a vfs copy) and returns the root's
 * path; already mounted roots are returned as they are. For `trowel mount`.
 */
export async function mountStoreContainer(store: Store, c: ContainerRecord, driver: StorageDriverConfig): Promise<string> {
  const target = storeRunTarget(store, c);
  if (target.mountedOnHost) return target.layers.target;
  return mountLayers(driver, target.layers, { userNamespace: inUserNamespace() });
}

/** Unmounts what mountStoreContainer mounted (a vfs root stays, it is a plain directory). */
export async function unmountStoreContainer(store: Store, c: ContainerRecord, driver: StorageDriverConfig): Promise<void> {
  const merged = store.containerPaths(c.id).merged;
  if (driver.driver !== 'vfs' && !isMounted(merged)) return;
  await unmountLayers(driver, merged);
}
