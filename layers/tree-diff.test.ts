import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from './apply.js';
import { LayerDiffError } from './errors.js';
import { cleanup, collect, isRoot, listTar, overlayDirs, snapshotTree, tempDir, withKernelOverlay } from './test-fixtures.js';
import { diffTrees } from './tree-diff.js';

let base = '';
test.before.each(() => { base = tempDir(); });
test.after.each(() => { cleanup(base); });

/** A base tree and a changed copy of it (cp -a keeps mtimes, as a vfs copy must). */
function trees(): { a: string; b: string } {
  const a = join(base, 'a');
  mkdirSync(join(a, 'etc'), { recursive: true });
  mkdirSync(join(a, 'usr', 'share', 'doc'), { recursive: true });
  mkdirSync(join(a, 'var', 'cache', 'x'), { recursive: true });
  writeFileSync(join(a, 'etc', 'gone'), 'g');
  writeFileSync(join(a, 'etc', 'mode'), 'm');
  writeFileSync(join(a, 'etc', 'same'), 's');
  writeFileSync(join(a, 'usr', 'share', 'doc', 'deep'), 'old');
  writeFileSync(join(a, 'var', 'cache', 'x', 'f'), 'f');
  writeFileSync(join(a, 'becomes-dir'), 'file');
  symlinkSync('etc/same', join(a, 'link'));
  for (const p of ['etc/gone', 'etc/mode', 'etc/same', 'usr/share/doc/deep', 'var/cache/x/f', 'becomes-dir']) utimesSync(join(a, p), 1000, 1000);
  const b = join(base, 'b');
  execFileSync('cp', ['-a', a, b]);
  unlinkSync(join(b, 'etc', 'gone'));
  chmodSync(join(b, 'etc', 'mode'), 0o600);
  writeFileSync(join(b, 'usr', 'share', 'doc', 'deep'), 'new');
  rmSync(join(b, 'var', 'cache'), { recursive: true });
  rmSync(join(b, 'becomes-dir'));
  mkdirSync(join(b, 'becomes-dir'));
  writeFileSync(join(b, 'becomes-dir', 'inside'), 'i');
  unlinkSync(join(b, 'link'));
  symlinkSync('etc/mode', join(b, 'link'));
  writeFileSync(join(b, 'added'), 'a');
  return { a, b };
}

test('only changes, whiteouts and the parents of changes are written', async () => {
  const { a, b } = trees();
  const names = (await listTar(diffTrees(a, b))).map((e) => e.header.name);
  assert.equal(names, [
    'added', 'becomes-dir/', 'becomes-dir/inside', 'etc/', 'etc/.wh.gone', 'etc/mode', 'link',
    'usr/', 'usr/share/', 'usr/share/doc/', 'usr/share/doc/deep', 'var/', 'var/.wh.cache',
  ]);
});

test('applying the tree diff onto a copy of the base gives the changed tree', async () => {
  const { a, b } = trees();
  const target = join(base, 'target');
  execFileSync('cp', ['-a', a, target]);
  await applyLayer(Readable.from([await collect(diffTrees(a, b))]), target, { mode: 'flatten' });
  assert.equal(snapshotTree(target), snapshotTree(b));
});

test('identical trees give an empty layer', async () => {
  const { a } = trees();
  const copy = join(base, 'copy');
  execFileSync('cp', ['-a', a, copy]);
  assert.equal(await listTar(diffTrees(a, copy)), []);
});

test('a stack of overlay lower dirs is compared as overlay merges it, without flattening it', async () => {
  if (!isRoot) return; // kernel overlay and whiteout devices need root here
  const d = overlayDirs(join(base, 'ov'));
  mkdirSync(join(d.lower, 'etc'), { recursive: true });
  writeFileSync(join(d.lower, 'etc', 'gone-in-top'), 'g');
  writeFileSync(join(d.lower, 'etc', 'kept'), 'k');
  mkdirSync(join(d.lower, 'opq'));
  writeFileSync(join(d.lower, 'opq', 'old'), 'o');
  await withKernelOverlay(d, (m) => {
    rmSync(join(m, 'etc', 'gone-in-top'));
    rmSync(join(m, 'opq'), { recursive: true });
    mkdirSync(join(m, 'opq'));
    writeFileSync(join(m, 'opq', 'new'), 'n');
  });
  const stack = [d.upper, d.lower];
  // The container's root: a copy of the merged layers (what the vfs driver makes), then changed.
  const root = join(base, 'root');
  for (const dir of ['u2', 'w2']) mkdirSync(join(base, dir));
  await withKernelOverlay({ ...d, lower: `${d.upper}:${d.lower}`, upper: join(base, 'u2'), work: join(base, 'w2') }, (m) => {
    execFileSync('cp', ['-a', '--no-target-directory', m, root]);
  });
  assert.equal(await listTar(diffTrees(stack, root)), [], 'an unchanged copy has no diff');
  writeFileSync(join(root, 'etc', 'gone-in-top'), 'back');
  rmSync(join(root, 'opq', 'new'));
  chmodSync(join(root, 'etc', 'kept'), 0o640);
  const names = (await listTar(diffTrees(stack, root))).map((e) => e.header.name);
  assert.equal(names, ['etc/', 'etc/gone-in-top', 'etc/kept', 'opq/', 'opq/.wh.new']);
});

test('a missing tree is a LayerDiffError', async () => {
  await collect(diffTrees(join(base, 'nope'), base)).then(() => assert.unreachable('must fail'), (e: Error) => assert.instance(e, LayerDiffError));
});

test.run();
