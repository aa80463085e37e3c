/**
 * Layer compression levels, measured: the 10,000-file / 300 MB mixed tree of the commit
 * scenario, diffed and written once per compression and level, wall time and size of each.
 * Picks the default gzip level of layers/compression.ts. Run as
 * `node dist/bench/layer-compression.js [--quick]`; prints a Markdown table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { DigestingStream } from '../oci/digest.js';
import { diffLayer, writeLayer } from '../layers/index.js';
import type { Compression } from '../oci/media-types.js';
import { generateTree } from './generate-tree.js';

const quick = process.argv.includes('--quick');
const runs = quick ? 1 : 3;
const dir = mkdtempSync(join(tmpdir(), 'trowel-bench-compression-'));

/** A sink that counts and discards: the disk is not what is measured here. */
const nullSink = () => new Writable({ write(_c, _e, cb) { cb(); } });

try {
  const summary = await generateTree(dir, { files: quick ? 1000 : 10000, bytes: quick ? 30e6 : 300e6, seed: 1 });
  const cases: Array<[Compression, number | undefined]> = [['none', undefined], ['gzip', 1], ['gzip', 6], ['zstd', 3]];
  // For comparison: one zlib stream (what gzip was before ParallelGzip), level 1.
  const single = async () => {
    const diffID = new DigestingStream();
    const digest = new DigestingStream();
    await pipeline(diffLayer(dir, { timestamp: 0 }), diffID, zlib.createGzip({ level: 1 }), digest, nullSink());
    return { size: digest.size, uncompressedSize: diffID.size };
  };
  console.log(`tree: ${summary.files ?? ''} files, ${(quick ? 30 : 300)} MB; median of ${runs} run(s)\n`);
  console.log('| compression | level | wall s | MB/s | size MB | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const [compression, level] of cases) {
    const times: number[] = [];
    let size = 0, raw = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const info = await writeLayer(diffLayer(dir, { timestamp: 0 }), nullSink(), { compression, ...(level ? { level } : {}) });
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      size = info.size;
      raw = info.uncompressedSize;
    }
    times.sort((a, b) => a - b);
    const t = times[Math.floor(times.length / 2)]!;
    console.log(`| ${compression} | ${level ?? '-'} | ${t.toFixed(2)} | ${(raw / 1e6 / t).toFixed(0)} | ${(size / 1e6).toFixed(1)} | ${(size / raw).toFixed(3)} |`);
  }
  const times: number[] = [];
  let last = { size: 0, uncompressedSize: 1 };
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = await single();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const t = times[Math.floor(times.length / 2)]!;
  console.log(`| gzip, one zlib stream | 1 | ${t.toFixed(2)} | ${(last.uncompressedSize / 1e6 / t).toFixed(0)} | ${(last.size / 1e6).toFixed(1)} | ${(last.size / last.uncompressedSize).toFixed(3)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
