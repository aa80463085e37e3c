/**
 * Adapts a stored working container (storage/) to what runInWorkingContainer takes: its layer
 * stack (unpacked layer dirs topmost first, upper, work, merged) and per-store run directories.
 */
import { join } from 'node:path';
import type { Store } from '../../storage/store.js';
import type { ContainerRecord } from '../../storage/records.js';
import { isMounted } from '../mount.js';
import type { RunContext, RunTarget } from './run-step.js';
import type { StorageDriverConfig } from './storage-driver.js';

/** The container's layer stack; a container with no layers gets the store's empty dir. */
export function storeRunTarget(store: Store, c: ContainerRecord): RunTarget {
  const paths = store.containerPaths(c.id);
  const lowerDirs = c.layers.length === 0 ? [store.emptyDir] : [...c.layers].reverse().map((d) => store.layerDir(d));
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
