import { rmSync } from 'node:fs';
import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import type { Digest } from '../oci/digest.js';
import { TrowelError } from '../oci/error.js';
import { applyLayer } from '../layers/index.js';

/**
 * Makes sure every layer of an image has its unpacked directory, extracting from the blobs the
 * ones that are missing. Each layer is applied into a temp dir and renamed into place, so a
 * killed run never leaves a half-unpacked layer that looks complete. The diffID computed while
 * applying must match the image config's.
 */
export async function ensureImageUnpacked(store: Store, image: ImageRecord): Promise<Digest[]> {
  const manifest = store.readManifest(image);
  const config = store.readConfig(image);
  const diffIDs = config.rootfs.diff_ids;
  if (diffIDs.length !== manifest.layers.length) {
    throw new TrowelError('IMAGE_INVALID', `read image ${image.id.slice(0, 12)}: ${manifest.layers.length} layers but ${diffIDs.length} diff_ids`);
  }
  for (let i = 0; i < diffIDs.length; i++) {
    const diffID = diffIDs[i]!;
    if (store.isUnpacked(diffID)) continue;
    const desc = manifest.layers[i]!;
    const tmp = store.newLayerTempDir();
    try {
      const applied = await applyLayer(store.blobs.open(desc.digest, desc.size), tmp, { mode: 'overlay' });
      if (applied.diffID !== diffID) {
        throw new TrowelError('DIGEST_MISMATCH', `unpack layer ${desc.digest}: diffID ${applied.diffID} does not match the config's ${diffID}`);
      }
      store.publishLayerDir(tmp, diffID);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return diffIDs;
}
