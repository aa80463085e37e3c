import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createByteStream, createPrng } from './prng.js';

/** What to generate: `files` regular files holding `bytes` bytes in total. */
export interface TreeSpec {
  files: number;
  bytes: number;
  seed: number;
  /** Files per directory (default 100); directories are `dNNNN/`. */
  filesPerDir?: number;
  /**
   * Share of each file that is repetitive text, the rest being random bytes (default 0.5),
   * so compressors meet something between a text tree and a tree of binaries.
   */
  compressible?: number;
}

export interface TreeSummary {
  files: number;
  bytes: number;
  dirs: number;
}

/**
 * File sizes for a spec: exponentially distributed (many small files, a few large, as in
 * real trees) and scaled so they add up to exactly `bytes`. Pure and deterministic.
 */
export function fileSizes(spec: Pick<TreeSpec, 'files' | 'bytes' | 'seed'>): number[] {
  const prng = createPrng(spec.seed);
  const weights = Array.from({ length: spec.files }, () => -Math.log(1 - prng.next()));
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const sizes = weights.map((w) => Math.floor((w / total) * spec.bytes));
  const short = spec.bytes - sizes.reduce((a, b) => a + b, 0);
  if (sizes.length > 0) sizes[sizes.length - 1]! += short;
  return sizes;
}

/** The relative path of file `i`: `dNNNN/fNNNNNN.bin`. */
export function filePath(i: number, filesPerDir: number): string {
  const dir = Math.floor(i / filesPerDir);
  return join(`d${String(dir).padStart(4, '0')}`, `f${String(i).padStart(6, '0')}.bin`);
}

/**
 * Writes the tree under `dir` (created if missing). The same spec gives byte-identical
 * trees: sizes come from the seeded PRNG, content from the seeded byte stream in file order.
 * Files are mode 0644 and directories 0755 so an unprivileged user can read them.
 */
export async function generateTree(dir: string, spec: TreeSpec): Promise<TreeSummary> {
  const perDir = spec.filesPerDir ?? 100;
  const share = Math.min(1, Math.max(0, spec.compressible ?? 0.5));
  const sizes = fileSizes(spec);
  const bytes = createByteStream(spec.seed);
  const dirs = Math.ceil(spec.files / perDir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (let d = 0; d < dirs; d++) {
    await mkdir(join(dir, `d${String(d).padStart(4, '0')}`), { recursive: true, mode: 0o755 });
  }
  // Content is generated in file order (so it is deterministic) and written a few files at
  // a time, which keeps a 300 MB tree from sitting in memory.
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!;
    const repetitive = Math.floor(size * share);
    const line = bytes(48).toString('base64') + '\n';
    const text = Buffer.from(line.repeat(Math.ceil(repetitive / line.length) || 0)).subarray(0, repetitive);
    const content = Buffer.concat([bytes(size - repetitive), text]);
    const p: Promise<void> = writeFile(join(dir, filePath(i, perDir)), content, { mode: 0o644 }).then(() => {
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 32) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { files: spec.files, bytes: spec.bytes, dirs };
}
