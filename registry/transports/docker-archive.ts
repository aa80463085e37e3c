import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import { DigestingStream, digestHex, sha256, type Digest } from '../../oci/digest.js';
import { InvalidArgumentError, NotFoundError, TrowelError } from '../../oci/error.js';
import type { ImageManifest } from '../../oci/manifest.js';
import { MediaType, isIndexMediaType, layerCompression } from '../../oci/media-types.js';
import { verifiedStream } from '../../oci/verify.js';
import { createDecompressor, detectCompression } from '../../layers/index.js';
import { extractArchive, packArchive } from './tar-dir.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './types.js';

/** One entry of a docker-archive's manifest.json (the `docker save` format). */
interface ArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

function scratchDir(): string {
  return mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-archive-'));
}

async function hashFile(path: string): Promise<{ digest: Digest; size: number }> {
  const h = new DigestingStream();
  await pipeline(createReadStream(path), h, async function* (src) {
    for await (const _ of src) {
      /* drain */
    }
  });
  return { digest: h.digest, size: h.size };
}

function sniff(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    const n = readSync(fd, buf, 0, 8, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a `docker-archive:` (the `docker save` format). The archive has no manifest of the
 * registry kind, so one is made (Docker schema 2) from manifest.json; layer digests are
 * computed from the files.
 */
export class DockerArchiveSource implements ImageSource {
  private manifest: ManifestBlob | undefined;
  private readonly files = new Map<Digest, string>();

  private constructor(private readonly dir: string, private readonly entry: ArchiveEntry, readonly name: string) {}

  static async open(file: string, ref: string | undefined, name: string): Promise<DockerArchiveSource> {
    const dir = scratchDir();
    try {
      await extractArchive(file, dir, name);
      const path = join(dir, 'manifest.json');
      if (!existsSync(path)) throw new TrowelError('ARCHIVE_INVALID', `read ${name}: no manifest.json (not a docker archive)`);
      const entries = JSON.parse(readFileSync(path, 'utf8')) as ArchiveEntry[];
      let entry: ArchiveEntry | undefined;
      if (ref?.startsWith('@')) entry = entries[Number(ref.slice(1))];
      else if (ref) entry = entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || t === `${ref}:latest` || t.endsWith(`/${ref}`)));
      else if (entries.length === 1) entry = entries[0];
      else throw new InvalidArgumentError(`read ${name}: the archive holds ${entries.length} images; name one as docker-archive:FILE:NAME or :@N`);
      if (!entry) throw new NotFoundError(`read ${name}: no image ${JSON.stringify(ref)} in the archive`);
      return new DockerArchiveSource(dir, entry, name);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (e instanceof SyntaxError) throw new TrowelError('ARCHIVE_INVALID', `read ${name}: manifest.json: ${e.message}`);
      throw e;
    }
  }

  private inside(rel: string): string {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new TrowelError('ARCHIVE_INVALID', `read ${this.name}: unsafe path ${JSON.stringify(rel)} in manifest.json`);
    return join(this.dir, rel);
  }

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    if (!this.manifest) {
      const configPath = this.inside(this.entry.Config);
      const configBytes = readFileSync(configPath);
      const configDigest = sha256(configBytes);
      this.files.set(configDigest, configPath);
      const layers: Descriptor[] = [];
      for (const rel of this.entry.Layers) {
        const path = this.inside(rel);
        const { digest: d, size } = await hashFile(path);
        this.files.set(d, path);
        const compressed = detectCompression(sniff(path));
        layers.push({ mediaType: compressed === 'gzip' ? MediaType.dockerLayerGzip : MediaType.dockerLayer, digest: d, size });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
        layers,
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      this.manifest = { bytes, mediaType: MediaType.dockerManifest, digest: sha256(bytes) };
    }
    if (digest && digest !== this.manifest.digest) throw new NotFoundError(`read ${this.name}: no manifest ${digest}`);
    return this.manifest;
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    if (!this.manifest) await this.getManifest();
    const path = this.files.get(desc.digest);
    if (!path) throw new NotFoundError(`read ${this.name}: no blob ${desc.digest}`);
    return verifiedStream(createReadStream(path), desc, `blob ${desc.digest} in ${this.name}`);
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes a `docker-archive:` as `docker save` does: uncompressed layers named by diffID,
 * the config named by its digest, and manifest.json naming the image.
 */
export class DockerArchiveDestination implements ImageDestination {
  private readonly dir = scratchDir();
  private readonly stored = new Map<Digest, string>();
  private entry: ArchiveEntry | undefined;

  constructor(private readonly file: string, private readonly ref: string | undefined, readonly name: string) {}

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return this.stored.has(desc.digest);
  }

  async putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    if (this.stored.has(desc.digest)) return;
    const compression = layerCompression(desc.mediaType);
    const tmp = join(this.dir, `incoming-${digestHex(desc.digest)}`);
    const source = verifiedStream(await open(), desc, `blob ${desc.digest}`);
    if (compression === undefined) {
      // The config: stored as it is, named by its digest.
      const rel = `${digestHex(desc.digest)}.json`;
      await pipeline(source, createWriteStream(join(this.dir, rel)));
      this.stored.set(desc.digest, rel);
      return;
    }
    const diff = new DigestingStream();
    await pipeline(source, createDecompressor(compression), diff, createWriteStream(tmp));
    const rel = `${digestHex(diff.digest)}.tar`;
    renameSync(tmp, join(this.dir, rel));
    this.stored.set(desc.digest, rel);
  }

  async putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> {
    if (isIndexMediaType(m.mediaType)) throw new TrowelError('FORMAT_UNSUPPORTED', `write ${this.name}: a docker archive cannot hold a manifest list; choose one platform`);
    if (!opts.top) return;
    const manifest = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
    const file = (d: Digest) => {
      const rel = this.stored.get(d);
      if (!rel) throw new TrowelError('INCOMPLETE', `write ${this.name}: blob ${d} was not written`);
      return rel;
    };
    this.entry = { Config: file(manifest.config.digest), RepoTags: this.ref ? [this.ref] : [], Layers: manifest.layers.map((l) => file(l.digest)) };
  }

  async commit(): Promise<void> {
    if (!this.entry) throw new TrowelError('NO_MANIFEST', `write ${this.name}: no manifest was written`);
    writeFileSync(join(this.dir, 'manifest.json'), JSON.stringify([this.entry]));
    await packArchive(this.dir, this.file);
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
