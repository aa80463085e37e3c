/**
 * Resolves a FROM (or `COPY --from`) image reference to a local image, pulling it with the
 * `--pull` policy: `missing` pulls only what the store lacks, `always`/`newer` pull first (a
 * failed `newer` pull falls back to the local image), `never` only looks locally.
 */
import type { Store } from '../../storage/store.js';
import type { ImageRecord } from '../../storage/records.js';
import { findImage } from '../../storage/lookup.js';
import { TrowelError } from '../../oci/error.js';
import { parsePlatform, type Platform } from '../../oci/platform.js';
import { copyImage } from '../../registry/copy.js';
import { formatReference, type ImageReference } from '../../oci/reference.js';
import { parseImageLocation } from '../../registry/transports/parse.js';
import { StoreImageDestination } from '../store-transport.js';
import { localNameFor, openSource } from '../image-locations.js';
import type { DockerTransportOptions } from '../../registry/transports/docker.js';
import type { PullPolicy } from './options.js';

/** The base image could not be found locally nor pulled. */
export class BaseImageError extends TrowelError {
  constructor(readonly reference: string, why: string) {
    super('BASE_IMAGE', `resolve base image ${reference}: ${why}`);
  }
}

function findLocal(store: Store, reference: string): ImageRecord | undefined {
  try {
    const img = findImage(store.images(), reference);
    return img.kind === 'image' ? img : undefined;
  } catch (e) {
    if (e instanceof TrowelError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

async function pull(store: Store, reference: string, platform: Platform | undefined, log: (line: string) => void, access: DockerTransportOptions): Promise<ImageRecord> {
  const loc = parseImageLocation(reference);
  const src = await openSource(store, reference, { ...access, onTrying: (ref) => log(`Trying to pull ${ref}...`) });
  const resolved = (src as { reference?: ImageReference }).reference;
  const name = resolved ? formatReference(resolved) : localNameFor(loc);
  const dest = new StoreImageDestination(store, name ? [name] : []);
  log(`Getting image source signatures`);
  await copyImage(src, dest, { onProgress: log, ...(platform ? { platform } : {}) });
  if (!dest.image) throw new BaseImageError(reference, 'the pull stored no image');
  return dest.image;
}

/**
 * The local image for `reference`, pulled per `policy` when needed.
 * @throws BaseImageError naming the reference and why it could not be had.
 */
export async function resolveBaseImage(store: Store, reference: string, opts: { policy: PullPolicy; platform?: string; log: (line: string) => void; access?: DockerTransportOptions }): Promise<ImageRecord> {
  const platform = opts.platform !== undefined ? parsePlatform(opts.platform) : undefined;
  const local = opts.policy === 'always' ? undefined : findLocal(store, reference);
  if (local && opts.policy !== 'newer') return local;
  if (opts.policy === 'never') {
    throw new BaseImageError(reference, 'image not known locally and --pull=never forbids pulling it');
  }
  try {
    return await pull(store, reference, platform, opts.log, opts.access ?? {});
  } catch (e) {
    if (local) return local;
    const why = e instanceof Error ? e.message : String(e);
    throw new BaseImageError(reference, `not in local storage, and pulling it failed: ${why}`);
  }
}
