/**
 * Resolves a FROM (or `COPY --from`) image reference to a local image, pulling it per the
 * `--pull` policy. The policy rules are `resolveImage`'s (shared with `from` and `pull`); this
 * adds the build's error wording.
 */
import type { Store } from '../../storage/store.js';
import type { ImageRecord } from '../../storage/records.js';
import { TrowelError } from '../../oci/error.js';
import { formatPlatform, parsePlatform } from '../../oci/platform.js';
import type { DockerTransportOptions } from '../../registry/transports/docker.js';
import { findLocalImage, resolveImage } from '../resolve-image.js';
import type { PullPolicy } from './options.js';

/** The base image could not be found locally nor pulled. */
export class BaseImageError extends TrowelError {
  constructor(readonly reference: string, why: string) {
    super('BASE_IMAGE', `resolve base image ${reference}: ${why}`);
  }
}

/** When a local image has the name but is for another platform, says so (it is why a pull was tried). */
function otherPlatformNote(store: Store, reference: string, wanted: string): string {
  let local: ImageRecord | undefined;
  try {
    local = findLocalImage(store, reference);
  } catch {
    return '';
  }
  if (!local || local.kind !== 'image') return '';
  const c = store.readConfig(local);
  const have = formatPlatform({ os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) });
  return `the local image is for ${have}, not ${formatPlatform(parsePlatform(wanted))}, and none for that platform could be had: `;
}

/**
 * The local image for `reference`, pulled per `policy` when needed.
 * @throws BaseImageError naming the reference and why it could not be had.
 */
export async function resolveBaseImage(store: Store, reference: string, opts: { policy: PullPolicy; platform?: string; log: (line: string) => void; access?: DockerTransportOptions }): Promise<ImageRecord> {
  try {
    return await resolveImage(store, reference, {
      pull: opts.policy,
      ...(opts.platform !== undefined ? { platform: parsePlatform(opts.platform) } : {}),
      access: opts.access ?? {},
      onProgress: opts.log,
    });
  } catch (e) {
    if (!(e instanceof TrowelError)) throw e;
    // resolveImage's own "resolve image X:" prefix is replaced by the build's.
    const why = e.message.replace(/^resolve image \S+: /, '');
    throw new BaseImageError(reference, opts.platform !== undefined ? otherPlatformNote(store, reference, opts.platform) + why : why);
  }
}
