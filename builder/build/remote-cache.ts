/**
 * `bud --layers --cache-from REPO --cache-to REPO`: the `--layers` cache shared through a
 * registry, as buildah has it. Each step's cache key (parent key, instruction, input digests:
 * the same on every machine for the same base image and context) is a tag in the repository.
 * A step missing from the local cache is looked up there and pulled (untagged, like a local
 * intermediate image); a step built here is pushed there.
 */
import type { Store } from '../../storage/store.js';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';
import { formatReference, parseReference } from '../../oci/reference.js';
import type { Platform } from '../../oci/platform.js';
import type { DockerTransportOptions } from '../../registry/transports/docker.js';
import type { ManifestFormat } from '../../oci/media-types.js';

/** `--cache-from`/`--cache-to`: repositories (no tag or digest); keys become their tags. */
export interface RemoteCacheOptions {
  from: readonly string[];
  to: readonly string[];
  access: DockerTransportOptions;
  platform?: Platform;
  format: ManifestFormat;
  warn: (message: string) => void;
  progress: (line: string) => void;
}

/** A cache repository as given: a registry repository, checked and normalized. */
export function parseCacheRepository(flag: string, value: string): string {
  const ref = parseReference(value.replace(/^docker:\/\//, ''), { defaultTag: false });
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InvalidArgumentError(`parse ${flag} ${JSON.stringify(value)}: give a repository without a tag or digest (cache keys are its tags)`);
  }
  return formatReference({ domain: ref.domain, path: ref.path });
}

/** Pushing a cache image failed (the build fails with it, as buildah's does). */
export class CachePushError extends TrowelError {
  constructor(target: string, why: string) {
    super('CACHE_PUSH', `push cache image to ${target}: ${why}`);
  }
}

export class RemoteCache {
  constructor(private readonly store: Store, private readonly opts: RemoteCacheOptions) {}

  /**
   * The image a `--cache-from` repository holds for `key`, pulled into the store without a
   * name; undefined when none has it. Other failures (auth, network) are warnings: the step
   * is then built here.
   */
  async fetch(key: string): Promise<string | undefined> {
    if (this.opts.from.length === 0) return undefined;
    const [{ openSource }, { StoreImageDestination }, { copyImage }] = await Promise.all([
      import('../image-locations.js'), import('../store-transport.js'), import('../../registry/copy.js'),
    ]);
    for (const repo of this.opts.from) {
      const ref = `${repo}:${key}`;
      try {
        const src = await openSource(this.store, `docker://${ref}`, this.opts.access);
        const dest = new StoreImageDestination(this.store, []);
        await copyImage(src, dest, this.opts.platform ? { platform: this.opts.platform } : {});
        if (dest.image) {
          this.opts.progress(`--> Cache pulled from remote ${ref}`);
          return dest.image.id;
        }
      } catch (e) {
        if (!(e instanceof TrowelError)) throw e;
        if (e.code !== 'REGISTRY_NOT_FOUND') this.opts.warn(`use --cache-from ${repo}: ${e.message}`);
      }
    }
    return undefined;
  }

  /** Pushes `imageId` as `key` to every `--cache-to` repository. @throws CachePushError */
  async push(key: string, imageId: string): Promise<void> {
    if (this.opts.to.length === 0) return;
    const [{ openDestination }, { exportImage }] = await Promise.all([import('../image-locations.js'), import('../export-manifest.js')]);
    const image = this.store.images().find((i) => i.id === imageId);
    if (!image) throw new CachePushError(this.opts.to.join(', '), `image ${imageId} is not in the store`);
    for (const repo of this.opts.to) {
      const ref = `${repo}:${key}`;
      this.opts.progress(`--> Pushing cache ${ref}`);
      try {
        const dest = await openDestination(this.store, `docker://${ref}`, undefined, this.opts.access);
        await exportImage(this.store, image, dest, { compression: 'gzip', format: this.opts.format });
      } catch (e) {
        if (e instanceof TrowelError) throw new CachePushError(ref, e.message);
        throw e;
      }
    }
  }
}
