import { createReadStream, existsSync, renameSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { verifiedStream } from '../oci/verify.js';
import { createHash } from 'node:crypto';
import { DigestMismatchError, TrowelError } from '../oci/error.js';
import { DigestingStream, digestAlgorithm, digestHex, sha256, type Digest } from '../oci/digest.js';
import { createTempWriteStream, ensureDir, tempName } from './atomic.js';

/**
 * Content-addressed blobs in OCI-layout form (`blobs/<alg>/<hex>`). Writes go to a temp file
 * and are renamed into place once their digest is known, so a blob file is always complete.
 * Every read is verified.
 */
export class BlobStore {
  readonly dir: string;

  constructor(root: string, private readonly tmpDir: string) {
    this.dir = join(root, 'blobs');
  }

  path(digest: Digest): string {
    return join(this.dir, digestAlgorithm(digest), digestHex(digest));
  }

  has(digest: Digest): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: Digest): number {
    return statSync(this.path(digest)).size;
  }

  /** A verified read stream; errors at its end if the file does not match its name. */
  open(digest: Digest, expectedSize?: number): Readable {
    return verifiedStream(createReadStream(this.path(digest)), expectedSize === undefined ? { digest } : { digest, size: expectedSize }, `blob ${digest}`);
  }

  /** Reads a small blob (manifest, config) whole, verified. */
  readBytes(digest: Digest): Buffer {
    const data = readFileSync(this.path(digest));
    const actual = digestAlgorithm(digest) === 'sha256' ? sha256(data) : (`sha512:${createHash('sha512').update(data).digest('hex')}` as Digest);
    if (actual !== digest) throw new DigestMismatchError(`blob ${digest}`, digest, actual);
    return data;
  }

  readJson<T>(digest: Digest): T {
    return JSON.parse(this.readBytes(digest).toString('utf8')) as T;
  }

  /** Stores bytes; returns their sha256 digest. Idempotent. */
  writeBytes(data: Uint8Array | string): Digest {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(buf);
    if (this.has(digest)) return digest;
    ensureDir(join(this.dir, 'sha256'), 0o755);
    const tmp = join(this.tmpDir, tempName('blob'));
    ensureDir(this.tmpDir);
    try {
      // writeFileSync + rename: readers never see a partial blob.
      writeFileSync(tmp, buf);
      renameSync(tmp, this.path(digest));
    } finally {
      rmSync(tmp, { force: true });
    }
    return digest;
  }

  /** A temp file path for a blob being streamed in; pass it to `commitTemp` once the digest is known. */
  tempPath(): string {
    ensureDir(this.tmpDir);
    return join(this.tmpDir, tempName('blob'));
  }

  /** Moves a fully written temp file into place under its digest. */
  commitTemp(tmp: string, digest: Digest): void {
    ensureDir(join(this.dir, digestAlgorithm(digest)), 0o755);
    if (this.has(digest)) {
      rmSync(tmp, { force: true });
      return;
    }
    renameSync(tmp, this.path(digest));
  }

  /**
   * Streams a blob in. With `expected`, verifies digest (and size when given) before the blob
   * becomes visible; a mismatch leaves nothing behind. Returns the digest and size.
   */
  async write(source: Readable, expected?: { digest: Digest; size?: number }, subject = 'blob'): Promise<{ digest: Digest; size: number }> {
    const tmp = this.tempPath();
    const hashing = new DigestingStream(expected ? digestAlgorithm(expected.digest) : 'sha256');
    try {
      await pipeline(source, hashing, createTempWriteStream(tmp));
      const digest = hashing.digest;
      if (expected && digest !== expected.digest) throw new DigestMismatchError(`${subject} ${expected.digest}`, expected.digest, digest);
      if (expected?.size !== undefined && hashing.size !== expected.size) {
        throw new TrowelError('SIZE_MISMATCH', `verify ${subject} ${expected.digest}: size ${hashing.size}, expected ${expected.size}`);
      }
      this.commitTemp(tmp, digest);
      return { digest, size: hashing.size };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Streams in a blob whose source checks itself: `source` errors unless its bytes match
   * `expected` (a registry download through VerifyingStream), so hashing it again here would
   * only repeat the work. The blob becomes visible only if the source ends without error.
   */
  async writeVerified(source: Readable, expected: { digest: Digest; size: number }): Promise<void> {
    const tmp = this.tempPath();
    try {
      await pipeline(source, createTempWriteStream(tmp));
      this.commitTemp(tmp, expected.digest);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  remove(digest: Digest): void {
    rmSync(this.path(digest), { force: true });
  }
}

