import type { Store } from './store.js';
import type { ImageRecord, StoreState } from './records.js';
import type { Digest } from '../oci/digest.js';
import type { ImageManifest, ImageIndex } from '../oci/manifest.js';
import type { ImageConfig } from '../oci/image-config.js';
import { findImage, normalizeImageName } from './lookup.js';
import { ConflictError } from './errors.js';

/** Adds names to an image, taking them from any image that had them. */
export async function tagImage(store: Store, input: string, names: string[]): Promise<ImageRecord> {
  const normalized = names.map(normalizeImageName);
  return store.transaction((state) => {
    const img = findImage(state.images, input);
    for (const other of state.images) if (other !== img) other.names = other.names.filter((n) => !normalized.includes(n));
    img.names = [...new Set([...img.names, ...normalized])];
    return { ...img };
  });
}

/** Blobs and layers an image needs. Unreadable metadata contributes nothing. */
function imageContent(store: Store, img: ImageRecord): { blobs: Digest[]; diffIDs: Digest[] } {
  const blobs: Digest[] = [img.digest];
  const diffIDs: Digest[] = [];
  try {
    if (img.kind === 'index') {
      for (const m of store.blobs.readJson<ImageIndex>(img.digest).manifests) blobs.push(m.digest);
      return { blobs, diffIDs };
    }
    const manifest = store.blobs.readJson<ImageManifest>(img.digest);
    blobs.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
    diffIDs.push(...store.blobs.readJson<ImageConfig>(manifest.config.digest).rootfs.diff_ids);
  } catch {
    /* a damaged image keeps nothing alive */
  }
  return { blobs, diffIDs };
}

export interface RemoveImageResult {
  untagged: string[];
  removed?: string;
}

/**
 * Removes a name, or the whole image when given its id or its last name. Refuses an image that
 * working containers use unless `force` (which removes those containers' records first is the
 * caller's job). Blobs and layer dirs nothing else refers to are deleted after the metadata
 * is saved.
 */
export async function removeImage(store: Store, input: string, opts: { force?: boolean; usedBy?: (img: ImageRecord) => string[] } = {}): Promise<RemoveImageResult> {
  const freed: { blobs: Digest[]; diffIDs: Digest[] } = { blobs: [], diffIDs: [] };
  const result = await store.transaction((state) => {
    const img = findImage(state.images, input);
    const byName = img.names.length > 1 && !/^(sha256:)?[0-9a-f]{3,64}$/.test(input);
    if (byName) {
      const name = pickName(img, input);
      img.names = img.names.filter((n) => n !== name);
      return { untagged: name ? [name] : [] } satisfies RemoveImageResult;
    }
    const users = state.containers.filter((c) => c.image?.id === img.id);
    if (users.length > 0 && !opts.force) {
      throw new ConflictError(`remove image ${input}: image used by ${users.length} container(s): ${users.map((c) => c.id.slice(0, 12)).join(', ')}; remove them first or use --force`);
    }
    state.images = state.images.filter((i) => i.id !== img.id);
    const gone = imageContent(store, img);
    const keep = referenced(store, state);
    freed.blobs = gone.blobs.filter((b) => !keep.blobs.has(b));
    freed.diffIDs = gone.diffIDs.filter((d) => !keep.diffIDs.has(d));
    for (const d of freed.diffIDs) delete state.layers[d];
    return { untagged: img.names, removed: img.id } satisfies RemoveImageResult;
  });
  for (const b of freed.blobs) store.blobs.remove(b);
  // A layer dir can be thousands of files: it is moved out of layers/ at once and deleted by a
  // detached rm, off the caller's clock (bud drops its intermediate stage images this way).
  for (const d of freed.diffIDs) store.discardDir(store.layerDir(d));
  return result;
}

function pickName(img: ImageRecord, input: string): string | undefined {
  for (const n of img.names) {
    try {
      if (findImage([{ ...img, names: [n] }], input)) return n;
    } catch {
      /* not this one */
    }
  }
  return undefined;
}

/** Everything the remaining images and containers refer to. */
function referenced(store: Store, state: StoreState): { blobs: Set<Digest>; diffIDs: Set<Digest> } {
  const blobs = new Set<Digest>();
  const diffIDs = new Set<Digest>();
  for (const img of state.images) {
    const c = imageContent(store, img);
    c.blobs.forEach((b) => blobs.add(b));
    c.diffIDs.forEach((d) => diffIDs.add(d));
  }
  for (const c of state.containers) {
    c.layers.forEach((d) => diffIDs.add(d));
    if (c.pendingLayer) diffIDs.add(c.pendingLayer);
    for (const d of c.layers) for (const b of state.layers[d]?.blobs ?? []) blobs.add(b.digest);
  }
  return { blobs, diffIDs };
}
