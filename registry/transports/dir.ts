import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestHex, sha256, type Digest } from '../../oci/digest.js';
import { DigestMismatchError, NotFoundError, TrowelError } from '../../oci/error.js';
import { MediaType } from '../../oci/media-types.js';
import { verifiedStream } from '../../oci/verify.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './types.js';

const VERSION = 'Directory Transport Version: 1.1\n';

/** Reads the `dir:` format of containers/image: manifest.json, blobs named by their hex digest. */
export class DirSource implements ImageSource {
  constructor(readonly dir: string, readonly name: string) {}

  async getManifest(digest?: Digest): Promise<ManifestBlob> {
    const file = digest ? join(this.dir, `${digestHex(digest)}.manifest.json`) : join(this.dir, 'manifest.json');
    if (!existsSync(file)) throw new NotFoundError(`read ${this.name}: ${file} does not exist`);
    const bytes = readFileSync(file);
    const actual = sha256(bytes);
    if (digest && actual !== digest) throw new DigestMismatchError(`manifest in ${this.name}`, digest, actual);
    let mediaType: string;
    try {
      mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
    } catch (e) {
      throw new TrowelError('MANIFEST_INVALID', `read ${file}: ${(e as Error).message}`);
    }
    return { bytes, mediaType, digest: actual };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const file = join(this.dir, digestHex(desc.digest));
    if (!existsSync(file)) throw new NotFoundError(`read ${this.name}: blob ${desc.digest} is missing`);
    return verifiedStream(createReadStream(file), desc, `blob ${desc.digest} in ${this.name}`);
  }

  async close(): Promise<void> {}
}

/** Writes the `dir:` format; manifest.json last, so a complete manifest means a complete image. */
export class DirDestination implements ImageDestination {
  constructor(readonly dir: string, readonly name: string) {}

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return existsSync(join(this.dir, digestHex(desc.digest)));
  }

  async putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const dest = join(this.dir, digestHex(desc.digest));
    const tmp = `${dest}.tmp-${process.pid}`;
    try {
      // Opened here, not by the stream, so the clean-up below cannot run before the file exists.
      await pipeline(verifiedStream(await open(), desc, `blob ${desc.digest}`), createWriteStream(tmp, { fd: openSync(tmp, 'w', 0o644) }));
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'version'), VERSION);
    writeFileSync(join(this.dir, opts.top ? 'manifest.json' : `${digestHex(m.digest)}.manifest.json`), m.bytes);
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {}
}
