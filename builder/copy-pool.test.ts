import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { copyFiles } from './copy-pool.js';
import type { FileCopy } from './file-copy.js';

let base = '';
test.before.each(() => { base = mkdtempSync(join(tmpdir(), 'trowel-copy-pool-')); });
test.after.each(() => rmSync(base, { recursive: true, force: true }));

const me = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };

/** `n` source files of different sizes and their copy jobs into `out/`. */
function jobs(n: number): FileCopy[] {
  mkdirSync(join(base, 'src'));
  mkdirSync(join(base, 'out'));
  return Array.from({ length: n }, (_, i) => {
    const src = join(base, 'src', `f${i}`);
    writeFileSync(src, Buffer.alloc(i * 37, i % 251));
    return { src, target: join(base, 'out', `f${i}`), mode: i % 2 ? 0o640 : 0o755, ...me, size: i * 37, atimeMs: 1_000_000_000_123, mtimeMs: 1_100_000_000_000 + i * 1000 };
  });
}

test('hundreds of files are copied on worker threads with their bytes, modes and times', async () => {
  const all = jobs(500);
  await copyFiles(all);
  for (const [i, j] of all.entries()) {
    const st = lstatSync(j.target);
    assert.is(st.mode & 0o7777, j.mode, j.target);
    assert.is(st.mtimeMs, j.mtimeMs);
    assert.ok(readFileSync(j.target).equals(readFileSync(j.src)), `content of f${i}`);
  }
});

test('a failing file fails the copy with its error once the rest is done; nothing is left running', async () => {
  const all = jobs(300);
  rmSync(all[150]!.src);
  try {
    await copyFiles(all);
    assert.unreachable('a missing source was copied');
  } catch (e) {
    assert.is((e as NodeJS.ErrnoException).code, 'ENOENT');
  }
  assert.ok(existsSync(all[299]!.target), 'the other chunks finished');
  // The pool still works after a failure.
  rmSync(join(base, 'out'), { recursive: true });
  mkdirSync(join(base, 'out'));
  writeFileSync(all[150]!.src, 'back');
  await copyFiles(all);
  assert.is(readFileSync(all[150]!.target, 'utf8'), 'back');
});

test('a job asking for its digest gets the sha256 of the bytes copied, in place and on workers', async () => {
  for (const n of [10, 200]) {
    rmSync(join(base, 'src'), { recursive: true, force: true });
    rmSync(join(base, 'out'), { recursive: true, force: true });
    const all = jobs(n).map((j, i) => (i % 3 === 0 ? j : { ...j, digest: true }));
    const digests = await copyFiles(all);
    assert.is(digests.length, n);
    for (const [i, j] of all.entries()) {
      const want = j.digest ? createHash('sha256').update(readFileSync(j.src)).digest('hex') : undefined;
      assert.is(digests[i], want, `digest of f${i} (${n} files)`);
    }
  }
});

test.run();
