import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Descriptor } from '../../oci/descriptor.js';
import { REF_NAME_ANNOTATION } from '../../oci/descriptor.js';
import { DigestingStream, digestAlgorithm, digestHex, sha256, type Digest } from '../../oci/digest.js';
import { DigestMismatchError, NotFoundError, TrowelError } from '../../oci/error.js';
import type { ImageIndex } from '../../oci/manifest.js';
import { MediaType } from '../../oci/media-types.js';
import { verifiedStream } from '../../oci/verify.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './types.js';

function blobPath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', digestAlgorithm(digest), digestHex(digest));
}

function readIndex(dir: string, name: string): ImageIndex {
  const path = join(dir, 'index.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`read ${name}: ${path} does not exist (not an OCI layout)`);
    throw e;
  }
  try {
    return JSON.parse(text) as ImageIndex;
  } catch (e) {
    throw new TrowelError('INVALID_LAYOUT', `read ${path}: ${(e as Error).message}`);
  }
}

/**
 * Reads an image from an OCI image layout directory. The image is the index entry whose
 * `org.opencontainers.image.ref.name` is `ref`, or the only entry when no ref is given.
 */
export class OciLayoutSource implements ImageSource {
  constructor(readonly dir: string, readonly ref: string | undefined, readonly name: string) {}

  private topDescriptor(): Descriptor {
    const index = readIndex(this.dir, this.name);
    const entries = index.manifests ?? [];
    if (this.ref) {
      const hit = entries.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === this.ref);
      if (!hit) throw new NotFoundError(`read ${this.name}: no image named ${JSON.stringify(this.ref)} in ${join(this.dir, 'index.json')}`);
      return hit;
    }
    if (entries.length !== 1) throw new NotFoundError(`read ${this.name}: ${entries.length} images in the layout; name one as oci:DIR:NAME`);
    return entries[0]!;
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    const desc = digest ? undefined : this.topDescriptor();
    const d = digest ?? desc!.digest;
    let bytes: Buffer;
    try {
      bytes = readFileSync(blobPath(this.dir, d));
    } catch {
      throw new NotFoundError(`read ${this.name}: manifest ${d} is missing from the layout`);
    }
    const actual = sha256(bytes);
    if (actual !== d) throw new DigestMismatchError(`manifest in ${this.name}`, d, actual);
    const mediaType = desc?.mediaType ?? (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
    return { bytes, mediaType, digest: d };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const path = blobPath(this.dir, desc.digest);
    if (!existsSync(path)) throw new NotFoundError(`read ${this.name}: blob ${desc.digest} is missing from the layout`);
    return verifiedStream(createReadStream(path), desc, `blob ${desc.digest} in ${this.name}`);
  }

  async close(): Promise<void> {}
}

/**
 * Writes an image into an OCI image layout directory (created if missing). Blobs land first;
 * index.json is replaced atomically at `commit`, replacing any entry with the same ref name.
 */
export class OciLayoutDestination implements ImageDestination {
  private top: Descriptor | undefined;

  constructor(readonly dir: string, readonly ref: string | undefined, readonly name: string) {}

  private ensureLayout(): void {
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    if (!existsSync(join(this.dir, 'oci-layout'))) writeAtomic(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    try {
      return statSync(blobPath(this.dir, desc.digest)).size === desc.size;
    } catch {
      return false;
    }
  }

  async putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    this.ensureLayout();
    if (await this.hasBlob(desc)) return;
    const dest = blobPath(this.dir, desc.digest);
    mkdirSync(join(dest, '..'), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const hashing = new DigestingStream(digestAlgorithm(desc.digest));
    try {
      // Opened here, not by the stream, so the clean-up below cannot run before the file exists.
      await pipeline(await open(), hashing, createWriteStream(tmp, { fd: openSync(tmp, 'w', 0o644) }));
      if (hashing.digest !== desc.digest) throw new DigestMismatchError(`blob for ${this.name}`, desc.digest, hashing.digest);
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> {
    this.ensureLayout();
    writeAtomic(blobPath(this.dir, m.digest), m.bytes);
    if (opts.top) this.top = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  }

  async commit(): Promise<void> {
    if (!this.top) throw new TrowelError('NO_MANIFEST', `write ${this.name}: no manifest was written`);
    const path = join(this.dir, 'index.json');
    const index: ImageIndex = existsSync(path) ? readIndex(this.dir, this.name) : { schemaVersion: 2, manifests: [] };
    const entry: Descriptor = { ...this.top };
    if (this.ref) entry.annotations = { [REF_NAME_ANNOTATION]: this.ref };
    index.manifests = (index.manifests ?? []).filter((m) => (this.ref ? m.annotations?.[REF_NAME_ANNOTATION] !== this.ref : m.digest !== entry.digest));
    index.manifests.push(entry);
    writeAtomic(path, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index.manifests, ...(index.annotations ? { annotations: index.annotations } : {}) }));
  }

  async close(): Promise<void> {}
}

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

