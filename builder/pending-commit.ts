import { mkdirSync, renameSync, rmSync } from 'node:fs';
import type { Store } from '../storage/store.js';
import type { ContainerRecord } from '../storage/records.js';

/**
 * Completes (or rolls forward) a commit that recorded `pendingLayer`: the upper dir becomes the
 * layer's unpacked dir (or is dropped if that layer is already unpacked: same diffID, same
 * content), the container gains the layer and gets a fresh upper dir. Safe to run again after
 * being killed at any point.
 */
export async function finishPendingCommit(store: Store, c: ContainerRecord): Promise<ContainerRecord> {
  const pending = c.pendingLayer;
  if (!pending) return c;
  const paths = store.containerPaths(c.id);
  if (!store.isUnpacked(pending)) {
    renameSync(paths.upper, store.layerDir(pending));
  } else {
    // Same diffID, same content: the layer dir already holds it.
    store.discardDir(paths.upper);
  }
  mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
  rmSync(paths.work, { recursive: true, force: true });
  mkdirSync(paths.work, { recursive: true, mode: 0o755 });
  return store.transaction((state) => {
    const cur = state.containers.find((x) => x.id === c.id);
    if (!cur) return c;
    if (cur.pendingLayer === pending) {
      cur.layers = [...cur.layers, pending];
      delete cur.pendingLayer;
    }
    return cur;
  });
}
