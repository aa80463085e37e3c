import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filePath, fileSizes, generateTree } from './generate-tree.js';

async function digestTree(dir: string): Promise<{ files: number; bytes: number; hash: string }> {
  const h = createHash('sha256');
  let files = 0, bytes = 0;
  for (const d of (await readdir(dir)).sort()) {
    for (const f of (await readdir(join(dir, d))).sort()) {
      const data = await readFile(join(dir, d, f));
      h.update(`${d}/${f}:${data.length}:`).update(data);
      files += 1;
      bytes += data.length;
    }
  }
  return { files, bytes, hash: h.digest('hex') };
}

test('sizes add up to exactly the requested bytes and vary', () => {
  const sizes = fileSizes({ files: 1000, bytes: 12_345_678, seed: 3 });
  assert.is(sizes.length, 1000);
  assert.is(sizes.reduce((a, b) => a + b, 0), 12_345_678);
  assert.ok(Math.max(...sizes) > 4 * Math.min(...sizes) + 1, 'sizes should not all be alike');
  for (const s of sizes) assert.ok(s >= 0);
});

test('paths are grouped by directory', () => {
  assert.is(filePath(0, 100), join('d0000', 'f000000.bin'));
  assert.is(filePath(250, 100), join('d0002', 'f000250.bin'));
});

test('same spec gives identical trees; another seed gives another', async () => {
  const root = await mkdtemp(join(tmpdir(), 'trowel-bench-test-'));
  try {
    const spec = { files: 250, bytes: 300_000, seed: 11, filesPerDir: 100 };
    const summary = await generateTree(join(root, 'a'), spec);
    await generateTree(join(root, 'b'), spec);
    await generateTree(join(root, 'c'), { ...spec, seed: 12 });
    assert.equal(summary, { files: 250, bytes: 300_000, dirs: 3 });
    const a = await digestTree(join(root, 'a'));
    const b = await digestTree(join(root, 'b'));
    const c = await digestTree(join(root, 'c'));
    assert.is(a.files, 250);
    assert.is(a.bytes, 300_000);
    assert.is(a.hash, b.hash);
    assert.is.not(a.hash, c.hash);
    const mode = (await stat(join(root, 'a', filePath(0, 100)))).mode & 0o777;
    assert.is(mode, 0o644);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
