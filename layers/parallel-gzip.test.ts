import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip, type ParallelGzipOptions } from './parallel-gzip.js';

async function compress(data: Buffer, opts: ParallelGzipOptions, chunk = 65536): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), new ParallelGzip(opts), new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

// Half random, half repetitive: back-references across block boundaries get exercised.
const sample = Buffer.concat(Array.from({ length: 12 }, (_, i) => (i % 2 ? randomBytes(70_000) : Buffer.from(`row ${i} `.repeat(9000)))));

test('zlib and GNU gzip read the output back to the input', async () => {
  const gz = await compress(sample, { level: 1, blockSize: 64 * 1024 });
  assert.ok(gunzipSync(gz).equals(sample));
  const viaGzip = execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 26 });
  assert.ok(viaGzip.equals(sample));
});

test('output depends only on input, level and block size: not on chunking or concurrency', async () => {
  const a = await compress(sample, { level: 6, blockSize: 50_000, concurrency: 2 }, 65536);
  const b = await compress(sample, { level: 6, blockSize: 50_000, concurrency: 8 }, 777);
  assert.ok(a.equals(b));
  const c = await compress(sample, { level: 6, blockSize: 60_000, concurrency: 2 });
  assert.not.ok(a.equals(c), 'block size is part of the format');
});

test('edge sizes: empty input, exactly one block, a multiple of the block size', async () => {
  for (const size of [0, 1, 4096, 8192, 3 * 4096]) {
    const data = randomBytes(size);
    const gz = await compress(data, { level: 1, blockSize: 4096 });
    assert.ok(gunzipSync(gz).equals(data), `size ${size}`);
    assert.is(gz.readUInt32LE(gz.length - 4), size);
  }
});

test('the dictionary keeps the ratio close to one stream on repetitive data', async () => {
  // Without the dictionary these 16 KiB blocks come out about 6 times larger.
  const text = Buffer.from(Array.from({ length: 40000 }, (_, i) => `entry ${i % 500} value\n`).join(''));
  const gz = await compress(text, { level: 6, blockSize: 16 * 1024 });
  const single = execFileSync('gzip', ['-6', '-c'], { input: text });
  assert.ok(gz.length < single.length * 1.15, `${gz.length} vs ${single.length}`);
  assert.is(createHash('sha256').update(gunzipSync(gz)).digest('hex'), createHash('sha256').update(text).digest('hex'));
});

test.run();
