import type { Store } from '../storage/store.js';
import { findImage } from '../storage/lookup.js';
import { formatReference, parseReference } from '../oci/reference.js';
import { parseImageLocation, type ImageLocation } from '../registry/transports/parse.js';
import { openFileDestination, openFileSource } from '../registry/transports/open-file.js';
import type { ImageDestination, ImageSource } from '../registry/transports/types.js';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import { StoreImageDestination, StoreImageSource } from './store-transport.js';


/** Opens any location as an image source; `containers-storage:` reads the local store. */
export async function openSource(store: Store, input: string, access: DockerTransportOptions = {}): Promise<ImageSource> {
  const loc = parseImageLocation(input);
  if (loc.transport === 'containers-storage') return new StoreImageSource(store, findImage(store.images(), loc.reference));
  if (loc.transport === 'docker') return (await import('../registry/transports/docker.js')).openDockerSource(loc.reference, access);
  return openFileSource(loc);
}

/** Opens any location as an image destination; `name` is the local image's name, for archives. */
export async function openDestination(store: Store, input: string, name: string | undefined, access: DockerTransportOptions = {}): Promise<ImageDestination> {
  const loc = parseImageLocation(input);
  if (loc.transport === 'containers-storage') return new StoreImageDestination(store, [formatReference(parseReference(loc.reference, { defaultDomain: 'localhost' }))]);
  if (loc.transport === 'docker') return (await import('../registry/transports/docker.js')).openDockerDestination(loc.reference, access);
  return openFileDestination(loc, loc.transport === 'docker-archive' ? name : undefined);
}

/**
 * The local name a pulled image gets, as buildah names them: the reference for registries,
 * the archive's tag for docker-archive, and `localhost/<path>` for layouts and directories.
 */
export function localNameFor(loc: ImageLocation, archiveTag?: string): string | undefined {
  const tryName = (s: string) => {
    try {
      return formatReference(parseReference(s, { defaultDomain: 'localhost' }));
    } catch {
      return undefined;
    }
  };
  switch (loc.transport) {
    case 'docker':
      return tryName(loc.reference.includes('/') && /[.:]|^localhost/.test(loc.reference.split('/')[0]!) ? loc.reference : `docker.io/${loc.reference}`);
    case 'containers-storage':
      return tryName(loc.reference);
    case 'docker-archive':
      return archiveTag ? tryName(archiveTag) : undefined;
    default:
      return tryName(`localhost/${loc.path.replace(/^\/+/, '').toLowerCase()}`);
  }
}
