import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { MediaType } from '../oci/media-types.js';
import { diffLayer } from './diff.js';
import { cleanup, collect, tempDir } from './test-fixtures.js';
import { writeLayer } from './write.js';

let base = '';
test.before.each(() => {
  base = tempDir();
  mkdirSync(join(base, 'tree', 'd'), { recursive: true });
  // Compressible but not trivial: repeated lines with a counter.
  writeFileSync(join(base, 'tree', 'd', 'text'), Array.from({ length: 20000 }, (_, i) => `line ${i} of some text\n`).join(''));
  writeFileSync(join(base, 'tree', 'small'), 'hello');
});
test.after.each(() => { cleanup(base); });

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A sink that keeps what it is given. */
function memorySink(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    sink: new Writable({ write(chunk: Buffer, _e, cb) { parts.push(chunk); cb(); } }),
    bytes: () => Buffer.concat(parts),
  };
}

test('gzip: diffID is the sha256 of the tar, digest and size of the sink bytes', async () => {
  const tar = await collect(diffLayer(join(base, 'tree'), { timestamp: 0 }));
  const { sink, bytes } = memorySink();
  const info = await writeLayer(diffLayer(join(base, 'tree'), { timestamp: 0 }), sink);
  assert.is(info.diffID, sha(tar));
  assert.is(info.uncompressedSize, tar.length);
  assert.is(info.digest, sha(bytes()));
  assert.is(info.size, bytes().length);
  assert.is(info.mediaType, MediaType.ociLayerGzip);
  assert.ok(gunzipSync(bytes()).equals(tar));
  assert.ok(info.size < tar.length / 3, 'compressed');
});

test('zstd: the zstd tool decompresses it back to the tar', async () => {
  const tar = await collect(diffLayer(join(base, 'tree'), { timestamp: 0 }));
  const { sink, bytes } = memorySink();
  const info = await writeLayer(Readable.from([tar]), sink, { compression: 'zstd' });
  assert.is(info.mediaType, MediaType.ociLayerZstd);
  assert.is(info.digest, sha(bytes()));
  assert.is(info.diffID, sha(tar));
  const file = join(base, 'layer.tar.zst');
  writeFileSync(file, bytes());
  assert.ok(execFileSync('zstd', ['-d', '-c', file], { maxBuffer: 1 << 28 }).equals(tar));
});

test('none: digest equals diffID and the sink gets the tar itself', async () => {
  const tar = await collect(diffLayer(join(base, 'tree')));
  const { sink, bytes } = memorySink();
  const info = await writeLayer(Readable.from([tar]), sink, { compression: 'none' });
  assert.is(info.digest, info.diffID);
  assert.ok(bytes().equals(tar));
  assert.is(info.mediaType, MediaType.ociLayer);
});

test('docker format always writes gzip with the docker media type', async () => {
  const { sink, bytes } = memorySink();
  const info = await writeLayer(diffLayer(join(base, 'tree')), sink, { compression: 'zstd', format: 'docker' });
  assert.is(info.mediaType, MediaType.dockerLayerGzip);
  assert.is(bytes()[0], 0x1f);
});

test('two writes of the same content with the same timestamp give the same digests', async () => {
  const run = async () => writeLayer(diffLayer(join(base, 'tree'), { timestamp: 1234 }), memorySink().sink);
  const a = await run();
  writeFileSync(join(base, 'tree', 'small'), 'hello'); // rewritten: new mtime, same content
  const b = await run();
  assert.equal(a, b);
});

test('zstd output is deterministic too', async () => {
  const run = async () => writeLayer(diffLayer(join(base, 'tree'), { timestamp: 1234 }), memorySink().sink, { compression: 'zstd' });
  const a = await run();
  writeFileSync(join(base, 'tree', 'small'), 'hello');
  assert.equal(await run(), a);
});

test('level changes the output; level 9 is no larger than level 1', async () => {
  const l1 = await writeLayer(diffLayer(join(base, 'tree'), { timestamp: 0 }), memorySink().sink, { level: 1 });
  const l9 = await writeLayer(diffLayer(join(base, 'tree'), { timestamp: 0 }), memorySink().sink, { level: 9 });
  assert.is(l1.diffID, l9.diffID);
  assert.is.not(l1.digest, l9.digest);
  assert.ok(l9.size <= l1.size);
});

test('a 320 MiB file streams through without the layer being held in memory', async () => {
  const tree = join(base, 'big');
  mkdirSync(tree);
  execFileSync('truncate', ['-s', '320M', join(tree, 'sparse')]);
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  try {
    const info = await writeLayer(diffLayer(tree), memorySinkDiscarding(), { compression: 'gzip' });
    assert.ok(info.uncompressedSize > 320 * 1024 * 1024);
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.ok(peak - before < 128 * 1024 * 1024, `rss grew by ${((peak - before) / 1048576).toFixed(0)} MiB`);
});

/** A sink that throws bytes away (so the test measures the pipeline, not its own buffer). */
function memorySinkDiscarding(): Writable {
  return new Writable({ write(_c, _e, cb) { setImmediate(cb); } });
}

test('a failing sink rejects the write and the error names the cause', async () => {
  const sink = new Writable({ write(_c, _e, cb) { cb(new Error('ENOSPC: no space left on device')); } });
  try {
    await writeLayer(diffLayer(join(base, 'tree')), sink);
    assert.unreachable('write must fail');
  } catch (err) {
    assert.match((err as Error).message, /ENOSPC/);
  }
});

test('a failing source destroys the sink', async () => {
  const src = new PassThrough();
  const { sink } = memorySink();
  const p = writeLayer(src, sink);
  src.write(Buffer.alloc(100));
  src.destroy(new Error('source broke'));
  assert.not.ok(await p.then(() => true, (e: Error) => (assert.match(e.message, /source broke/), false)));
  assert.ok(sink.destroyed);
});

test.run();
