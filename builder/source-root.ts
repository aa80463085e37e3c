import type { Store } from '../storage/store.js';
import { findContainer } from '../storage/lookup.js';
import { ContainerNotFoundError } from '../storage/errors.js';
import type { ContainerRecord } from '../storage/records.js';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import { mountContainer, withContainerMounted } from './mount.js';
import { resolveImage } from './resolve-image.js';
import { createWorkingContainer, removeWorkingContainer } from './working-container.js';

/** Where `copy --from` / `add --from` read: a working container or an image. */
export interface SourceRootOptions {
  /** Registry access for an image that has to be pulled. */
  access?: DockerTransportOptions;
}

/**
 * Runs `fn` with the root file system of `from`, read-only by convention: a working container
 * (mounted for the call when it is not already), else an image (pulled when missing, as buildah
 * does), seen through a temporary working container that is removed afterwards. A container's
 * name wins over an image's, as in buildah.
 */
export async function withSourceRoot<T>(store: Store, from: string, opts: SourceRootOptions, fn: (root: string) => Promise<T>): Promise<T> {
  let container: ContainerRecord | undefined;
  try {
    container = findContainer(store.containers(), from);
  } catch (e) {
    if (!(e instanceof ContainerNotFoundError)) throw e;
  }
  if (container) return withContainerMounted(store, container, fn);
  const image = await resolveImage(store, from, { pull: 'missing', ...(opts.access ? { access: opts.access } : {}) });
  const temporary = await createWorkingContainer(store, { image: image.id });
  try {
    return await fn(mountContainer(store, temporary));
  } finally {
    await removeWorkingContainer(store, temporary.id);
  }
}
