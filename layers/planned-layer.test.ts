import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, mkdirSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLayer } from './diff.js';
import { LayerDiffError } from './errors.js';
import { plannedLayer, type PlannedEntry } from './planned-layer.js';
import { cleanup, collect, listTar, tempDir } from './test-fixtures.js';

let base = '';
test.before.each(() => { base = tempDir(); });
test.after.each(() => { cleanup(base); });

/** A tree on disk and the plan that describes it, entry for entry. */
function treeAndPlan(): { dir: string; top: Map<string, PlannedEntry> } {
  const dir = join(base, 'tree');
  const content = join(base, 'content');
  mkdirSync(join(dir, 'b/inner'), { recursive: true });
  mkdirSync(content);
  writeFileSync(join(content, 'long'), Buffer.alloc(1_500_000, 9));
  writeFileSync(join(dir, 'b/inner', 'x'.repeat(120)), Buffer.alloc(1_500_000, 9));
  writeFileSync(join(content, 'a'), 'alpha');
  writeFileSync(join(dir, 'a'), 'alpha');
  symlinkSync('../a', join(dir, 'b/up'));
  const uid = process.geteuid?.() ?? 0, gid = process.getegid?.() ?? 0;
  for (const p of ['b/inner/' + 'x'.repeat(120), 'a', 'b/inner', 'b']) utimesSync(join(dir, p), 1_000_000_000, 1_000_000_000);
  const mode = (p: string) => lstatSync(join(dir, p)).mode & 0o7777;
  const mtime = (p: string) => Math.floor(lstatSync(join(dir, p)).mtimeMs / 1000);
  const top = new Map<string, PlannedEntry>([
    ['b', { type: 'directory', mode: mode('b'), uid, gid, mtime: mtime('b'), children: new Map<string, PlannedEntry>([
      ['up', { type: 'symlink', uid, gid, mtime: mtime('b/up'), target: '../a' }],
      ['inner', { type: 'directory', mode: mode('b/inner'), uid, gid, mtime: mtime('b/inner'), children: new Map([
        ['x'.repeat(120), { type: 'file', mode: mode('a'), uid, gid, mtime: 1_000_000_000, size: 1_500_000, source: join(content, 'long') }],
      ]) }],
    ]) }],
    ['a', { type: 'file', mode: mode('a'), uid, gid, mtime: mtime('a'), size: 5, source: join(content, 'a') }],
  ]);
  return { dir, top };
}

test('a plan gives the bytes diffLayer gives for the same tree (sorted, long names, links, clamped times)', async () => {
  const { dir, top } = treeAndPlan();
  for (const opts of [{}, { timestamp: 1_100_000_000 }, { timestamp: 0, timestampMode: 'set' as const }]) {
    const planned = await collect(plannedLayer(top, opts));
    const diffed = await collect(diffLayer(dir, opts));
    assert.equal((await listTar(planned)).map((e) => e.header.name), ['a', 'b/', 'b/inner/', `b/inner/${'x'.repeat(120)}`, 'b/up']);
    assert.ok(planned.equals(diffed), `same bytes with ${JSON.stringify(opts)}`);
  }
});

test('a source that shrank after planning fails the stream with LayerDiffError', async () => {
  const { top } = treeAndPlan();
  truncateSync(join(base, 'content', 'a'), 2);
  try {
    await collect(plannedLayer(top));
    assert.unreachable('a short file was written as if whole');
  } catch (e) {
    assert.instance(e, LayerDiffError);
  }
});

test.run();
