/**
 * The image a name stands for, pulled when the pull policy says so: what `from`, `pull` and a
 * Containerfile's FROM share. Policies are buildah's: `missing` pulls only what the store lacks,
 * `always` pulls every time, `never` only looks locally, and `newer` pulls when the registry's
 * manifest differs from the local one (using the local image when the registry cannot answer).
 */
import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import { findImage } from '../storage/lookup.js';
import { ImageNotFoundError } from '../storage/errors.js';
import { InvalidArgumentError, NotFoundError, TrowelError } from '../oci/error.js';
import type { ImageIndex } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { hostPlatform, platformMatches, type Platform } from '../oci/platform.js';
import { formatReference } from '../oci/reference.js';
import { copyImage } from '../registry/copy.js';
import { parseImageLocation } from '../registry/transports/parse.js';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import type { ImageSource } from '../registry/transports/types.js';
import { StoreImageDestination } from './store-transport.js';
import { localNameFor, openSource } from './image-locations.js';
import { withBlobProgress, type BlobBytesListener } from './blob-progress.js';

/** buildah's pull policies. */
export type PullPolicy = 'always' | 'missing' | 'never' | 'newer';

/**
 * Reads a `--pull` / `--policy` value as buildah does: `always`, `missing`, `never`, `newer`,
 * `ifmissing`, `ifnewer`; `true` (or a bare `--pull`, given as '') means newer and `false`
 * missing. Throws InvalidArgumentError for anything else.
 */
export function parsePullPolicy(text: string, flag = '--pull'): PullPolicy {
  const t = text.trim().toLowerCase();
  switch (t) {
    case 'always': case 'missing': case 'never': case 'newer': return t;
    case 'ifmissing': case 'false': return 'missing';
    case 'ifnewer': case 'true': case '': return 'newer';
    default: throw new InvalidArgumentError(`parse ${flag} ${JSON.stringify(text)}: use always, missing, never or newer`);
  }
}

export interface ResolveImageOptions {
  /** Pull policy (default `missing`). */
  pull?: PullPolicy;
  /** Platform to pick from a manifest list, and that a local image must have (default: the host's for pulls; any locally). */
  platform?: Platform;
  /** Registry access (credentials, TLS, retries). */
  access?: DockerTransportOptions;
  /** Progress lines as buildah prints them (`Trying to pull …`, `Copying blob …`). */
  onProgress?: (line: string) => void;
  /** Bytes of each blob as they are read (for progress bars). */
  onBytes?: BlobBytesListener;
}

/** The image could neither be found locally nor pulled, per the policy. */
export class ResolveImageError extends TrowelError {
  constructor(readonly image: string, why: string) {
    super('IMAGE_NOT_FOUND', `resolve image ${image}: ${why}`);
  }
}

function stripDocker(name: string): string {
  return name.startsWith('docker://') ? name.slice('docker://'.length) : name;
}

/** The local image `name` stands for (and that runs on `platform` when one is asked for). */
export function findLocalImage(store: Store, name: string, platform?: Platform): ImageRecord | undefined {
  let img: ImageRecord;
  try {
    img = findImage(store.images(), name.replace(/^containers-storage:/, ''));
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  if (img.kind === 'index') {
    // A local manifest list stands for its image for the platform (the host's by default), as in buildah.
    const want = platform ?? hostPlatform();
    const entries = store.blobs.readJson<ImageIndex>(img.digest).manifests ?? [];
    const entry = entries.find((m) => platformMatches(m.platform, want));
    const child = entry && store.images().find((i) => i.kind === 'image' && i.digest === entry.digest);
    if (!child) throw new ResolveImageError(name, `the manifest list has no image in local storage for ${want.os}/${want.architecture}`);
    return child;
  }
  if (platform) {
    const config = store.readConfig(img);
    if (!platformMatches({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }, platform)) return undefined;
  }
  return img;
}

/** Copies an opened source into the store under the name buildah would give it. */
async function pullFrom(store: Store, input: string, src: ImageSource, opts: ResolveImageOptions): Promise<ImageRecord> {
  const loc = parseImageLocation(input);
  const resolved = (src as { reference?: { domain: string; path: string; tag?: string; digest?: string } }).reference;
  const name = resolved ? formatReference(resolved as never) : localNameFor(loc, loc.transport === 'docker-archive' ? loc.ref : undefined);
  const dest = new StoreImageDestination(store, name ? [name] : []);
  opts.onProgress?.('Getting image source signatures');
  await copyImage(withBlobProgress(src, opts.onBytes), dest, { ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.platform ? { platform: opts.platform } : {}) });
  if (!dest.image) throw new TrowelError('PULL_FAILED', `pull ${input}: no image was stored`);
  return dest.image;
}

function openForPull(store: Store, input: string, opts: ResolveImageOptions): Promise<ImageSource> {
  return openSource(store, input, { ...opts.access, ...(opts.onProgress ? { onTrying: (r: string) => opts.onProgress!(`Trying to pull ${r}...`) } : {}) });
}

/** Pulls `input` (any transport) into the store whatever is there already; returns the stored image. */
export async function pullImage(store: Store, input: string, opts: ResolveImageOptions = {}): Promise<ImageRecord> {
  return pullFrom(store, input, await openForPull(store, input, opts), opts);
}

/** The digest the registry has for `platform` (the child's, when the name is a list). */
async function remoteDigestFor(src: ImageSource, platform: Platform): Promise<string> {
  const top = await src.getManifest();
  if (!isIndexMediaType(top.mediaType)) return top.digest;
  const index = JSON.parse(top.bytes.toString('utf8')) as ImageIndex;
  return index.manifests.find((m) => platformMatches(m.platform, platform))?.digest ?? top.digest;
}

/**
 * The local image for `name`, pulled first when the policy asks: `name` is a local name or id,
 * a registry reference (`docker://` optional; short names resolved through registries.conf), or
 * another transport's location (`oci:DIR:NAME`, …), which is always read (it is local).
 * Throws ResolveImageError when `never` finds nothing locally, and the pull's own error
 * (registry, digest, platform) otherwise.
 */
export async function resolveImage(store: Store, name: string, opts: ResolveImageOptions = {}): Promise<ImageRecord> {
  const policy = opts.pull ?? 'missing';
  const loc = parseImageLocation(name);
  if (loc.transport !== 'docker' && loc.transport !== 'containers-storage') {
    if (policy === 'never') {
      const local = localNameFor(loc);
      const hit = local ? findLocalImage(store, local, opts.platform) : undefined;
      if (hit) return hit;
      throw new ResolveImageError(name, 'not in local storage, and --pull=never forbids reading it');
    }
    return pullImage(store, name, opts);
  }
  const bare = loc.transport === 'containers-storage' ? loc.reference : stripDocker(name);
  const local = policy === 'always' ? undefined : findLocalImage(store, bare, opts.platform);
  if (loc.transport === 'containers-storage') {
    if (local) return local;
    throw new ImageNotFoundError(bare);
  }
  if (local && policy === 'missing') return local;
  if (policy === 'never') {
    if (local) return local;
    throw new ResolveImageError(name, 'image not known locally, and --pull=never forbids pulling it');
  }
  if (policy === 'newer' && local) {
    let src: ImageSource;
    try {
      src = await openForPull(store, bare, opts);
    } catch (e) {
      // As buildah: a registry that cannot say whether there is something newer leaves the local image in use.
      // (Short names with no search registries included: the local image is what the name means here.)
      if (e instanceof TrowelError) return local;
      throw e;
    }
    const remote = await remoteDigestFor(src, opts.platform ?? hostPlatform()).catch(async (e: unknown) => {
      await src.close();
      throw e;
    });
    if (remote === local.digest) {
      await src.close();
      return local;
    }
    return pullFrom(store, bare, src, opts);
  }
  return pullFrom(store, bare, await openForPull(store, bare, opts), opts);
}
