import { pipeline, Readable } from 'node:stream';
import { DigestMismatchError, TrowelError } from '../../oci/error.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { ManifestBlob } from '../transports/types.js';
import { RegistryError, UnsupportedManifestError, formatTarget, type RegistryTarget } from './errors.js';
import { ACCEPTED_MANIFEST_TYPES, manifestMediaType } from './manifest-media-type.js';
import { isRetryableNetworkError, isRetryableStatus, retryDelay, sleep } from './retry.js';
import { repositoryScope } from './scope.js';
import { RegistrySession, header, networkFailure, type RegistryRequest, type RegistryResponse, type SessionOptions } from './session.js';
import { VerifyingStream, digestOfBuffer } from './verify.js';

export interface RegistryClientOptions extends SessionOptions {
  /** Blobs of at least this many bytes are uploaded in chunks that survive broken connections (default 64 MiB). */
  chunkedUploadThreshold?: number;
  /** Bytes per PATCH of a chunked upload (default 16 MiB; held in memory one at a time). */
  chunkSize?: number;
  /** Largest manifest accepted (default 4 MiB, as containers/image). */
  maxManifestBytes?: number;
}

/** How a blob reached the registry. */
export type PutBlobResult = 'mounted' | 'uploaded';

/**
 * The OCI distribution API for one registry: manifests, blobs, uploads, mounts and tags.
 * Every manifest and blob read is verified (digest and size); uploads are verified before the
 * registry commits them. Methods may be called concurrently.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly session: RegistrySession;
  private readonly chunkedUploadThreshold: number;
  private readonly chunkSize: number;
  private readonly maxManifestBytes: number;
  /** Repositories this client pushes to: their tokens ask for pull,push from the start. */
  private readonly pushRepositories = new Set<string>();

  constructor(opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.session = new RegistrySession(opts);
    this.chunkedUploadThreshold = opts.chunkedUploadThreshold ?? 64 * 1024 * 1024;
    this.chunkSize = opts.chunkSize ?? 16 * 1024 * 1024;
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  /** Declares that `repository` will be pushed to, so one pull,push token serves all requests on it. */
  willPush(repository: string): void {
    this.pushRepositories.add(repository);
  }

  private scopes(repository: string, push = false): string[] {
    return [repositoryScope(repository, push || this.pushRepositories.has(repository) ? ['pull', 'push'] : ['pull'])];
  }

  private target(repository: string, reference?: string): RegistryTarget {
    return reference === undefined ? { registry: this.registry, repository } : { registry: this.registry, repository, reference };
  }

  /** Checks that the registry answers `/v2/` (and learns how it authenticates). */
  async ping(): Promise<void> {
    await this.session.baseUrl();
  }

  /** Verifies that the credentials are accepted: a token for `repository` (or the base endpoint with basic auth). */
  async checkLogin(): Promise<void> {
    const res = await this.session.send({ method: 'GET', path: '/v2/', scopes: [], verb: 'log in to', target: { registry: this.registry } });
    await res.body.dump();
  }

  /**
   * Fetches a manifest or index by tag or digest, negotiating `accept` (default: OCI index and
   * manifest, Docker manifest list and schema 2). Verifies the bytes against the digest asked
   * for, or against Docker-Content-Digest for a tag. Throws UnsupportedManifestError for
   * Docker schema 1, RegistryNotFoundError for an unknown repository or tag.
   */
  async getManifest(repository: string, reference: string, accept: readonly string[] = ACCEPTED_MANIFEST_TYPES): Promise<ManifestBlob> {
    const target = this.target(repository, reference);
    const { res, bytes } = await this.readSmall({
      method: 'GET', path: `/v2/${repository}/manifests/${reference}`, scopes: this.scopes(repository),
      headers: { accept: accept.join(', ') }, verb: 'pull manifest', target,
    }, this.maxManifestBytes);
    const mediaType = manifestMediaType(bytes, header(res, 'content-type'));
    if (mediaType === 'schema1') {
      throw new UnsupportedManifestError(`pull manifest ${formatTarget(target)}: Docker schema 1 manifests are not supported (push the image again with a current client)`, target);
    }
    if (mediaType === undefined) throw new UnsupportedManifestError(`pull manifest ${formatTarget(target)}: not a manifest (Content-Type ${header(res, 'content-type') ?? 'none'})`, target);
    const subject = `manifest ${formatTarget(target)}`;
    let digest: Digest;
    if (isDigest(reference)) {
      digest = reference;
      const actual = digestOfBuffer(bytes, digest);
      if (actual !== digest) throw new DigestMismatchError(subject, digest, actual);
    } else {
      digest = digestOfBuffer(bytes, 'sha256:');
      const claimed = header(res, 'docker-content-digest');
      if (claimed && isDigest(claimed) && digestOfBuffer(bytes, claimed) !== claimed) throw new DigestMismatchError(subject, claimed, digestOfBuffer(bytes, claimed));
    }
    return { bytes, mediaType, digest };
  }

  /** Digest, media type and size of a manifest, or undefined when the tag or digest is unknown. */
  async headManifest(repository: string, reference: string): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    const target = this.target(repository, reference);
    const res = await this.session.send({
      method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, scopes: this.scopes(repository),
      headers: { accept: ACCEPTED_MANIFEST_TYPES.join(', ') }, verb: 'inspect manifest', target, allowStatus: [404],
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const d = header(res, 'docker-content-digest');
    if (!d || !isDigest(d)) throw new RegistryError(`inspect manifest ${formatTarget(target)}: registry sent no Docker-Content-Digest`, target);
    return { digest: d, mediaType: header(res, 'content-type') ?? '', size: Number(header(res, 'content-length') ?? -1) };
  }

  /** Stores a manifest under a tag or its digest; returns its digest (checked against the registry's). */
  async putManifest(repository: string, reference: string, manifest: { bytes: Buffer; mediaType: string }): Promise<Digest> {
    const target = this.target(repository, reference);
    const digest = digestOfBuffer(manifest.bytes, 'sha256:');
    const res = await this.session.send({
      method: 'PUT', path: `/v2/${repository}/manifests/${reference}`, scopes: this.scopes(repository, true),
      headers: { 'content-type': manifest.mediaType }, body: manifest.bytes, verb: 'push manifest', target,
    });
    await res.body.dump();
    const claimed = header(res, 'docker-content-digest');
    if (claimed && isDigest(claimed) && claimed !== digest) throw new DigestMismatchError(`pushed manifest ${formatTarget(target)}`, digest, claimed);
    return digest;
  }

  /** Whether the repository holds the blob (HEAD). */
  async hasBlob(repository: string, digest: Digest): Promise<boolean> {
    const res = await this.session.send({
      method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, scopes: this.scopes(repository),
      verb: 'check blob', target: this.target(repository, digest), allowStatus: [404],
    });
    await res.body.dump();
    return res.status !== 404;
  }

  /**
   * Streams a blob, verified against `desc.digest` and `desc.size` (the stream errors with
   * DigestMismatchError otherwise). A connection that breaks mid-blob is resumed with a Range
   * request (or re-read from the start when the server ignores Range), within the retry budget.
   * Errors before the first byte (unknown blob, auth) are thrown by the call itself.
   */
  async getBlob(repository: string, desc: Descriptor): Promise<Readable> {
    const target = this.target(repository, desc.digest);
    const open = (from: number): Promise<RegistryResponse> => this.session.send({
      method: 'GET', path: `/v2/${repository}/blobs/${desc.digest}`, scopes: this.scopes(repository),
      headers: from > 0 ? { range: `bytes=${from}-` } : {}, verb: 'pull blob', target,
    });
    const first = await open(0);
    const policy = this.session.retryPolicy;
    async function* bytes(): AsyncGenerator<Buffer> {
      let res = first;
      let delivered = 0;
      for (let retry = 0; ; ) {
        // A 200 answer to a Range request starts from zero: skip what was already delivered.
        let skip = res.status === 206 ? 0 : delivered;
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            let c = chunk;
            if (skip > 0) {
              const n = Math.min(skip, c.length);
              skip -= n;
              c = c.subarray(n);
              if (c.length === 0) continue;
            }
            delivered += c.length;
            yield c;
          }
          return;
        } catch (err) {
          res.body.destroy();
          if (!isRetryableNetworkError(err) || retry >= policy.retries) throw networkFailure({ verb: 'pull blob', target }, err);
          await sleep(retryDelay(policy, retry++));
          res = await open(delivered);
        }
      }
    }
    const verified = new VerifyingStream(desc.digest, desc.size, `blob ${formatTarget(target)}`);
    pipeline(Readable.from(bytes()), verified, () => { /* errors surface on `verified` */ });
    return verified;
  }

  /**
   * Mounts a blob from another repository of the same registry. Returns false when the
   * registry cannot (the blob is not there or the token lacks pull on `from`); nothing is left behind.
   */
  async mountBlob(repository: string, digest: Digest, from: string): Promise<boolean> {
    const location = await this.tryMount(repository, digest, from);
    if (location === true) return true;
    if (location) await this.cancelUpload(repository, location);
    return false;
  }

  /** Mount attempt: true when mounted, else the Location of the upload session the registry opened instead. */
  private async tryMount(repository: string, digest: Digest, from: string): Promise<true | string | undefined> {
    const target = this.target(repository, digest);
    const res = await this.session.send({
      method: 'POST', path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      scopes: [...this.scopes(repository, true), repositoryScope(from, ['pull'])], verb: `mount blob from ${from}`, target,
      allowStatus: [401, 403, 404],
    });
    await res.body.dump();
    if (res.status === 201) return true;
    if (res.status === 202) return header(res, 'location');
    return undefined;
  }

  /**
   * Uploads a blob unless `mountFrom` (another repository of this registry) can lend it.
   * `open` is called for the bytes (again after a failure that needs a restart). Blobs of
   * `chunkedUploadThreshold` bytes or more go in chunks; a chunk whose connection breaks is
   * resumed from the offset the registry reports. The bytes are verified against `desc`
   * before the registry commits the blob.
   */
  async putBlob(repository: string, desc: Descriptor, open: () => Promise<Readable>, opts: { mountFrom?: string } = {}): Promise<PutBlobResult> {
    let location: string | undefined;
    if (opts.mountFrom && opts.mountFrom !== repository) {
      const m = await this.tryMount(repository, desc.digest, opts.mountFrom);
      if (m === true) return 'mounted';
      location = m;
    }
    const policy = this.session.retryPolicy;
    for (let restart = 0; ; restart++) {
      try {
        location ??= await this.startUpload(repository, desc.digest);
        if (desc.size >= this.chunkedUploadThreshold) await this.uploadChunked(repository, desc, open, location);
        else await this.uploadMonolithic(repository, desc, open, location);
        return 'uploaded';
      } catch (err) {
        if (location) await this.cancelUpload(repository, location);
        location = undefined;
        const retryable = isRetryableNetworkError(err) || (err instanceof RegistryError && err.status !== undefined && isRetryableStatus(err.status))
          || (err instanceof RegistryError && err.registryCode === 'BLOB_UPLOAD_INVALID') || (err instanceof RegistryError && err.registryCode === 'BLOB_UPLOAD_UNKNOWN');
        if (!retryable || restart >= policy.retries) throw err;
        await sleep(retryDelay(policy, restart));
      }
    }
  }

  private async startUpload(repository: string, digest: Digest): Promise<string> {
    const target = this.target(repository, digest);
    const res = await this.session.send({
      method: 'POST', path: `/v2/${repository}/blobs/uploads/`, scopes: this.scopes(repository, true), verb: 'push blob', target,
    });
    await res.body.dump();
    const location = header(res, 'location');
    if (!location) throw new RegistryError(`push blob ${formatTarget(target)}: registry opened an upload without a Location`, target, { status: res.status });
    return new URL(location, res.url).toString();
  }

  private async cancelUpload(repository: string, location: string): Promise<void> {
    try {
      const res = await this.session.send({
        method: 'DELETE', path: location, scopes: this.scopes(repository, true), verb: 'cancel upload', target: this.target(repository),
        allowStatus: [400, 404, 405], retry: false,
      });
      await res.body.dump();
    } catch {
      // Best effort: the registry purges abandoned uploads by itself.
    }
  }

  private async uploadMonolithic(repository: string, desc: Descriptor, open: () => Promise<Readable>, location: string): Promise<void> {
    const url = withDigest(location, desc.digest);
    const target = this.target(repository, desc.digest);
    const res = await this.session.send({
      method: 'PUT', path: url, scopes: this.scopes(repository, true), retry: false, verb: 'push blob', target,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
      body: async () => {
        const verified = new VerifyingStream(desc.digest, desc.size, `blob ${formatTarget(target)}`);
        pipeline(await open(), verified, () => { /* errors surface on `verified` */ });
        return verified;
      },
    });
    await res.body.dump();
  }

  private async uploadChunked(repository: string, desc: Descriptor, open: () => Promise<Readable>, startLocation: string): Promise<void> {
    const target = this.target(repository, desc.digest);
    const policy = this.session.retryPolicy;
    const verified = new VerifyingStream(desc.digest, desc.size, `blob ${formatTarget(target)}`);
    pipeline(await open(), verified, () => { /* errors surface on `verified` */ });
    let location = startLocation;
    let offset = 0;
    for await (const chunk of fixedChunks(verified, this.chunkSize)) {
      let sent = 0;
      for (let retry = 0; ; ) {
        try {
          const res = await this.session.send({
            method: 'PATCH', path: location, scopes: this.scopes(repository, true), retry: false, verb: 'push blob', target,
            headers: {
              'content-type': 'application/octet-stream', 'content-length': String(chunk.length - sent),
              'content-range': `${offset + sent}-${offset + chunk.length - 1}`,
            },
            body: chunk.subarray(sent),
          });
          await res.body.dump();
          location = new URL(header(res, 'location') ?? location, res.url).toString();
          break;
        } catch (err) {
          const transient = isRetryableNetworkError(err) || (err instanceof RegistryError && err.status !== undefined && isRetryableStatus(err.status));
          if (!transient || retry >= policy.retries) throw err;
          await sleep(retryDelay(policy, retry++));
          // Ask the registry how much of the upload it holds and go on from there.
          const status = await this.uploadStatus(repository, location, target);
          location = status.location;
          sent = status.received - offset;
          if (sent < 0 || sent > chunk.length) throw new RegistryError(`push blob ${formatTarget(target)}: registry reports ${status.received} bytes received, expected ${offset}..${offset + chunk.length}`, target, { registryCode: 'BLOB_UPLOAD_INVALID' });
          if (sent === chunk.length) break;
        }
      }
      offset += chunk.length;
    }
    const res = await this.session.send({
      method: 'PUT', path: withDigest(location, desc.digest), scopes: this.scopes(repository, true), verb: 'push blob', target,
      headers: { 'content-length': '0' }, body: Buffer.alloc(0),
    });
    await res.body.dump();
  }

  /** GET on an upload: how many bytes it holds and where to continue. */
  private async uploadStatus(repository: string, location: string, target: RegistryTarget): Promise<{ received: number; location: string }> {
    const res = await this.session.send({ method: 'GET', path: location, scopes: this.scopes(repository, true), verb: 'resume upload', target });
    await res.body.dump();
    const range = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    // `0-0` is what the registry says for an empty upload too; treat it as nothing received.
    const end = range ? Number(range[1]) : -1;
    return { received: end > 0 ? end + 1 : 0, location: new URL(header(res, 'location') ?? location, res.url).toString() };
  }

  /** Sends a GET and reads its (small) body whole, retrying when the connection breaks mid-body. */
  private async readSmall(req: RegistryRequest, limit: number): Promise<{ res: RegistryResponse; bytes: Buffer }> {
    const policy = this.session.retryPolicy;
    for (let retry = 0; ; retry++) {
      const res = await this.session.send(req);
      try {
        return { res, bytes: await readLimited(res, limit, `${req.verb} ${formatTarget(req.target)}`, req.target) };
      } catch (err) {
        if (err instanceof TrowelError) throw err;
        if (!isRetryableNetworkError(err) || retry >= policy.retries) throw networkFailure(req, err);
        await sleep(retryDelay(policy, retry));
      }
    }
  }

  /** All tags of a repository, following `Link` pagination (`pageSize` asks for pages of that many). */
  async listTags(repository: string, opts: { pageSize?: number } = {}): Promise<string[]> {
    const target = this.target(repository);
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    for (let page = 0; path && page < 1000; page++) {
      const { res, bytes } = await this.readSmall({ method: 'GET', path, scopes: this.scopes(repository), verb: 'list tags', target }, 16 * 1024 * 1024);
      let doc: { tags?: string[] | null };
      try {
        doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
      } catch {
        throw new RegistryError(`list tags ${formatTarget(target)}: registry answered with something other than JSON`, target);
      }
      tags.push(...(doc.tags ?? []));
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '');
      path = link ? new URL(link[1]!, res.url).toString() : undefined;
    }
    return tags;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

function withDigest(location: string, digest: Digest): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
async function readLimited(res: RegistryResponse, limit: number, what: string, target: RegistryTarget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > limit) {
        res.body.destroy();
        throw new RegistryError(`${what}: larger than ${limit} bytes`, target);
      }
      chunks.push(c);
    }
  } catch (err) {
    res.body.destroy();
    // Network errors go back to the caller, which may retry; they are not TrowelErrors yet.
    throw err;
  }
  return Buffer.concat(chunks);
}

/** Re-cuts a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* fixedChunks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    let chunk = c;
    while (have + chunk.length >= size) {
      const take = size - have;
      parts.push(chunk.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length) {
      parts.push(chunk);
      have += chunk.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}

