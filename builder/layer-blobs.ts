import { rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Store } from '../storage/store.js';
import { createTempWriteStream } from '../storage/atomic.js';
import type { LayerBlob, LayerRecord } from '../storage/records.js';
import type { Descriptor } from '../oci/descriptor.js';
import { DigestingStream, type Digest } from '../oci/digest.js';
import { NotFoundError } from '../oci/error.js';
import { layerCompression, layerMediaType, type Compression } from '../oci/media-types.js';
import { verifiedStream } from '../oci/verify.js';
import { diffLayer } from '../layers/diff.js';

/** The layer record holding a blob, and that blob's entry. */
function findLayerBlob(store: Store, digest: Digest): { layer: LayerRecord; blob: LayerBlob } | undefined {
  for (const layer of Object.values(store.layers())) {
    const blob = layer.blobs.find((b) => b.digest === digest);
    if (blob) return { layer, blob };
  }
  return undefined;
}

/**
 * A verified stream of a blob of the store: the stored file, or, for a layer committed without
 * a blob file, the diff of its unpacked directory made again with the recipe it was made with.
 */
export function openStoreBlob(store: Store, desc: Pick<Descriptor, 'digest' | 'size'>): Readable {
  if (store.blobs.has(desc.digest)) return store.blobs.open(desc.digest, desc.size);
  const hit = findLayerBlob(store, desc.digest);
  if (!hit?.blob.recipe || !store.isUnpacked(hit.layer.diffID)) throw new NotFoundError(`read blob ${desc.digest}: not in the store`);
  return verifiedStream(diffLayer(store.layerDir(hit.layer.diffID), hit.blob.recipe), desc, `layer ${hit.layer.diffID} made again from its directory`);
}

/**
 * A descriptor of the layer `desc` compressed as asked: an existing blob of that compression
 * when the store has one (so compressing happens once per layer), else a new one made now from
 * the uncompressed content, stored, and recorded against the layer's diffID.
 */
export async function layerBlobWithCompression(store: Store, desc: Descriptor, diffID: Digest, compression: Compression, level?: number): Promise<Descriptor> {
  const have = layerCompression(desc.mediaType);
  if (have === compression) return desc;
  const record = store.layers()[diffID];
  const cached = record?.blobs.find((b) => layerCompression(b.mediaType) === compression && (store.blobs.has(b.digest) || b.recipe));
  if (cached) return { mediaType: cached.mediaType, digest: cached.digest, size: cached.size };
  // Compressing is the exception (a push compresses each layer once): its code loads on demand.
  const [{ createCompressor, createDecompressor }, { mergeLayerRecords }] = await Promise.all([import('../layers/compression.js'), import('./unpack.js')]);
  let source = openStoreBlob(store, desc);
  if (have && have !== 'none') source = source.pipe(createDecompressor(have));
  const tmp = store.blobs.tempPath();
  const counted = new DigestingStream();
  const uncompressed = new DigestingStream();
  try {
    await pipeline(source, uncompressed, createCompressor(compression, level), counted, createTempWriteStream(tmp));
    store.blobs.commitTemp(tmp, counted.digest);
  } finally {
    rmSync(tmp, { force: true });
  }
  const blob: LayerBlob = { digest: counted.digest, mediaType: layerMediaType('oci', compression), size: counted.size };
  await store.transaction((state) => {
    mergeLayerRecords(state.layers, [{ diffID, uncompressedSize: uncompressed.size, blobs: [blob] }]);
  });
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}
