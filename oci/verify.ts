import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import { digestAlgorithm, type Digest } from './digest.js';
import { DigestMismatchError, TrowelError } from './error.js';

/**
 * A pass-through that checks what flows through against a digest (and size, when known):
 * it errors as soon as the content runs past the size, and at its end if the digest or size
 * differ. Nothing downstream should treat the data as good before the stream ends cleanly.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private size = 0;

  constructor(private readonly expected: Digest, private readonly expectedSize: number | undefined, private readonly subject: string) {
    super();
    this.hash = createHash(digestAlgorithm(expected));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.expectedSize !== undefined && this.size > this.expectedSize) {
      cb(new TrowelError('SIZE_MISMATCH', `verify ${this.subject}: more than the expected ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}`;
    if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
      cb(new TrowelError('SIZE_MISMATCH', `verify ${this.subject}: ${this.size} bytes, expected ${this.expectedSize}`));
    } else if (actual !== this.expected) {
      cb(new DigestMismatchError(this.subject, this.expected, actual));
    } else {
      cb();
    }
  }
}

/** `source` piped through a VerifyingStream for `desc`; source errors propagate. */
export function verifiedStream(source: Readable, desc: Pick<Descriptor, 'digest'> & { size?: number }, subject: string): Readable {
  const check = new VerifyingStream(desc.digest, desc.size, subject);
  source.on('error', (e) => check.destroy(e));
  return source.pipe(check);
}
