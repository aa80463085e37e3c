import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError } from '../../oci/error.js';
import { digestAlgorithm, type Digest } from '../../oci/digest.js';

/**
 * A pass-through that checks the bytes flowing through against a digest and size: it errors
 * with DigestMismatchError as soon as more than `size` bytes arrive, or at the end when the
 * size or digest differ. `size` < 0 means unknown (only the digest is checked).
 */
export class VerifyingStream extends Transform {
  private readonly hash;
  private seen = 0;

  constructor(private readonly digest: Digest, private readonly size: number, private readonly subject: string) {
    super();
    this.hash = createHash(digestAlgorithm(digest));
  }

  /** True when this stream checks exactly `desc`'s digest and size. */
  checks(desc: { digest: Digest; size: number }): boolean {
    return this.digest === desc.digest && this.size === desc.size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.size >= 0 && this.seen > this.size) {
      cb(new DigestMismatchError(this.subject, `${this.size} bytes`, `more than ${this.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size >= 0 && this.seen !== this.size) {
      cb(new DigestMismatchError(this.subject, `${this.size} bytes`, `${this.seen} bytes`));
      return;
    }
    const actual = `${digestAlgorithm(this.digest)}:${this.hash.digest('hex')}`;
    cb(actual === this.digest ? null : new DigestMismatchError(this.subject, this.digest, actual));
  }
}

/** The digest of a buffer with the algorithm of `like`. */
export function digestOfBuffer(data: Buffer, like: Digest): Digest {
  const alg = digestAlgorithm(like);
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}
