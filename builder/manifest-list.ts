/**
 * Local manifest lists (`trowel manifest …`): a store image record of kind `index` whose index
 * blob lives in blobs/. The record keeps its id for its whole life (as buildah's lists do) while
 * its digest follows each edit. Images added from a registry keep their manifest and config in
 * blobs/ and their origin in `manifest-lists/<id>.json`, so `push --all` can copy them later.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import { findImage, normalizeImageName } from '../storage/lookup.js';
import { ConflictError, ImageNotFoundError } from '../storage/errors.js';
import { writeJsonAtomic } from '../storage/atomic.js';
import { removeImage, type RemoveImageResult } from '../storage/image-ops.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isDigest, sha256, type Digest } from '../oci/digest.js';
import { NotFoundError, NotImplementedError, TrowelError } from '../oci/error.js';
import type { ImageConfig } from '../oci/image-config.js';
import type { ImageIndex, ImageManifest } from '../oci/manifest.js';
import { isIndexMediaType, isManifestMediaType, MediaType, type Compression } from '../oci/media-types.js';
import type { Platform } from '../oci/platform.js';
import { repositoryName } from '../oci/reference.js';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import type { ImageDestination, ImageSource, ManifestBlob } from '../registry/transports/types.js';
import { manifestForExport } from './export-manifest.js';
import { StoreImageSource } from './store-transport.js';
import { withBlobProgress, type BlobBytesListener } from './blob-progress.js';
import { forEachLimited } from '../registry/copy.js';

/** The registry client, loaded on use: it is a large part of start-up, and most commands need none. */
async function openDockerSource(...args: Parameters<typeof import('../registry/transports/docker.js').openDockerSource>) {
  return (await import('../registry/transports/docker.js')).openDockerSource(...args);
}

/** An entry of a manifest list: an image manifest's descriptor with its platform. */
export type ListEntry = Descriptor & { platform?: Platform };

/** A list entry could not be used (missing child, not an image, unknown digest). */
export class ManifestListError extends TrowelError {
  constructor(message: string) {
    super('MANIFEST_LIST', message);
  }
}

/** Platform and annotation overrides for an entry (`--os --arch --variant --os-version --os-features --annotation`). */
export interface EntryOverrides {
  os?: string;
  arch?: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
  /** Docker's `platform.features` (buildah's `--features`). */
  features?: string[];
  annotations?: Record<string, string>;
}

/** Where images added from a registry came from, by manifest digest. */
interface ListSidecar {
  sources: Record<string, string>;
}

function sidecarPath(store: Store, id: string): string {
  return join(store.root, 'manifest-lists', `${id}.json`);
}

function readSidecar(store: Store, id: string): ListSidecar {
  try {
    return JSON.parse(readFileSync(sidecarPath(store, id), 'utf8')) as ListSidecar;
  } catch {
    return { sources: {} };
  }
}

function writeSidecar(store: Store, id: string, sidecar: ListSidecar): void {
  mkdirSync(join(store.root, 'manifest-lists'), { recursive: true, mode: 0o700 });
  writeJsonAtomic(sidecarPath(store, id), sidecar);
}

/** The local list named `name`; throws ImageNotFoundError, or ManifestListError when it is an image. */
export function findManifestList(store: Store, name: string): ImageRecord {
  const rec = findImage(store.images(), name);
  if (rec.kind !== 'index') throw new ManifestListError(`read manifest list ${name}: it is an image, not a manifest list`);
  return rec;
}

/** Whether a local manifest list answers to `name` (`manifest exists`). */
export function manifestListExists(store: Store, name: string): boolean {
  try {
    return findImage(store.images(), name).kind === 'index';
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
}

/** The index a local list holds (`manifest inspect`). */
export function readManifestList(store: Store, list: ImageRecord): ImageIndex {
  const index = store.blobs.readJson<ImageIndex>(list.digest);
  return { ...index, manifests: index.manifests ?? [] };
}

/** An entry with its keys in buildah's order (mediaType, size, digest, platform, annotations). */
function orderedEntry(e: ListEntry): ListEntry {
  const { mediaType, size, digest, platform, annotations, ...rest } = e;
  return { mediaType, size, digest, ...rest, ...(platform ? { platform } : {}), ...(annotations ? { annotations } : {}) };
}

function serialize(index: ImageIndex): Buffer {
  // buildah writes an empty list as `null`; keep `[]` so every reader can iterate it.
  return Buffer.from(JSON.stringify({ ...index, manifests: index.manifests.map(orderedEntry) }));
}

/**
 * Creates an empty list under `name` (a Docker manifest list, buildah's default). Refuses a
 * name in use unless `amend`, which returns the existing list. Returns the list's record.
 */
export async function createManifestList(store: Store, name: string, opts: { amend?: boolean } = {}): Promise<ImageRecord> {
  const full = normalizeImageName(name);
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] };
  const bytes = serialize(index);
  return store.transaction((state) => {
    // Written under the lock: an edit of another list may be removing the same (empty) index blob.
    const digest = store.blobs.writeBytes(bytes);
    const taken = state.images.find((i) => i.names.includes(full));
    if (taken) {
      if (opts.amend && taken.kind === 'index') return { ...taken };
      throw new ConflictError(`create manifest list ${name}: the name ${full} is already used by image ${taken.id.slice(0, 12)}`);
    }
    const rec: ImageRecord = {
      id: randomBytes(32).toString('hex'),
      digest,
      mediaType: MediaType.dockerManifestList,
      names: [full],
      created: new Date().toISOString(),
      size: bytes.length,
      kind: 'index',
    };
    state.images.push(rec);
    return { ...rec };
  });
}

/**
 * Replaces a list's index by `edit(index)` under the store lock: the new index is written to
 * blobs/ first, then the record points at it. Returns the updated record.
 */
async function editList<T>(store: Store, listName: string, edit: (index: ImageIndex, list: ImageRecord) => T): Promise<{ list: ImageRecord; result: T }> {
  return store.transaction((state) => {
    const list = findImage(state.images, listName);
    if (list.kind !== 'index') throw new ManifestListError(`edit manifest list ${listName}: it is an image, not a manifest list`);
    const index = readManifestList(store, list);
    const result = edit(index, list);
    const bytes = serialize(index);
    const previous = list.digest;
    list.digest = store.blobs.writeBytes(bytes);
    list.size = bytes.length;
    // The index blob an edit replaces goes too, unless another list has the same content.
    if (previous !== list.digest && !state.images.some((i) => i.digest === previous)) store.blobs.remove(previous);
    return { list: { ...list }, result };
  });
}

function applyOverrides(entry: ListEntry, o: EntryOverrides): void {
  const p: Platform = { ...(entry.platform ?? { os: 'linux', architecture: 'amd64' }) };
  if (o.os) p.os = o.os;
  if (o.arch) p.architecture = o.arch;
  if (o.variant) p.variant = o.variant;
  if (o.osVersion) p['os.version'] = o.osVersion;
  if (o.osFeatures?.length) p['os.features'] = o.osFeatures;
  entry.platform = o.features?.length ? ({ ...p, features: o.features } as Platform) : p;
  if (o.annotations && Object.keys(o.annotations).length) entry.annotations = { ...(entry.annotations ?? {}), ...o.annotations };
}

function platformOf(config: ImageConfig): Platform {
  const p: Platform = { architecture: config.architecture, os: config.os };
  if (config['os.version']) p['os.version'] = config['os.version'];
  if (config['os.features']?.length) p['os.features'] = config['os.features'];
  if (config.variant) p.variant = config.variant;
  return p;
}

/** Entries to add for one local image record (an image, or with `all` every image of a list). */
function localEntries(store: Store, image: ImageRecord, input: string, all: boolean): ListEntry[] {
  if (image.kind === 'index') {
    if (!all) throw new ManifestListError(`add ${input} to manifest list: it is a manifest list; use --all to add its images`);
    return readManifestList(store, image).manifests.map((m) => ({ ...m }));
  }
  const bytes = store.blobs.readBytes(image.digest);
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  const config = store.blobs.readJson<ImageConfig>(manifest.config.digest);
  return [{ mediaType: image.mediaType, digest: image.digest, size: bytes.length, platform: platformOf(config) }];
}

/** Entries for a registry image; its manifests and configs are kept in blobs/ (no layers). */
async function remoteEntries(store: Store, ref: string, all: boolean, access: DockerTransportOptions): Promise<{ entries: ListEntry[]; source: string }> {
  const src = await openDockerSource(ref, access);
  try {
    const source = `docker://${repositoryName(src.reference)}`;
    const top = await src.getManifest();
    const describe = async (m: ManifestBlob, from?: ListEntry): Promise<ListEntry> => {
      if (!isManifestMediaType(m.mediaType)) throw new ManifestListError(`add ${ref} to manifest list: ${m.digest} is a ${m.mediaType}, not an image manifest`);
      const manifest = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
      if (!store.blobs.has(manifest.config.digest)) await store.blobs.write(await src.getBlob(manifest.config), { digest: manifest.config.digest, size: manifest.config.size }, 'config');
      store.blobs.writeBytes(m.bytes);
      const config = store.blobs.readJson<ImageConfig>(manifest.config.digest);
      // An entry of a list keeps what the list said about it (platform, annotations).
      return { ...from, mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: from?.platform ?? platformOf(config) };
    };
    if (isIndexMediaType(top.mediaType)) {
      const index = JSON.parse(top.bytes.toString('utf8')) as ImageIndex;
      if (!all) throw new ManifestListError(`add ${ref} to manifest list: it is a manifest list; use --all to add its images`);
      const entries: ListEntry[] = [];
      for (const child of index.manifests) entries.push(await describe(await src.getManifest(child.digest), child));
      return { entries, source };
    }
    return { entries: [await describe(top)], source };
  } finally {
    await src.close();
  }
}

export interface AddOptions extends EntryOverrides {
  /** Add every image of a list being added (`--all`). */
  all?: boolean;
  /**
   * An entry for the very same platform (os, architecture, variant) is replaced in place, and
   * any further ones removed, instead of adding a second image for it (`bud --manifest`'s rebuilds).
   */
  replacePlatform?: boolean;
  /** Registry access for `docker://` (and not-local) images. */
  access?: DockerTransportOptions;
}

/**
 * Adds an image to a list (`manifest add LIST IMAGE`): a local image by name or id, or a
 * registry image (`docker://REF`, or a name not known locally). An entry with the same digest is
 * replaced. The platform comes from the image's config, then the overrides. Returns the updated
 * list and the digest added (the first one, with `all`).
 */
export async function addToManifestList(store: Store, listName: string, image: string, opts: AddOptions = {}): Promise<{ list: ImageRecord; digest: Digest }> {
  findManifestList(store, listName);
  let entries: ListEntry[];
  let source: string | undefined;
  if (image.startsWith('docker://')) {
    ({ entries, source } = await remoteEntries(store, image, !!opts.all, opts.access ?? {}));
  } else if (/^(oci|oci-archive|docker-archive|dir):/.test(image)) {
    throw new NotImplementedError(`adding ${image.split(':')[0]}: images to a manifest list (pull it first, then add the local image)`);
  } else {
    let local: ImageRecord | undefined;
    try {
      local = findImage(store.images(), image.replace(/^containers-storage:/, ''));
    } catch (e) {
      if (!(e instanceof ImageNotFoundError)) throw e;
    }
    if (local) entries = localEntries(store, local, image, !!opts.all);
    else ({ entries, source } = await remoteEntries(store, image, !!opts.all, opts.access ?? {}));
  }
  if (entries.length === 0) throw new ManifestListError(`add ${image} to manifest list ${listName}: it holds no images`);
  for (const e of entries) applyOverrides(e, opts);
  const samePlatform = (m: ListEntry, e: ListEntry) => !!m.platform && !!e.platform && m.platform.os === e.platform.os
    && m.platform.architecture === e.platform.architecture && (m.platform.variant ?? '') === (e.platform.variant ?? '');
  const { list } = await editList(store, listName, (index, rec) => {
    for (const e of entries) {
      let at = index.manifests.findIndex((m) => m.digest === e.digest);
      if (at < 0 && opts.replacePlatform) at = index.manifests.findIndex((m) => samePlatform(m, e));
      if (at >= 0) index.manifests[at] = e;
      else index.manifests.push(e);
      if (opts.replacePlatform) index.manifests = index.manifests.filter((m) => m === e || !samePlatform(m, e));
    }
    // Written under the store lock too, so concurrent adds keep every origin.
    if (source) {
      const sidecar = readSidecar(store, rec.id);
      for (const e of entries) sidecar.sources[e.digest] = `${source}@${e.digest}`;
      writeSidecar(store, rec.id, sidecar);
    }
  });
  return { list, digest: entries[0]!.digest };
}

/** The digest `instance` names in `index`: a digest in it, or a local image whose digest is in it. */
function resolveInstance(store: Store, index: ImageIndex, listName: string, instance: string): Digest {
  if (isDigest(instance) && index.manifests.some((m) => m.digest === instance)) return instance;
  if (!isDigest(instance)) {
    try {
      const img = findImage(store.images(), instance);
      if (index.manifests.some((m) => m.digest === img.digest)) return img.digest;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  throw new ManifestListError(`find ${instance} in manifest list ${listName}: no such image in the list`);
}

/** Removes the entry with `digest` (`manifest remove LIST DIGEST`). Throws when it is not in the list. */
export async function removeFromManifestList(store: Store, listName: string, instance: string): Promise<{ list: ImageRecord; digest: Digest }> {
  const { list, result } = await editList(store, listName, (index) => {
    const digest = resolveInstance(store, index, listName, instance);
    index.manifests = index.manifests.filter((m) => m.digest !== digest);
    return digest;
  });
  return { list, digest: result };
}

/** Changes an entry's platform fields and annotations (`manifest annotate LIST DIGEST`). */
export async function annotateManifestList(store: Store, listName: string, instance: string, overrides: EntryOverrides): Promise<{ list: ImageRecord; digest: Digest }> {
  const { list, result } = await editList(store, listName, (index) => {
    const digest = resolveInstance(store, index, listName, instance);
    for (const m of index.manifests) if (m.digest === digest) applyOverrides(m, overrides);
    return digest;
  });
  return { list, digest: result };
}

/** Removes local lists (`manifest rm`); refuses images. Returns what `rmi` would report. */
export async function removeManifestList(store: Store, listName: string): Promise<RemoveImageResult> {
  const list = findManifestList(store, listName);
  const result = await removeImage(store, list.id);
  if (result.removed && existsSync(sidecarPath(store, list.id))) rmSync(sidecarPath(store, list.id), { force: true });
  return result;
}

// ---- push -------------------------------------------------------------------------------------

export interface PushListOptions {
  /** Push every image of the list too (`--all`). */
  all?: boolean;
  /** Layer compression for local images (default gzip). */
  compression?: Compression;
  compressionLevel?: number;
  /** Index format at the destination (`oci` or `v2s2`); default the list's own. */
  format?: 'oci' | 'docker';
  /** Registry access for sources added from registries. */
  access?: DockerTransportOptions;
  /** Blob transfers at once (default 4). */
  concurrency?: number;
  /** buildah's progress lines. */
  onProgress?: (line: string) => void;
  /** Bytes of each blob as they are read (for progress bars). */
  onBytes?: BlobBytesListener;
}

/** Where one entry's image is read from at push time. */
interface ChildPlan {
  entry: ListEntry;
  /** The manifest to send (local images: with compressed layers, so its digest may differ). */
  manifest: ManifestBlob;
  open: () => Promise<ImageSource>;
}

async function planChild(store: Store, listName: string, entry: ListEntry, sources: Record<string, string>, opts: PushListOptions): Promise<ChildPlan> {
  const local = store.images().find((i) => i.kind === 'image' && i.digest === entry.digest);
  if (local) {
    const manifest = await manifestForExport(store, local, { compression: opts.compression ?? 'gzip', ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {}) });
    return { entry, manifest, open: async () => new StoreImageSource(store, local, manifest) };
  }
  const origin = sources[entry.digest];
  if (origin && store.blobs.has(entry.digest)) {
    const bytes = store.blobs.readBytes(entry.digest);
    return { entry, manifest: { bytes, digest: entry.digest, mediaType: entry.mediaType }, open: () => openDockerSource(origin, opts.access ?? {}) };
  }
  throw new ManifestListError(`push manifest list ${listName}: image ${entry.digest} is not in local storage; add it again or remove it from the list`);
}

async function copyChild(plan: ChildPlan, dst: ImageDestination, opts: PushListOptions): Promise<void> {
  const log = opts.onProgress ?? (() => {});
  const src = withBlobProgress(await plan.open(), opts.onBytes);
  try {
    const manifest = JSON.parse(plan.manifest.bytes.toString('utf8')) as ImageManifest;
    log('Getting image source signatures');
    await forEachLimited(manifest.layers, opts.concurrency ?? 4, async (desc) => {
      if (await dst.hasBlob(desc)) {
        log(`Copying blob ${desc.digest} skipped: already exists`);
        return;
      }
      log(`Copying blob ${desc.digest}`);
      await dst.putBlob(desc, () => src.getBlob(desc), src.blobSource);
    });
    log(`Copying config ${manifest.config.digest}`);
    if (!(await dst.hasBlob(manifest.config))) await dst.putBlob(manifest.config, () => src.getBlob(manifest.config));
    log('Writing manifest to image destination');
    await dst.putManifest(plan.manifest, { top: false });
    log('Storing signatures');
  } finally {
    await src.close();
  }
}

/**
 * Pushes a local list to an opened destination. Every entry is resolved first (a missing child
 * fails before anything is sent). With `all`, each image is copied (local ones with their layers
 * compressed by manifestForExport, which changes their manifest digests) and the index sent
 * names the pushed manifests. Without `all`, only the index is sent, naming the manifests `all`
 * would have pushed: the registry refuses it unless those images are already there, as with
 * buildah. The destination is committed (tagged) last and closed in every case.
 * Returns the digest of the index sent.
 */
export async function pushManifestList(store: Store, listName: string, dst: ImageDestination, opts: PushListOptions = {}): Promise<Digest> {
  const log = opts.onProgress ?? (() => {});
  try {
    const list = findManifestList(store, listName);
    const index = readManifestList(store, list);
    const sources = readSidecar(store, list.id).sources;
    log('Getting image list signatures');
    const plans: ChildPlan[] = [];
    for (const entry of index.manifests) plans.push(await planChild(store, listName, entry, sources, opts));
    const pushing = opts.all ? plans : [];
    log(`Copying ${pushing.length} of ${plans.length} images in list`);
    for (const [i, plan] of pushing.entries()) {
      log(`Copying image ${plan.entry.digest} (${i + 1}/${pushing.length})`);
      await copyChild(plan, dst, opts);
    }
    const mediaType = opts.format === 'oci' ? MediaType.ociIndex : opts.format === 'docker' ? MediaType.dockerManifestList : list.mediaType;
    const sent: ImageIndex = {
      ...index,
      mediaType,
      manifests: plans.map((p) => ({ ...p.entry, mediaType: p.manifest.mediaType, digest: p.manifest.digest, size: p.manifest.bytes.length })),
    };
    const bytes = serialize(sent);
    log('Writing manifest list to image destination');
    const top: ManifestBlob = { bytes, mediaType, digest: sha256(bytes) };
    try {
      await dst.putManifest(top, { top: true });
      await dst.commit();
    } catch (e) {
      if (!opts.all && e instanceof TrowelError && /MANIFEST_BLOB_UNKNOWN|blob unknown/i.test(e.message)) {
        throw new ManifestListError(`push manifest list ${listName} to ${dst.name}: the destination lacks the list's images; push with --all (${e.message})`);
      }
      throw e;
    }
    log('Storing list signatures');
    return top.digest;
  } finally {
    await dst.close();
  }
}
