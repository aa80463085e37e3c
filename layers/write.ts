import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, type Digest } from '../oci/digest.js';
import { layerMediaType, type Compression, type ManifestFormat } from '../oci/media-types.js';
import { createCompressor } from './compression.js';
import { OffThreadDigestingStream } from './off-thread-digest.js';

/** Options of writeLayer. */
export interface WriteLayerOptions {
  /** Default 'gzip'. */
  compression?: Compression;
  /** Compressor level; default gzip 1, zstd 3. */
  level?: number;
  /** Decides the media type; default 'oci'. 'docker' always compresses with gzip. */
  format?: ManifestFormat;
}

/** What a written layer is, in the shape of a manifest's layer descriptor plus its diffID. */
export interface LayerInfo {
  /** sha256 of the uncompressed tar (the image config's rootfs.diff_ids entry). */
  diffID: Digest;
  /** sha256 of the bytes written to the sink (the blob digest). */
  digest: Digest;
  /** Bytes written to the sink. */
  size: number;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  mediaType: string;
}

/**
 * Streams `tar` once through sha256 (diffID) -> compressor -> sha256 (digest) -> `sink`.
 * Resolves when `sink` has finished; rejects (and destroys every stage, the sink included) if
 * any stage fails. Nothing is buffered beyond the streams' own high-water marks.
 */
export async function writeLayer(tar: Readable, sink: Writable, opts: WriteLayerOptions = {}): Promise<LayerInfo> {
  // Docker schema 2 has one layer type in wide use, gzip; anything else would mislabel the blob.
  const compression = opts.format === 'docker' ? 'gzip' : opts.compression ?? 'gzip';
  const mediaType = layerMediaType(opts.format ?? 'oci', compression);
  // The diffID pass sees every byte: on large layers it runs on a second thread.
  const uncompressed = new OffThreadDigestingStream();
  if (compression === 'none') {
    await pipeline(tar, uncompressed, sink);
    return { diffID: uncompressed.digest, digest: uncompressed.digest, size: uncompressed.size, uncompressedSize: uncompressed.size, mediaType };
  }
  const compressed = new DigestingStream();
  await pipeline(tar, uncompressed, createCompressor(compression, opts.level), compressed, sink);
  return {
    diffID: uncompressed.digest,
    digest: compressed.digest,
    size: compressed.size,
    uncompressedSize: uncompressed.size,
    mediaType,
  };
}
