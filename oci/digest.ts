import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from './error.js';

/** A content digest, `sha256:<64 hex>` (the only algorithm trowel writes; sha512 is accepted on read). */
export type Digest = `${string}:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Parses a digest string; throws InvalidArgumentError naming it when malformed. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new InvalidArgumentError(`parse digest ${JSON.stringify(s)}: not sha256:<64 hex> or sha512:<128 hex>`);
  return s;
}

export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.slice(0, d.indexOf(':')) as 'sha256' | 'sha512';
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A pass-through stream that hashes and counts what flows through it.
 * `digest` and `size` are valid once the stream has ended.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  size = 0;
  private result: Digest | undefined;

  constructor(readonly algorithm: 'sha256' | 'sha512' = 'sha256') {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `${this.algorithm}:${this.hash.digest('hex')}`;
    cb();
  }

  get digest(): Digest {
    if (!this.result) throw new Error('DigestingStream: digest read before end of stream');
    return this.result;
  }
}
