import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import type { Store } from '../storage/store.js';
import type { ContainerRecord, ImageRecord, LayerRecord } from '../storage/records.js';
import { findImage } from '../storage/lookup.js';
import type { Digest } from '../oci/digest.js';
import { digestHex } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { ImageConfig, HistoryEntry } from '../oci/image-config.js';
import type { Compression, ManifestFormat } from '../oci/media-types.js';
import { diffLayer, writeLayer } from '../layers/index.js';
import { buildManifest, configFor } from '../oci/manifest-convert.js';
import { isMounted, mountContainer, unmountContainer } from './mount.js';
import { getContainer, removeWorkingContainer } from './working-container.js';

export interface CommitOptions {
  /** Names to give the image (normalized), moved from any image that had them. */
  names: string[];
  format: ManifestFormat;
  compression: Compression;
  compressionLevel?: number;
  /** Unix seconds: image and history times, and layer mtimes clamped to it. */
  timestamp?: number;
  /** One layer holding the whole filesystem instead of base layers + the new one. */
  squash?: boolean;
  /** Remove the working container once the image is stored. */
  rm?: boolean;
  /** Leave the history out of the config. */
  omitHistory?: boolean;
  /** Add no layer when the container's upper dir is empty (used by bud for metadata-only steps). */
  skipEmptyLayer?: boolean;
  /** Receives warnings (settings the chosen format cannot carry). */
  warn?: (message: string) => void;
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
 * (never a walk of the whole tree): one streaming pass makes the tar, its diffID, the
 * compressed blob and its digest. Afterwards, when the container is not mounted, the upper dir
 * itself becomes the new layer's unpacked dir and the container continues on top of it, so
 * nothing is extracted again.
 */
export async function commitContainer(store: Store, nameOrId: string, opts: CommitOptions): Promise<ImageRecord> {
  let c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const paths = store.containerPaths(c.id);
  const created = opts.timestamp !== undefined ? new Date(opts.timestamp * 1000).toISOString() : new Date().toISOString();
  const layerState = store.layers();

  let layerSource = paths.upper;
  let mountedHere = false;
  if (opts.squash) {
    mountedHere = !isMounted(paths.merged);
    layerSource = mountContainer(store, c);
  }

  let newLayer: (LayerRecord & { descriptor: Descriptor }) | undefined;
  try {
    if (!(opts.skipEmptyLayer && !opts.squash && isEmptyDir(paths.upper))) {
      const tmp = store.blobs.tempPath();
      try {
        const tar = diffLayer(layerSource, opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {});
        const info = await writeLayer(tar, createWriteStream(tmp), { compression: opts.compression, level: opts.compressionLevel, format: opts.format });
        store.blobs.commitTemp(tmp, info.digest);
        newLayer = {
          diffID: info.diffID,
          uncompressedSize: info.uncompressedSize,
          blobs: [{ digest: info.digest, mediaType: info.mediaType, size: info.size }],
          descriptor: { mediaType: info.mediaType, digest: info.digest, size: info.size },
        };
      } finally {
        rmSync(tmp, { force: true });
      }
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
  if (opts.omitHistory) delete config.history;
  else config.history = [...(opts.squash ? [] : config.history ?? []), entry];

  const configBytes = Buffer.from(JSON.stringify(configFor(opts.format, config, opts.warn)));
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

  const keepUpperAsLayer = newLayer !== undefined && !opts.squash && !isMounted(paths.merged);
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

/**
 * Completes (or rolls forward) a commit that recorded `pendingLayer`: the upper dir becomes the
 * layer's unpacked dir (or is dropped if that layer is already unpacked: same diffID, same
 * content), the container gains the layer and gets a fresh upper dir. Safe to run again after
 * being killed at any point.
 */
export async function finishPendingCommit(store: Store, c: ContainerRecord): Promise<ContainerRecord> {
  const pending = c.pendingLayer;
  if (!pending) return c;
  const paths = store.containerPaths(c.id);
  if (!store.isUnpacked(pending)) {
    renameSync(paths.upper, store.layerDir(pending));
  } else {
    rmSync(paths.upper, { recursive: true, force: true });
  }
  mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
  rmSync(paths.work, { recursive: true, force: true });
  mkdirSync(paths.work, { recursive: true, mode: 0o755 });
  return store.transaction((state) => {
    const cur = state.containers.find((x) => x.id === c.id);
    if (!cur) return c;
    if (cur.pendingLayer === pending) {
      cur.layers = [...cur.layers, pending];
      delete cur.pendingLayer;
    }
    return cur;
  });
}
