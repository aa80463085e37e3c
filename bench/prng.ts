import { createCipheriv, createHash } from 'node:crypto';

/** A seeded source of numbers for layout decisions (file sizes, names). */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * mulberry32: a small 32-bit PRNG. Same seed, same sequence, on every machine and Node
 * version, which is all the generators need from it.
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/**
 * A deterministic stream of incompressible bytes: the AES-128-CTR keystream under a key
 * derived from `seed` (SHA-256 of the seed's decimal text). Hundreds of MB per second,
 * where a JS PRNG would make generating a 300 MB context the slowest part of a run.
 * Each call returns the next `n` bytes of the stream.
 */
export function createByteStream(seed: number): (n: number) => Buffer {
  const key = createHash('sha256').update(`trowel-bench:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return (n) => cipher.update(Buffer.alloc(n));
}
