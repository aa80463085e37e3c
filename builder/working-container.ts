import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Store } from '../storage/store.js';
import type { ContainerRecord, ImageRecord, LayerRecord, RunDefaults } from '../storage/records.js';
import { findContainer, findImage } from '../storage/lookup.js';
import { ConflictError } from '../storage/errors.js';
import { hostPlatform } from '../oci/platform.js';
import type { ImageConfig } from '../oci/image-config.js';
import { InvalidArgumentError } from '../oci/error.js';
import { workingContainerName } from './container-name.js';
import { mergeLayerRecords, unpackLayers } from './unpack.js';
import { isMounted, unmountContainer } from './mount.js';
import { finishPendingCommit } from './pending-commit.js';

export interface CreateContainerOptions {
  /** Image name or id, or `scratch` (the default). */
  image?: string;
  /** Container name; default `<image>-working-container[-N]`. */
  name?: string;
  /** Run settings later runs of the container use (see RunDefaults). */
  runDefaults?: RunDefaults;
  /** The manifest format asked for at creation (`from --format`), kept for reference. */
  format?: 'oci' | 'docker';
  /**
   * `false`: leave layers that are not unpacked as they are, for a container whose config is
   * edited and committed but never mounted (bud's metadata steps after a planned COPY layer).
   * The layers' records must be in the store; if one is not, the layers are unpacked anyway.
   */
  unpack?: boolean;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The config a `from scratch` container starts with. */
export function scratchConfig(): ImageConfig {
  const p = hostPlatform();
  const cfg: ImageConfig = { architecture: p.architecture, os: p.os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
  if (p.variant) cfg.variant = p.variant;
  return cfg;
}

/**
 * Creates a working container from an image (or scratch): unpacks the image's layers if needed,
 * makes the container's upper, work and mount dirs, then records it. The record is written
 * last, so a killed run leaves at most an orphan directory that `rm`'s sweep removes.
 */
export async function createWorkingContainer(store: Store, opts: CreateContainerOptions = {}): Promise<ContainerRecord> {
  const imageInput = opts.image ?? 'scratch';
  if (opts.name !== undefined && !NAME_RE.test(opts.name)) {
    throw new InvalidArgumentError(`create container ${JSON.stringify(opts.name)}: names may contain only [a-zA-Z0-9_.-] and must start with a letter or digit`);
  }
  let image: ImageRecord | undefined;
  let config = scratchConfig();
  let layers: ContainerRecord['layers'] = [];
  let annotations: Record<string, string> = {};
  let records: LayerRecord[] = [];
  if (imageInput !== 'scratch') {
    image = findImage(store.images(), imageInput);
    if (image.kind !== 'image') throw new InvalidArgumentError(`create container from ${imageInput}: it is a manifest list, not an image`);
    const manifest = store.readManifest(image);
    config = store.readConfig(image);
    records = (opts.unpack === false ? knownLayerRecords(store, config) : undefined) ?? await unpackLayers(store, manifest, config);
    layers = records.map((r) => r.diffID);
    annotations = { ...(manifest.annotations ?? {}) };
  }
  const id = randomBytes(32).toString('hex');
  const paths = store.containerPaths(id);
  for (const dir of [paths.upper, paths.work, paths.merged]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    return await store.transaction((state) => {
      const taken = new Set(state.containers.map((c) => c.name));
      if (opts.name !== undefined && taken.has(opts.name)) {
        throw new ConflictError(`create container ${opts.name}: the name is already in use by ${state.containers.find((c) => c.name === opts.name)!.id.slice(0, 12)}`);
      }
      const name = opts.name ?? workingContainerName(image ? (image.names[0] ?? image.id.slice(0, 12)) : undefined, taken);
      const record: ContainerRecord = {
        id,
        name,
        layers,
        config,
        annotations,
        created: new Date().toISOString(),
      };
      if (image) record.image = { id: image.id, name: image.names[0] ?? '', digest: image.digest };
      if (opts.runDefaults && Object.keys(opts.runDefaults).length > 0) record.runDefaults = opts.runDefaults;
      if (opts.format) record.format = opts.format;
      mergeLayerRecords(state.layers, records);
      state.containers.push(record);
      return record;
    });
  } catch (err) {
    rmSync(store.containerDir(id), { recursive: true, force: true });
    throw err;
  }
}

/** The store's records of an image's layers, or undefined if one is missing. */
function knownLayerRecords(store: Store, config: ImageConfig): LayerRecord[] | undefined {
  const all = store.layers();
  const records = (config.rootfs?.diff_ids ?? []).map((d) => all[d]);
  return records.every((r) => r !== undefined) ? (records as LayerRecord[]) : undefined;
}

/** Looks a container up by name or id; throws ContainerNotFoundError. */
export function getContainer(store: Store, nameOrId: string): ContainerRecord {
  return findContainer(store.containers(), nameOrId);
}

/**
 * `trowel rename`: gives a working container another name (checked as `from --name` checks it).
 * @throws InvalidArgumentError for a bad name or the container's own name; ConflictError when
 *   another container has it; NotFoundError for an unknown container.
 */
export async function renameContainer(store: Store, nameOrId: string, newName: string): Promise<ContainerRecord> {
  if (!NAME_RE.test(newName)) {
    throw new InvalidArgumentError(`rename container ${nameOrId} to ${JSON.stringify(newName)}: names may contain only [a-zA-Z0-9_.-] and must start with a letter or digit`);
  }
  return store.transaction((state) => {
    const c = findContainer(state.containers, nameOrId);
    if (c.name === newName) throw new InvalidArgumentError(`rename container ${nameOrId}: ${newName} is its name already`);
    const other = state.containers.find((x) => x.name === newName);
    if (other) throw new ConflictError(`rename container ${nameOrId}: the name ${newName} is already in use by ${other.id.slice(0, 12)}`);
    c.name = newName;
    return { ...c };
  });
}

/** Applies `fn` to a container's record under the store lock and saves it. */
export async function updateContainer(store: Store, id: string, fn: (c: ContainerRecord) => void): Promise<ContainerRecord> {
  return store.transaction((state) => {
    const c = findContainer(state.containers, id);
    fn(c);
    return c;
  });
}

/** Removes a working container: unmounts it if mounted, drops its record, then its files. */
export async function removeWorkingContainer(store: Store, nameOrId: string): Promise<ContainerRecord> {
  // A commit cut short still owns the upper dir's content: give it to its layer first.
  const c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const paths = store.containerPaths(c.id);
  if (isMounted(paths.merged)) unmountContainer(paths.merged);
  await store.transaction((state) => {
    state.containers = state.containers.filter((x) => x.id !== c.id);
  });
  // An upper dir can hold thousands of files (a build stage read from but never committed):
  // the dir leaves containers/ by one rename and a detached rm deletes it, off the clock.
  store.discardDir(store.containerDir(c.id));
  return c;
}
