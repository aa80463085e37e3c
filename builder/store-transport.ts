import type { Readable } from 'node:stream';
import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import type { Descriptor } from '../oci/descriptor.js';
import { sha256, digestHex, type Digest } from '../oci/digest.js';
import { DigestMismatchError, NotFoundError, TrowelError } from '../oci/error.js';
import type { ImageConfig } from '../oci/image-config.js';
import type { ImageManifest } from '../oci/manifest.js';
import { isIndexMediaType, layerCompression } from '../oci/media-types.js';
import type { ImageDestination, ImageSource, ManifestBlob } from '../registry/transports/types.js';
import { VerifyingStream } from '../registry/distribution/verify.js';
import type { PreUnpacked } from './unpack.js';
import { PassThrough } from 'node:stream';
import { rmSync } from 'node:fs';
import { openStoreBlob } from './layer-blobs.js';

/** Reads an image of the local store (push, save to archives). */
export class StoreImageSource implements ImageSource {
  readonly name: string;

  /** `top` replaces the image's own manifest (e.g. one with compressed layers, for a push). */
  constructor(private readonly store: Store, private readonly image: ImageRecord, private readonly top?: ManifestBlob) {
    this.name = image.names[0] ?? image.id.slice(0, 12);
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    if (!digest && this.top) return this.top;
    const d = digest ?? this.image.digest;
    if (!this.store.blobs.has(d)) throw new NotFoundError(`read ${this.name}: manifest ${d} is not in the store`);
    const bytes = this.store.blobs.readBytes(d);
    const mediaType = digest ? (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? this.image.mediaType : this.image.mediaType;
    return { bytes, mediaType, digest: d };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    return openStoreBlob(this.store, desc);
  }

  async close(): Promise<void> {}
}

/**
 * Writes an image into the local store (pull, load from archives). Blobs are verified as they
 * land; at `commit` the layers are unpacked (each checked against its diffID) and only then is
 * the image recorded under its names, so a failed pull leaves no image behind.
 */
export class StoreImageDestination implements ImageDestination {
  readonly name: string;
  private top: ManifestBlob | undefined;
  /** Layers unpacked while they arrived, by blob digest (temp dirs until commit publishes them). */
  private readonly unpacked = new Map<Digest, PreUnpacked>();
  /** The image recorded by `commit`. */
  image: ImageRecord | undefined;

  constructor(private readonly store: Store, private readonly names: string[]) {
    this.name = names[0] ?? 'local storage';
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return this.store.blobs.has(desc.digest);
  }

  async putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    if (this.store.blobs.has(desc.digest)) return;
    if (layerCompression(desc.mediaType) === undefined) {
      await this.store.blobs.write(await open(), { digest: desc.digest, size: desc.size }, 'blob');
      return;
    }
    // A layer is unpacked while it downloads: one read feeds both the blob file and a temp
    // layer dir. Nothing is published until `commit` has checked the diffID against the config.
    // Only a pull writes layers here: the code that unpacks them loads when the first one comes.
    const { applyLayer } = await import('../layers/apply.js');
    const source = await open();
    const toBlob = new PassThrough();
    const toDir = new PassThrough();
    source.pipe(toBlob);
    source.pipe(toDir);
    source.on('error', (e) => {
      toBlob.destroy(e);
      toDir.destroy(e);
    });
    const dir = this.store.newLayerTempDir();
    this.unpacked.set(desc.digest, { dir });
    const toStore = source instanceof VerifyingStream && source.checks(desc)
      ? this.store.blobs.writeVerified(toBlob, desc)
      : this.store.blobs.write(toBlob, { digest: desc.digest, size: desc.size }, 'blob');
    const toLayer = applyLayer(toDir, dir, { mode: 'overlay' }).then((a) => {
      toDir.resume(); // drain what follows the end-of-archive blocks, so the blob write is never held up
      return a;
    });
    try {
      const [, applied] = await Promise.all([toStore, toLayer]);
      this.unpacked.set(desc.digest, { dir, diffID: applied.diffID, uncompressedSize: applied.uncompressedSize });
    } catch (err) {
      source.unpipe();
      toBlob.destroy();
      toDir.destroy();
      // Both sides remove their temp files when they end: wait for that before failing.
      await Promise.allSettled([toStore, toLayer]);
      throw err;
    }
  }

  async putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> {
    const actual = sha256(m.bytes);
    if (actual !== m.digest) throw new DigestMismatchError(`manifest for ${this.name}`, m.digest, actual);
    this.store.blobs.writeBytes(m.bytes);
    if (opts.top) this.top = m;
  }

  async commit(): Promise<void> {
    const top = this.top;
    if (!top) throw new TrowelError('NO_MANIFEST', `store ${this.name}: no manifest was written`);
    const store = this.store;
    if (isIndexMediaType(top.mediaType)) {
      this.image = await store.transaction((state) => {
        const id = digestHex(top.digest);
        for (const other of state.images) other.names = other.names.filter((n) => !this.names.includes(n));
        let rec = state.images.find((i) => i.id === id);
        if (!rec) {
          rec = { id, digest: top.digest, mediaType: top.mediaType, names: [], created: new Date().toISOString(), size: 0, kind: 'index' };
          state.images.push(rec);
        }
        rec.names = [...new Set([...rec.names, ...this.names])];
        return { ...rec };
      });
      return;
    }
    const manifest = JSON.parse(top.bytes.toString('utf8')) as ImageManifest;
    const config = store.blobs.readJson<ImageConfig>(manifest.config.digest);
    const { mergeLayerRecords, unpackLayers } = await import('./unpack.js');
    const records = await unpackLayers(store, manifest, config, this.unpacked);
    const id = digestHex(manifest.config.digest);
    this.image = await store.transaction((state) => {
      mergeLayerRecords(state.layers, records);
      for (const other of state.images) other.names = other.names.filter((n) => !this.names.includes(n));
      let rec = state.images.find((i) => i.id === id);
      if (!rec) {
        rec = {
          id,
          digest: top.digest,
          mediaType: top.mediaType,
          names: [],
          created: config.created ?? new Date(0).toISOString(),
          size: records.reduce((a, r) => a + r.uncompressedSize, 0),
          kind: 'image',
        };
        state.images.push(rec);
      }
      rec.names = [...new Set([...rec.names, ...this.names])];
      return { ...rec };
    });
  }

  async close(): Promise<void> {
    // Temp dirs that commit did not publish (a failed pull, or layers already unpacked).
    for (const u of this.unpacked.values()) rmSync(u.dir, { recursive: true, force: true });
    this.unpacked.clear();
  }
}
