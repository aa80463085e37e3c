import type { Descriptor } from '../oci/descriptor.js';
import type { ImageIndex, ImageManifest } from '../oci/manifest.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from '../oci/media-types.js';
import { hostPlatform, platformMatches, formatPlatform, type Platform } from '../oci/platform.js';
import { NotFoundError, TrowelError } from '../oci/error.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './transports/types.js';

export interface CopyOptions {
  /** Platform to pick from an index (default: the host's). Ignored with `all`. */
  platform?: Platform;
  /** Copy every image of an index and the index itself. */
  all?: boolean;
  /** Blob transfers at once (default 4). */
  concurrency?: number;
  /** Progress lines, as buildah prints them (`Copying blob sha256:…`). */
  onProgress?: (line: string) => void;
}

export interface CopyResult {
  /** The manifest written at the top of the destination (after platform selection). */
  manifest: ManifestBlob;
}

/**
 * Runs `fn` over items, at most `limit` at a time. After a failure no new item starts, and
 * the first failure rejects once the calls in flight have ended (so that their temp files
 * are gone before the caller reports the error and exits).
 */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { reason: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { reason: err };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.reason;
}

function parseJson<T>(m: ManifestBlob, where: string): T {
  try {
    return JSON.parse(m.bytes.toString('utf8')) as T;
  } catch (e) {
    throw new TrowelError('MANIFEST_INVALID', `read manifest ${m.digest} from ${where}: ${(e as Error).message}`);
  }
}

function checkSupported(m: ManifestBlob, where: string): void {
  if (m.mediaType === MediaType.dockerManifestSchema1 || m.mediaType === MediaType.dockerManifestSchema1Signed) {
    throw new TrowelError('MANIFEST_UNSUPPORTED', `read ${where}: Docker schema 1 manifests are not supported; re-push the image with a current client`);
  }
  if (!isManifestMediaType(m.mediaType) && !isIndexMediaType(m.mediaType)) {
    throw new TrowelError('MANIFEST_UNSUPPORTED', `read ${where}: unsupported manifest type ${JSON.stringify(m.mediaType)}`);
  }
}

async function copyBlobs(src: ImageSource, dst: ImageDestination, blobs: Descriptor[], opts: CopyOptions): Promise<void> {
  await forEachLimited(blobs, opts.concurrency ?? 4, async (desc) => {
    if (await dst.hasBlob(desc)) {
      opts.onProgress?.(`Copying blob ${desc.digest} skipped: already exists`);
      return;
    }
    opts.onProgress?.(`Copying blob ${desc.digest}`);
    await dst.putBlob(desc, () => src.getBlob(desc), src.blobSource);
  });
}

async function copySingle(src: ImageSource, dst: ImageDestination, m: ManifestBlob, top: boolean, opts: CopyOptions): Promise<void> {
  const manifest = parseJson<ImageManifest>(m, src.name);
  await copyBlobs(src, dst, manifest.layers, opts);
  opts.onProgress?.(`Copying config ${manifest.config.digest}`);
  if (!(await dst.hasBlob(manifest.config))) await dst.putBlob(manifest.config, () => src.getBlob(manifest.config));
  if (top) opts.onProgress?.('Writing manifest to image destination');
  await dst.putManifest(m, { top });
}

/**
 * Copies an image from a source to a destination: blobs the destination lacks (at most
 * `concurrency` at once), then the config, then the manifest, then `commit`. From an index it
 * copies the image for the wanted platform, or everything with `all`. On failure the
 * destination is closed without commit, so nothing appears under its name.
 */
export async function copyImage(src: ImageSource, dst: ImageDestination, opts: CopyOptions = {}): Promise<CopyResult> {
  try {
    const top = await src.getManifest();
    checkSupported(top, src.name);
    let written = top;
    if (isIndexMediaType(top.mediaType)) {
      const index = parseJson<ImageIndex>(top, src.name);
      if (opts.all) {
        for (const child of index.manifests) {
          const m = await src.getManifest(child.digest);
          checkSupported(m, src.name);
          await copySingle(src, dst, m, false, opts);
        }
        opts.onProgress?.('Writing manifest list to image destination');
        await dst.putManifest(top, { top: true });
      } else {
        const want = opts.platform ?? hostPlatform();
        const child = index.manifests.find((d) => platformMatches(d.platform, want));
        if (!child) {
          const have = index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : '?')).join(', ');
          throw new NotFoundError(`choose image from ${src.name}: no image for ${formatPlatform(want)} (has ${have || 'none'})`);
        }
        written = await src.getManifest(child.digest);
        checkSupported(written, src.name);
        await copySingle(src, dst, written, true, opts);
      }
    } else {
      await copySingle(src, dst, top, true, opts);
    }
    opts.onProgress?.('Storing signatures');
    await dst.commit();
    return { manifest: written };
  } finally {
    await Promise.allSettled([dst.close(), src.close()]);
  }
}
