import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import type { Descriptor } from '../oci/descriptor.js';
import { sha256, type Digest } from '../oci/digest.js';
import type { ImageManifest } from '../oci/manifest.js';
import { isIndexMediaType, MediaType, type Compression, type ManifestFormat } from '../oci/media-types.js';
import { buildManifest } from '../oci/manifest-convert.js';
import type { ImageDestination, ManifestBlob } from '../registry/transports/types.js';
import { copyImage } from '../registry/copy.js';
import { withBlobProgress, type BlobBytesListener } from './blob-progress.js';
import { layerBlobWithCompression } from './layer-blobs.js';
import { StoreImageSource } from './store-transport.js';

export interface ExportOptions {
  /** Layer compression at the destination (buildah's push default: gzip). */
  compression: Compression;
  compressionLevel?: number;
  /** Manifest format at the destination; default: the image's own. */
  format?: ManifestFormat;
}

/**
 * The manifest to send when pushing or saving a store image: layers in the wanted compression
 * (compressed now, in parallel, if the store has no such blob yet, and kept for next time) and
 * the wanted format. The result is stored as a blob too, so a StoreImageSource can serve it.
 * Manifest lists are sent as they are.
 */
export async function manifestForExport(store: Store, image: ImageRecord, opts: ExportOptions): Promise<ManifestBlob> {
  const bytes = store.blobs.readBytes(image.digest);
  if (isIndexMediaType(image.mediaType)) return { bytes, mediaType: image.mediaType, digest: image.digest };
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  const config = store.readConfig(image);
  const format = opts.format ?? (image.mediaType === MediaType.dockerManifest ? 'docker' : 'oci');
  const compression = format === 'docker' && opts.compression === 'zstd' ? 'gzip' : opts.compression;
  const layers: Descriptor[] = await Promise.all(
    manifest.layers.map((desc, i) => layerBlobWithCompression(store, desc, config.rootfs.diff_ids[i]!, compression, opts.compressionLevel)),
  );
  const next = buildManifest(format, manifest.config, layers, manifest.annotations ?? {});
  const nextBytes = Buffer.from(JSON.stringify(next));
  const digest = sha256(nextBytes);
  if (digest === image.digest) return { bytes, mediaType: image.mediaType, digest };
  store.blobs.writeBytes(nextBytes);
  return { bytes: nextBytes, mediaType: next.mediaType!, digest };
}

export interface ExportImageOptions extends ExportOptions {
  /** Progress lines, as buildah prints them (`Copying blob sha256:…`). */
  onProgress?: (line: string) => void;
  /** Bytes of each blob as they are read (for progress bars). */
  onBytes?: BlobBytesListener;
}

/**
 * Writes a store image (not a list) to a destination — a registry, a layout, an archive — in
 * the wanted compression and format: what `push` and `commit` to a location do. Blobs the
 * destination has are not sent again. Returns the digest of the manifest written.
 */
export async function exportImage(store: Store, image: ImageRecord, dest: ImageDestination, opts: ExportImageOptions): Promise<Digest> {
  const top = await manifestForExport(store, image, opts);
  const result = await copyImage(withBlobProgress(new StoreImageSource(store, image, top), opts.onBytes), dest, opts.onProgress ? { onProgress: opts.onProgress } : {});
  return (dest as { manifestDigest?: Digest }).manifestDigest ?? result.manifest.digest;
}
