/**
 * `--all-platforms`: the platforms every base image of a build is available for, as buildah
 * works them out. Each FROM image (not scratch, not an earlier stage, not a stage with its own
 * `--platform`) is looked at — a local manifest list, else the registry's index or manifest —
 * and the build's platforms are those all of them offer, in the order the first one lists them.
 */
import type { Readable } from 'node:stream';
import type { Store } from '../../storage/store.js';
import type { ImageRecord } from '../../storage/records.js';
import { findImage } from '../../storage/lookup.js';
import { InvalidArgumentError, NotFoundError, TrowelError } from '../../oci/error.js';
import type { ImageConfig } from '../../oci/image-config.js';
import type { ImageIndex, ImageManifest } from '../../oci/manifest.js';
import { isIndexMediaType } from '../../oci/media-types.js';
import { formatPlatform, type Platform } from '../../oci/platform.js';
import type { NamedContext } from './named-contexts.js';
import type { DockerTransportOptions } from '../../registry/transports/docker.js';
import type { StageGraph } from '../../parser/index.js';
import { BaseImageError } from './base-image.js';

function platformOfConfig(c: ImageConfig): Platform {
  return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
}

/** Index entries that are images for a real platform (attestation entries say unknown/unknown). */
function indexPlatforms(index: ImageIndex): Platform[] {
  return (index.manifests ?? []).flatMap((m) => (m.platform && m.platform.os !== 'unknown' && m.platform.architecture !== 'unknown'
    ? [{ os: m.platform.os, architecture: m.platform.architecture, ...(m.platform.variant ? { variant: m.platform.variant } : {}) }]
    : []));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The platforms one base image is available for. A local manifest list answers for itself; a
 * local image pulled from a registry is only one child of what may be a list there, so the
 * registry is asked (as buildah does), and the local image answers only for names that are
 * local (`localhost/…`) or when the registry cannot be asked.
 */
async function platformsOf(store: Store, reference: string, access: DockerTransportOptions): Promise<Platform[]> {
  let local: ImageRecord | undefined;
  try {
    local = findImage(store.images(), reference.replace(/^containers-storage:/, ''));
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  if (local?.kind === 'index') return indexPlatforms(store.blobs.readJson<ImageIndex>(local.digest));
  const localPlatforms = local && [platformOfConfig(store.readConfig(local))];
  if (localPlatforms && (reference.startsWith('containers-storage:') || local!.names.every((n) => n.startsWith('localhost/')))) return localPlatforms;
  try {
    return await registryPlatforms(reference, access);
  } catch (e) {
    if (localPlatforms && e instanceof TrowelError) return localPlatforms;
    throw e;
  }
}

/** The platforms the registry's manifest or index for `reference` offers. */
async function registryPlatforms(reference: string, access: DockerTransportOptions): Promise<Platform[]> {
  // Loaded on use: the registry client is a large part of start-up, and most builds need none.
  const { openDockerSource } = await import('../../registry/transports/docker.js');
  const src = await openDockerSource(reference, access);
  try {
    const top = await src.getManifest();
    if (isIndexMediaType(top.mediaType)) return indexPlatforms(JSON.parse(top.bytes.toString('utf8')) as ImageIndex);
    const manifest = JSON.parse(top.bytes.toString('utf8')) as ImageManifest;
    return [platformOfConfig(JSON.parse((await readAll(await src.getBlob(manifest.config))).toString('utf8')) as ImageConfig)];
  } finally {
    await src.close();
  }
}

/**
 * The platforms all base images of the stages in `graph.order` share.
 * @throws InvalidArgumentError when the build has no base image but scratch and stages (as
 *   buildah: nothing to take platforms from) or the bases share none; BaseImageError when a base
 *   cannot be looked at.
 */
export async function basePlatforms(store: Store, graph: StageGraph, access: DockerTransportOptions = {}, named: Record<string, NamedContext> = {}): Promise<Platform[]> {
  // A stage with its own FROM --platform (say $BUILDPLATFORM) is that platform whatever the
  // target, so its base does not limit the targets. A named context stands for its image.
  const references = [...new Set(graph.order.flatMap((i) => {
    const { base, platform } = graph.stages[i]!;
    if (base.kind !== 'image' || platform !== undefined) return [];
    const context = Object.hasOwn(named, base.reference) ? named[base.reference] : undefined;
    return context?.kind === 'dir' ? [] : [context?.reference ?? base.reference];
  }))];
  if (references.length === 0) throw new InvalidArgumentError('build image: --all-platforms needs a base image other than scratch to take the platforms from');
  let shared: Platform[] | undefined;
  for (const reference of references) {
    let offered: Platform[];
    try {
      offered = await platformsOf(store, reference, access);
    } catch (e) {
      if (e instanceof TrowelError && !(e instanceof BaseImageError)) throw new BaseImageError(reference, e.message);
      throw e;
    }
    const names = new Set(offered.map(formatPlatform));
    shared = shared === undefined ? offered : shared.filter((p) => names.has(formatPlatform(p)));
  }
  const unique = (shared ?? []).filter((p, i, all) => all.findIndex((q) => formatPlatform(q) === formatPlatform(p)) === i);
  if (unique.length === 0) throw new InvalidArgumentError(`build image: --all-platforms: the base images ${references.join(', ')} have no platform in common`);
  return unique;
}
