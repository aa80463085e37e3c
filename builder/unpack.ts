import { rmSync } from 'node:fs';
import type { Store } from '../storage/store.js';
import type { LayerRecord } from '../storage/records.js';
import type { Digest } from '../oci/digest.js';
import type { ImageManifest } from '../oci/manifest.js';
import type { ImageConfig } from '../oci/image-config.js';
import { TrowelError } from '../oci/error.js';
import { applyLayer } from '../layers/index.js';

/**
 * Makes sure every layer of an image has its unpacked directory, extracting from the blobs the
 * ones that are missing, and returns a record per layer (bottom first). Each layer is applied
 * into a temp dir and renamed into place, so a killed run never leaves a half-unpacked layer
 * that looks complete. The diffID computed while applying must match the config's.
 */
/** A layer already applied into a temp dir (while it was downloaded), keyed by blob digest. */
export interface PreUnpacked {
  dir: string;
  diffID?: Digest;
  uncompressedSize?: number;
}

export async function unpackLayers(store: Store, manifest: ImageManifest, config: ImageConfig, preUnpacked?: Map<Digest, PreUnpacked>): Promise<LayerRecord[]> {
  const diffIDs = config.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== manifest.layers.length) {
    throw new TrowelError('IMAGE_INVALID', `read image config ${manifest.config.digest}: ${manifest.layers.length} layers but ${diffIDs.length} diff_ids`);
  }
  const known = store.layers();
  const records: LayerRecord[] = [];
  for (let i = 0; i < diffIDs.length; i++) {
    const diffID: Digest = diffIDs[i]!;
    const desc = manifest.layers[i]!;
    const blob = { digest: desc.digest, mediaType: desc.mediaType, size: desc.size };
    const rec = known[diffID];
    if (rec && store.isUnpacked(diffID)) {
      records.push(rec.blobs.some((b) => b.digest === desc.digest) ? rec : { ...rec, blobs: [...rec.blobs, blob] });
      continue;
    }
    const pre = preUnpacked?.get(desc.digest);
    if (pre?.diffID !== undefined) {
      if (pre.diffID !== diffID) {
        throw new TrowelError('DIGEST_MISMATCH', `unpack layer ${desc.digest}: its content has diffID ${pre.diffID}, but the image config says ${diffID}`);
      }
      store.publishLayerDir(pre.dir, diffID);
      records.push({ diffID, uncompressedSize: pre.uncompressedSize ?? 0, blobs: [blob] });
      continue;
    }
    const tmp = store.newLayerTempDir();
    try {
      const applied = await applyLayer(store.blobs.open(desc.digest, desc.size), tmp, { mode: 'overlay' });
      if (applied.diffID !== diffID) {
        throw new TrowelError('DIGEST_MISMATCH', `unpack layer ${desc.digest}: its content has diffID ${applied.diffID}, but the image config says ${diffID}`);
      }
      store.publishLayerDir(tmp, diffID);
      records.push({ diffID, uncompressedSize: applied.uncompressedSize, blobs: [blob] });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return records;
}

/** Saves layer records the store does not have yet (or new blobs for known layers). */
export function mergeLayerRecords(layers: Record<string, LayerRecord>, records: LayerRecord[]): void {
  for (const r of records) {
    const cur = layers[r.diffID];
    if (!cur) layers[r.diffID] = r;
    else for (const b of r.blobs) if (!cur.blobs.some((x) => x.digest === b.digest)) cur.blobs.push(b);
  }
}
