import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentMemo, digestSources } from './source-digest.js';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'trowel-digest-'));
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd/a'), 'a');
  writeFileSync(join(dir, 'b.txt'), 'b');
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('content and mode change the digest; mtime does not', async () => {
  const memo = new ContentMemo();
  const before = await digestSources(dir, ['d'], memo);
  assert.is(before.kind, 'dir');
  utimesSync(join(dir, 'd/a'), 1, 1);
  assert.is((await digestSources(dir, ['d'], new ContentMemo())).digest, before.digest, 'mtime is not an input');
  chmodSync(join(dir, 'd/a'), 0o600);
  const moded = await digestSources(dir, ['d'], new ContentMemo());
  assert.is.not(moded.digest, before.digest);
  writeFileSync(join(dir, 'd/a'), 'changed');
  assert.is.not((await digestSources(dir, ['d'], new ContentMemo())).digest, moded.digest);
});

test('globs, excluded entries and the file/multi kinds', async () => {
  const memo = new ContentMemo();
  assert.is((await digestSources(dir, ['b.txt'], memo)).kind, 'file');
  assert.is((await digestSources(dir, ['*.txt', 'd'], memo)).kind, 'multi');
  const all = await digestSources(dir, ['d'], memo);
  writeFileSync(join(dir, 'd/ignored.log'), 'x');
  const ignoring = await digestSources(dir, ['d'], memo, (rel) => rel.endsWith('.log'));
  assert.is(ignoring.digest, all.digest, 'an excluded file does not change the digest');
});

test('an unchanged file is read once (memo keyed by stat data)', async () => {
  const memo = new ContentMemo();
  await digestSources(dir, ['d', 'b.txt'], memo);
  assert.is(memo.entries.size, 2);
  await digestSources(dir, ['d', 'b.txt'], memo);
  assert.is(memo.entries.size, 2);
});

test('a saved memo answers the next build without reading unchanged files', async () => {
  const path = join(dir, 'memo/file-digests.json');
  const first = ContentMemo.load(path);
  const d1 = await digestSources(dir, ['d', 'b.txt'], first);
  first.save();
  const second = ContentMemo.load(path);
  assert.is(second.entries.size, 2, 'both file digests were kept');
  // Poison the remembered digest: if the file were read again, the true digest would come back.
  for (const k of second.entries.keys()) second.entries.set(k, 'remembered');
  const d2 = await digestSources(dir, ['d', 'b.txt'], second);
  assert.is.not(d2.digest, d1.digest, 'the remembered digests were used, not the files');
  writeFileSync(join(dir, 'b.txt'), 'changed content');
  const third = ContentMemo.load(path);
  await digestSources(dir, ['b.txt'], third);
  assert.is(third.entries.size, 3, 'a changed file is read again (new stat key)');
});

test.run();
