import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { createCompressor, createDecompressor, detectCompression } from './compression.js';

async function through(stream: ReturnType<typeof createCompressor>, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from([data]), stream, new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

test('magic bytes: gzip, zstd, anything else is plain', () => {
  assert.is(detectCompression(gzipSync('x')), 'gzip');
  assert.is(detectCompression(execFileSync('zstd', ['-q', '-c'], { input: 'x' })), 'zstd');
  assert.is(detectCompression(Buffer.from('ustar')), 'none');
  assert.is(detectCompression(Buffer.alloc(0)), 'none');
});

for (const c of ['gzip', 'zstd', 'none'] as const) {
  test(`${c}: compress then decompress gives the input back`, async () => {
    const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(300_000, 0x61)]);
    const packed = await through(createCompressor(c), data);
    assert.is(detectCompression(packed), c);
    assert.ok((await through(createDecompressor(c), packed)).equals(data));
  });
}

test.run();
