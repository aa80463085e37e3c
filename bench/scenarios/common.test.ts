import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyContents, describeTree, scaled } from './common.js';

test('empty or relative mount path from a tool is refused, never read as the host root', async () => {
  const src = await mkdtemp(join(tmpdir(), 'trowel-bench-src-'));
  try {
    for (const dest of ['', '/', '/./', 'relative/dir', '/tmp/..']) {
      await copyContents(src, dest).then(
        () => assert.unreachable(`copied into "${dest}"`),
        (e: Error) => assert.match(e.message, /refusing destination/),
      );
    }
  } finally {
    await rm(src, { recursive: true, force: true });
  }
});

test('copies the contents of a directory into another', async () => {
  const root = await mkdtemp(join(tmpdir(), 'trowel-bench-copy-'));
  try {
    await writeFile(join(root, 'a.txt'), 'hello');
    const dest = await mkdtemp(join(tmpdir(), 'trowel-bench-dest-'));
    await copyContents(root, dest);
    assert.is(await readFile(join(dest, 'a.txt'), 'utf8'), 'hello');
    await rm(dest, { recursive: true, force: true });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('scaling never drops to zero and sizes read like the goals', () => {
  assert.is(scaled(10_000, 0.1), 1000);
  assert.is(scaled(3, 0.01), 1);
  assert.is(describeTree(10_000, 300e6), '10,000 files / 300 MB');
});

test.run();
