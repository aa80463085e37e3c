import { existsSync, readFileSync, readdirSync, rmSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { digestHex } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../oci/descriptor.js';
import type { ImageIndex, ImageManifest } from '../oci/manifest.js';
import type { ImageConfig } from '../oci/image-config.js';
import { BlobStore } from './blob-store.js';
import { FileLock } from './lock.js';
import { ensureDir, sweepStaleTemps, tempName, writeJsonAtomic } from './atomic.js';
import { spawn } from 'node:child_process';
import { resolveStoreRoot, type StoreLocation } from './paths.js';
import { StoreCorruptError } from './errors.js';
import type { ContainerRecord, ImageRecord, LayerRecord, StoreState } from './records.js';

const FILES = { images: 'images.json', layers: 'layers.json', containers: 'containers.json' } as const;

/**
 * The local store: blobs (an OCI image layout at the root, so `skopeo inspect oci:<root>:<name>`
 * works), unpacked layer directories, image records and working containers.
 *
 * Metadata lives in three JSON files replaced atomically; every read-modify-write happens in
 * `transaction`, under the store lock. Blobs and layer directories are written before the
 * metadata that refers to them, so a killed trowel leaves at worst unreferenced files.
 */
export class Store {
  readonly root: string;
  readonly blobs: BlobStore;
  readonly tmpDir: string;
  private readonly lock: FileLock;

  private constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
    this.blobs = new BlobStore(root, this.tmpDir);
    this.lock = new FileLock(join(root, 'store.lock'));
  }

  /** Opens (creating if needed) the store at the resolved root. Cheap: reads no metadata. */
  static open(loc: StoreLocation = {}): Store {
    const root = resolveStoreRoot(loc);
    const store = new Store(root);
    if (!existsSync(join(root, 'oci-layout'))) store.initialize();
    else store.sweep();
    return store;
  }

  private initialize(): void {
    ensureDir(this.root, 0o700);
    for (const d of ['blobs/sha256', 'layers', 'containers', 'tmp']) ensureDir(join(this.root, d), 0o700);
    // An empty directory used as the lower dir of containers that have no layers (overlay needs one).
    ensureDir(join(this.root, 'empty'), 0o755);
    if (!existsSync(join(this.root, 'index.json'))) writeJsonAtomic(join(this.root, 'index.json'), emptyIndex());
    writeJsonAtomic(join(this.root, 'oci-layout'), { imageLayoutVersion: '1.0.0' });
  }

  // ---- metadata -------------------------------------------------------------------------

  private readFile<K extends keyof StoreState>(key: K, fallback: StoreState[K]): StoreState[K] {
    const path = join(this.root, FILES[key]);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
      throw e;
    }
    try {
      return JSON.parse(text) as StoreState[K];
    } catch (e) {
      throw new StoreCorruptError(path, (e as Error).message);
    }
  }

  /** A snapshot of the metadata, read without the lock (each file is replaced atomically). */
  state(): StoreState {
    return {
      images: this.readFile('images', []),
      layers: this.readFile('layers', {}),
      containers: this.readFile('containers', []),
    };
  }

  images(): ImageRecord[] {
    return this.readFile('images', []);
  }

  containers(): ContainerRecord[] {
    return this.readFile('containers', []);
  }

  layers(): Record<string, LayerRecord> {
    return this.readFile('layers', {});
  }

  /**
   * Runs `fn` on a fresh copy of the metadata with the store lock held, then writes back the
   * files it changed (each atomically). If `fn` throws, nothing is written.
   */
  async transaction<T>(fn: (state: StoreState) => T | Promise<T>): Promise<T> {
    return this.lock.with(async () => {
      const before = this.state();
      const snapshot = { images: JSON.stringify(before.images), layers: JSON.stringify(before.layers), containers: JSON.stringify(before.containers) };
      const result = await fn(before);
      if (JSON.stringify(before.layers) !== snapshot.layers) writeJsonAtomic(join(this.root, FILES.layers), before.layers);
      if (JSON.stringify(before.containers) !== snapshot.containers) writeJsonAtomic(join(this.root, FILES.containers), before.containers);
      if (JSON.stringify(before.images) !== snapshot.images) {
        writeJsonAtomic(join(this.root, FILES.images), before.images);
        this.writeLayoutIndex(before.images);
      }
      return result;
    });
  }

  /** Rewrites index.json so the root stays a valid OCI layout naming every image. */
  private writeLayoutIndex(images: ImageRecord[]): void {
    const index = emptyIndex();
    for (const img of images) {
      const desc: Descriptor = { mediaType: img.mediaType, digest: img.digest, size: this.blobs.size(img.digest) };
      if (img.names.length === 0) index.manifests.push(desc);
      for (const name of img.names) index.manifests.push({ ...desc, annotations: { [REF_NAME_ANNOTATION]: name } });
    }
    writeJsonAtomic(join(this.root, 'index.json'), index);
  }

  /** Removes what killed runs left behind: stale temp files and half-made layer dirs. */
  sweep(): void {
    sweepStaleTemps(this.tmpDir);
    sweepStaleTemps(join(this.root, 'layers'));
  }

  // ---- images ---------------------------------------------------------------------------

  readManifest(img: ImageRecord): ImageManifest {
    return this.blobs.readJson<ImageManifest>(img.digest);
  }

  readIndex(img: ImageRecord): ImageIndex {
    return this.blobs.readJson<ImageIndex>(img.digest);
  }

  readConfig(img: ImageRecord): ImageConfig {
    return this.blobs.readJson<ImageConfig>(this.readManifest(img).config.digest);
  }

  // ---- layers ---------------------------------------------------------------------------

  /** The unpacked directory of a layer (an overlay lower dir). */
  layerDir(diffID: Digest): string {
    return join(this.root, 'layers', digestHex(diffID));
  }

  isUnpacked(diffID: Digest): boolean {
    return existsSync(this.layerDir(diffID));
  }

  /** A fresh temp directory under layers/, renamed into place by `publishLayerDir`. */
  newLayerTempDir(): string {
    const dir = join(this.root, 'layers', `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir, { mode: 0o755 });
    return dir;
  }

  /** Moves a complete directory into place as a layer's unpacked dir; false if one already exists. */
  publishLayerDir(tmpDir: string, diffID: Digest): boolean {
    if (this.isUnpacked(diffID)) return false;
    try {
      renameSync(tmpDir, this.layerDir(diffID));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw e;
    }
  }

  /** Lower dir used when a container has no layers at all. */
  get emptyDir(): string {
    return join(this.root, 'empty');
  }

  // ---- containers -----------------------------------------------------------------------

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  containerPaths(id: string): { upper: string; work: string; merged: string } {
    const dir = this.containerDir(id);
    return { upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged') };
  }

  /** Lists directories in containers/ that no record names (left by a killed `from`). */
  orphanContainerDirs(state: StoreState): string[] {
    const known = new Set(state.containers.map((c) => c.id));
    let names: string[] = [];
    try {
      names = readdirSync(join(this.root, 'containers'));
    } catch {
      /* none */
    }
    return names.filter((n) => !known.has(n)).map((n) => this.containerDir(n));
  }

  removeDir(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  /**
   * Removes a large directory off the caller's clock: it is renamed into tmp/ at once (so it is
   * gone from where it was) and deleted by a detached `rm` that outlives this process. If that
   * cannot start, or is killed, the next `Store.open` sweeps the leftover.
   */
  discardDir(path: string): void {
    ensureDir(this.tmpDir);
    const trash = join(this.tmpDir, tempName('trash'));
    try {
      renameSync(path, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      spawn('rm', ['-rf', '--', trash], { detached: true, stdio: 'ignore' }).on('error', () => rmSync(trash, { recursive: true, force: true })).unref();
    } catch {
      rmSync(trash, { recursive: true, force: true });
    }
  }
}

function emptyIndex(): ImageIndex & { mediaType: string } {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}
