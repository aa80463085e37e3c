import { readdirSync, rmSync } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import type { Store } from '../storage/store.js';
import { createTempWriteStream } from '../storage/atomic.js';
import type { ContainerRecord, DiffRecipe, ImageRecord, LayerRecord } from '../storage/records.js';
import { findImage } from '../storage/lookup.js';
import { digestHex } from '../oci/digest.js';
import { TrowelError } from '../oci/error.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { ImageConfig, HistoryEntry } from '../oci/image-config.js';
import type { Compression, ManifestFormat } from '../oci/media-types.js';
import { diffLayer, writeLayer } from '../layers/index.js';
import { buildManifest, configFor } from '../oci/manifest-convert.js';
import { isMounted, mountContainer, unmountContainer } from './mount.js';
import { getContainer, removeWorkingContainer } from './working-container.js';
import { finishPendingCommit } from './pending-commit.js';
import { recoverKilledRun } from './run/run-step.js';
import { storeRunTarget } from './run/store-target.js';
import { isVfsRoot } from './run/storage-driver.js';
import { captureVfsChanges } from './run/vfs-changes.js';

export { finishPendingCommit };

export interface CommitOptions {
  /** Names to give the image (normalized), moved from any image that had them. */
  names: string[];
  format: ManifestFormat;
  compression: Compression;
  compressionLevel?: number;
  /** Unix seconds: image and history times, and layer mtimes (see `timestampMode`). */
  timestamp?: number;
  /** `set` (buildah's `--timestamp`): every mtime becomes the timestamp; `clamp` (SOURCE_DATE_EPOCH, the default): later mtimes are lowered to it. */
  timestampMode?: 'clamp' | 'set';
  /** One layer holding the whole filesystem instead of base layers + the new one. */
  squash?: boolean;
  /** Remove the working container once the image is stored. */
  rm?: boolean;
  /** Leave the history out of the config. */
  omitHistory?: boolean;
  /** Environment variables (names) left out of the image's config. */
  unsetEnv?: string[];
  /** Add no layer when the container's upper dir is empty (used by bud for metadata-only steps). */
  skipEmptyLayer?: boolean;
  /** Receives warnings (settings the chosen format cannot carry). */
  warn?: (message: string) => void;
  /**
   * The new layer's tar, made by the caller instead of diffed from the upper dir (a COPY planned
   * as a layer): called once with the commit's timestamp rules. The upper dir must be empty; the
   * layer is stored as a blob and unpacked only when a container needs it.
   */
  layer?: (recipe: DiffRecipe) => Readable;
}

/** The config with the named environment variables left out (the image's; the container keeps them). */
function withoutEnv(config: ImageConfig, names: string[] | undefined): ImageConfig {
  if (!names?.length || !config.config?.Env) return config;
  return { ...config, config: { ...config.config, Env: config.config.Env.filter((e) => !names.includes(e.split('=')[0]!)) } };
}

/** A sink that drops what it is given (the diff is only hashed). */
function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

/** Writes a layer tar into a stored blob with the commit's compression. */
async function writeLayerBlob(store: Store, tar: Readable, opts: CommitOptions): Promise<LayerRecord & { descriptor: Descriptor }> {
  const tmp = store.blobs.tempPath();
  try {
    const info = await writeLayer(tar, createTempWriteStream(tmp), { compression: opts.compression, ...(opts.compressionLevel !== undefined ? { level: opts.compressionLevel } : {}) });
    store.blobs.commitTemp(tmp, info.digest);
    return {
      diffID: info.diffID,
      uncompressedSize: info.uncompressedSize,
      blobs: [{ digest: info.digest, mediaType: info.mediaType, size: info.size }],
      descriptor: { mediaType: info.mediaType, digest: info.digest, size: info.size },
    };
  } finally {
    rmSync(tmp, { force: true });
  }
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

/** Descriptors of a container's base layers, from its image's manifest or the layer records. */
function baseLayerDescriptors(store: Store, c: ContainerRecord, layerRecords: Record<string, LayerRecord>): Descriptor[] {
  let fromImage: Descriptor[] | undefined;
  if (c.image) {
    try {
      const img = findImage(store.images(), c.image.id);
      const manifest = store.readManifest(img);
      const cfg = store.readConfig(img);
      if (cfg.rootfs.diff_ids.length <= c.layers.length) fromImage = manifest.layers;
    } catch {
      /* the image was removed; fall back to layer records */
    }
  }
  return c.layers.map((diffID, i) => {
    const viaImage = fromImage?.[i];
    if (viaImage && i < (fromImage?.length ?? 0)) return viaImage;
    const rec = layerRecords[diffID];
    const blob = rec?.blobs[0];
    if (!blob) throw new Error(`commit: no blob recorded for layer ${diffID}`);
    return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
  });
}

/**
 * Commits a working container to an image. The diff is the container's overlay upper dir
 * (never a walk of the whole tree, except for a vfs root, whose upper dir is first made from
 * a walk of the root against its layers): one streaming pass makes the tar, its diffID, the
 * compressed blob and its digest. Afterwards, when the container is not mounted, the upper dir
 * itself becomes the new layer's unpacked dir and the container continues on top of it, so
 * nothing is extracted again.
 */
export async function commitContainer(store: Store, nameOrId: string, opts: CommitOptions): Promise<ImageRecord> {
  let c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const paths = store.containerPaths(c.id);
  const stack = storeRunTarget(store, c).layers;
  // A RUN that was killed may have left its mount points in the upper dir; they are not content.
  recoverKilledRun(stack);
  // A vfs root holds its changes in a full copy of the layers: the walk of that copy against
  // the layers gives the upper dir overlay would have written, and the commit goes on as usual.
  if (isVfsRoot(paths.merged)) await captureVfsChanges(stack);
  const created = opts.timestamp !== undefined ? new Date(opts.timestamp * 1000).toISOString() : new Date().toISOString();
  const layerState = store.layers();

  let layerSource = paths.upper;
  let mountedHere = false;
  if (opts.squash) {
    mountedHere = !isMounted(paths.merged);
    layerSource = mountContainer(store, c);
  }

  let newLayer: (LayerRecord & { descriptor: Descriptor }) | undefined;
  const recipe: DiffRecipe = opts.timestamp !== undefined ? { timestamp: opts.timestamp, timestampMode: opts.timestampMode ?? 'clamp' } : {};
  try {
    if (opts.layer) {
      if (opts.squash || !isEmptyDir(paths.upper)) throw new TrowelError('COMMIT_STATE', `commit ${c.name}: a planned layer needs an unchanged container, not squashed`);
      newLayer = await writeLayerBlob(store, opts.layer(recipe), opts);
    } else if (!(opts.skipEmptyLayer && !opts.squash && isEmptyDir(paths.upper))) {
      // An uncompressed layer whose upper dir is about to become the layer's unpacked dir needs
      // no blob file: its bytes are the deterministic diff of that dir, made again on demand
      // (push, save) and verified. Hashing is the only pass over the data here.
      const canBeVirtual = opts.compression === 'none' && !opts.squash && !isMounted(paths.merged);
      if (canBeVirtual) {
        const info = await writeLayer(diffLayer(layerSource, recipe), discard(), { compression: 'none' });
        const descriptor = { mediaType: info.mediaType, digest: info.digest, size: info.size };
        if (!store.isUnpacked(info.diffID)) {
          newLayer = { diffID: info.diffID, uncompressedSize: info.uncompressedSize, blobs: [{ ...descriptor, recipe }], descriptor };
        } else {
          // The same layer is in the store already (a rebuild of the same content): its existing
          // blob, stored or made on demand, has these very bytes.
          const known = layerState[info.diffID]?.blobs.find((b) => b.digest === info.digest && (b.recipe || store.blobs.has(b.digest)));
          if (known) newLayer = { diffID: info.diffID, uncompressedSize: info.uncompressedSize, blobs: [known], descriptor };
        }
      }
      if (!newLayer) newLayer = await writeLayerBlob(store, diffLayer(layerSource, recipe), opts);
    }
  } finally {
    if (mountedHere) unmountContainer(paths.merged);
  }

  const base = opts.squash ? [] : baseLayerDescriptors(store, c, layerState);
  const baseDiffIDs = opts.squash ? [] : c.layers;
  const config: ImageConfig = structuredClone(c.config);
  config.created = created;
  config.rootfs = { type: 'layers', diff_ids: [...baseDiffIDs, ...(newLayer ? [newLayer.diffID] : [])] };
  const entry: HistoryEntry = { created, created_by: c.createdBy ?? '/bin/sh' };
  if (c.historyComment) entry.comment = c.historyComment;
  if (c.config.author) entry.author = c.config.author;
  if (!newLayer) entry.empty_layer = true;
  // --add-history entries, as buildah's prepended empty layers; a set timestamp is theirs too.
  const recorded = (c.pendingHistory ?? []).map((h) => (opts.timestamp !== undefined ? { ...h, created } : h));
  if (opts.omitHistory) delete config.history;
  else config.history = [...(opts.squash ? [] : [...(config.history ?? []), ...recorded]), entry];

  const configBytes = Buffer.from(JSON.stringify(configFor(opts.format, withoutEnv(config, opts.unsetEnv), opts.warn)));
  const configDigest = store.blobs.writeBytes(configBytes);
  const layers = [...base, ...(newLayer ? [newLayer.descriptor] : [])];
  const annotations = { ...c.annotations };
  if (opts.format === 'oci') {
    annotations['org.opencontainers.image.base.digest'] = c.image?.digest ?? '';
    annotations['org.opencontainers.image.base.name'] = c.image?.name ?? '';
  }
  const manifest = buildManifest(opts.format, { mediaType: '', digest: configDigest, size: configBytes.length }, layers, annotations);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = store.blobs.writeBytes(manifestBytes);
  const id = digestHex(configDigest);

  const keepUpperAsLayer = newLayer !== undefined && !opts.layer && !opts.squash && !isMounted(paths.merged);
  const image = await store.transaction((state) => {
    if (newLayer) {
      const { descriptor: _d, ...rec } = newLayer;
      const existing = state.layers[rec.diffID];
      if (!existing) state.layers[rec.diffID] = rec;
      else if (!existing.blobs.some((b) => b.digest === rec.blobs[0]!.digest)) existing.blobs.push(rec.blobs[0]!);
    }
    const sizes = config.rootfs.diff_ids.map((d) => state.layers[d]?.uncompressedSize ?? 0);
    for (const other of state.images) other.names = other.names.filter((n) => !opts.names.includes(n));
    let record = state.images.find((i) => i.id === id);
    if (!record) {
      record = { id, digest: manifestDigest, mediaType: manifest.mediaType!, names: [], created, size: sizes.reduce((a, b) => a + b, 0), kind: 'image' };
      state.images.push(record);
    }
    record.names = [...new Set([...record.names, ...opts.names])];
    if (keepUpperAsLayer) {
      const cur = state.containers.find((x) => x.id === c.id);
      if (cur) {
        // The container continues from the committed image: its config (history included) now
        // describes the layer it is about to gain.
        cur.pendingLayer = newLayer!.diffID;
        cur.config = structuredClone(config);
        delete cur.pendingHistory;
      }
    }
    return { ...record };
  });

  if (keepUpperAsLayer) {
    c = getContainer(store, c.id);
    await finishPendingCommit(store, c);
  }
  if (opts.rm) await removeWorkingContainer(store, c.id);
  return image;
}

