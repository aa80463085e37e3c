import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';
import { formatReference, parseReference, type ImageReference } from '../../oci/reference.js';
import { RegistryClient, type RegistryClientOptions } from '../distribution/client.js';
import { RegistryError, RegistryNotFoundError } from '../distribution/errors.js';
import { registryAccess, type RegistryAccessOptions } from '../config/access.js';
import { checkNotBlocked, loadRegistriesConf, pullSources, resolveShortName, type RegistriesConf } from '../config/registries-conf.js';
import type { BlobSourceHint, ImageDestination, ImageSource, ManifestBlob } from './types.js';

/** Options for the `docker://` transport: how to reach registries, and client tuning. */
export interface DockerTransportOptions extends RegistryAccessOptions {
  /** registries.conf to use; loaded from the system (and the user's) when absent. */
  registriesConf?: RegistriesConf;
  /** Client tuning passed through (retries, timeouts, chunked uploads). */
  client?: Pick<RegistryClientOptions, 'retry' | 'timeouts' | 'chunkedUploadThreshold' | 'chunkSize' | 'userAgent' | 'log'>;
  /** Called with each reference a source tries, in order (buildah prints `Trying to pull <ref>...`). */
  onTrying?: (reference: string) => void;
}

/** Where a blob came from (see `types.ts`): a destination on the same registry mounts it. */
export type { BlobSourceHint };

/** A registry image being read. `reference` is the one that answered (after short names and mirrors). */
export interface DockerImageSource extends ImageSource {
  readonly registry: string;
  readonly repository: string;
  readonly reference: ImageReference;
  /** Where blobs are read from, as a hint for a destination's `putBlob`. */
  readonly blobSource: BlobSourceHint;
}

/** A registry image being written. `manifestDigest` is set once `commit` has tagged it. */
export interface DockerImageDestination extends ImageDestination {
  readonly registry: string;
  readonly repository: string;
  readonly reference: ImageReference;
  putBlob(desc: Descriptor, open: () => Promise<Readable>, hint?: BlobSourceHint): Promise<void>;
  readonly manifestDigest: Digest | undefined;
}

function stripTransport(ref: string): string {
  return ref.startsWith('docker://') ? ref.slice('docker://'.length) : ref;
}

async function clientFor(ref: ImageReference, insecure: boolean, opts: DockerTransportOptions): Promise<RegistryClient> {
  const access = await registryAccess(ref.domain, ref.path, opts);
  return new RegistryClient({
    registry: ref.domain,
    // Docker Hub's name is not its API host.
    ...(ref.domain === 'docker.io' ? { endpoint: 'registry-1.docker.io' } : {}),
    insecure: access.insecure || (opts.tlsVerify === undefined && insecure),
    tls: access.tls,
    ...(access.credentials ? { credentials: access.credentials } : {}),
    ...opts.client,
  });
}

/**
 * The tags of a repository (`pull --all-tags`): `ref` is `[docker://]name` without tag or
 * digest. A short name is resolved as for pulls; the first candidate that answers is used.
 * Returns fully qualified references, one per tag, in the registry's order.
 */
export async function listRepositoryTags(ref: string, opts: DockerTransportOptions = {}): Promise<string[]> {
  const conf = opts.registriesConf ?? loadRegistriesConf(opts.env ? { env: opts.env } : {});
  const wanted = stripTransport(ref);
  if (/@|:[^/]*$/.test(wanted)) throw new InvalidArgumentError(`list tags of ${wanted}: give the repository without a tag or digest`);
  const tried: unknown[] = [];
  for (const candidate of resolveShortName(conf, wanted).candidates) {
    checkNotBlocked(conf, `${candidate.domain}/${candidate.path}`, 'pull');
    const client = await clientFor(candidate, false, opts);
    try {
      const tags = await client.listTags(candidate.path);
      return tags.map((tag) => formatReference({ ...candidate, tag, digest: undefined }));
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      tried.push(err);
    } finally {
      await client.close();
    }
  }
  throw tried[0] ?? new TrowelError('IMAGE_NOT_FOUND', `list tags of ${wanted}: no registry to ask`);
}

/**
 * Opens a registry image for reading: `ref` is `[docker://]name[:tag][@digest]`. Short names
 * are resolved through registries.conf (aliases, then unqualified-search-registries), and each
 * candidate is tried through its mirrors, then its own location; the first that has the
 * manifest serves the whole image. Throws the registry's error when only one place was tried,
 * else one line listing where it looked.
 */
export async function openDockerSource(ref: string, opts: DockerTransportOptions = {}): Promise<DockerImageSource> {
  const conf = opts.registriesConf ?? loadRegistriesConf(opts.env ? { env: opts.env } : {});
  const wanted = stripTransport(ref);
  const candidates = resolveShortName(conf, wanted).candidates;
  const tried: Array<{ where: string; err: unknown }> = [];
  for (const candidate of candidates) {
    for (const source of pullSources(conf, candidate)) {
      const r = source.reference;
      opts.onTrying?.(formatReference(r));
      const client = await clientFor(r, source.insecure, opts);
      try {
        const top = await client.getManifest(r.path, r.digest ?? r.tag ?? 'latest');
        return new RegistrySource(client, r, top);
      } catch (err) {
        await client.close();
        // Any registry failure moves on to the next place (as containers/image does); a
        // local problem (bad configuration, a bug) stops the search.
        if (!(err instanceof RegistryError)) throw err;
        tried.push({ where: formatReference(r), err });
      }
    }
  }
  if (tried.length === 1) throw tried[0]!.err;
  const list = tried.map((t) => `${t.where} (${(t.err as Error).message.split(': ').slice(1).join(': ')})`).join('; ');
  if (tried.every((t) => t.err instanceof RegistryNotFoundError)) throw new TrowelError('IMAGE_NOT_FOUND', `pull ${wanted}: not found in any of: ${list}`);
  throw new TrowelError('REGISTRY_ERROR', `pull ${wanted}: no source could serve it: ${list}`);
}

class RegistrySource implements DockerImageSource {
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly blobSource: BlobSourceHint;

  constructor(private readonly client: RegistryClient, readonly reference: ImageReference, private readonly top: ManifestBlob) {
    this.name = `docker://${formatReference(reference)}`;
    this.registry = reference.domain;
    this.repository = reference.path;
    this.blobSource = { registry: this.registry, repository: this.repository };
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    if (digest === undefined || digest === this.top.digest) return this.top;
    return this.client.getManifest(this.repository, digest);
  }

  getBlob(desc: Descriptor): Promise<Readable> {
    return this.client.getBlob(this.repository, desc);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * Opens a registry image for writing: `ref` is `[docker://]name[:tag][@digest]` (no short-name
 * search: a name without registry means docker.io, as buildah push). Blobs go up as they come
 * (several at once is fine), mounted from `hint.repository` when it is on the same registry;
 * child manifests are put by digest; the top manifest is put under the tag only at `commit`,
 * so a failed push leaves the tag as it was.
 */
export async function openDockerDestination(ref: string, opts: DockerTransportOptions = {}): Promise<DockerImageDestination> {
  const conf = opts.registriesConf ?? loadRegistriesConf(opts.env ? { env: opts.env } : {});
  const reference = parseReference(stripTransport(ref));
  checkNotBlocked(conf, `${reference.domain}/${reference.path}`, 'push');
  const client = await clientFor(reference, false, { ...opts, registriesConf: conf });
  client.willPush(reference.path);
  return new RegistryDestination(client, reference);
}

class RegistryDestination implements DockerImageDestination {
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  manifestDigest: Digest | undefined;
  private pendingTop: ManifestBlob | undefined;
  /** Blobs known to be in the repository (checked or put), so they are not asked about twice. */
  private readonly present = new Set<string>();

  constructor(private readonly client: RegistryClient, readonly reference: ImageReference) {
    this.name = `docker://${formatReference(reference)}`;
    this.registry = reference.domain;
    this.repository = reference.path;
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    if (this.present.has(desc.digest)) return true;
    const has = await this.client.hasBlob(this.repository, desc.digest);
    if (has) this.present.add(desc.digest);
    return has;
  }

  async putBlob(desc: Descriptor, open: () => Promise<Readable>, hint?: BlobSourceHint): Promise<void> {
    if (this.present.has(desc.digest)) return;
    const mountFrom = hint && hint.registry === this.registry && hint.repository !== this.repository ? hint.repository : undefined;
    await this.client.putBlob(this.repository, desc, open, mountFrom ? { mountFrom } : {});
    this.present.add(desc.digest);
  }

  async putManifest(manifest: ManifestBlob, opts: { top: boolean }): Promise<void> {
    if (!opts.top) {
      await this.client.putManifest(this.repository, manifest.digest, manifest);
      return;
    }
    if (this.reference.digest && this.reference.digest !== manifest.digest) {
      throw new InvalidArgumentError(`push ${this.name}: the manifest's digest is ${manifest.digest}, not the one in the reference`);
    }
    this.pendingTop = manifest;
  }

  async commit(): Promise<void> {
    const top = this.pendingTop;
    if (!top) throw new TrowelError('INVALID_STATE', `push ${this.name}: commit without a manifest`);
    const tag = this.reference.tag ?? (this.reference.digest ? undefined : 'latest');
    this.manifestDigest = await this.client.putManifest(this.repository, tag ?? top.digest, top);
    this.pendingTop = undefined;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
