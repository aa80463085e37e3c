import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, isRoot, overlayDirs, snapshotTree, tempDir, withKernelOverlay } from './test-fixtures.js';
import { directoryView, lowerStackView, type TreeView } from './tree-view.js';

let base = '';
test.before.each(() => { base = tempDir('trowel-tree-view-'); });
test.after.each(() => { cleanup(base); });

/** Every visible path of a view with its type, as snapshotTree would list it. */
function walkView(view: TreeView, rel = '', out: Record<string, string> = {}): Record<string, string> {
  for (const name of view.list(rel)) {
    const r = rel ? `${rel}/${name}` : name;
    const path = view.locate(r);
    assert.ok(path, `${r} is listed, so it is located`);
    const content = snapshotTree(join(path, '..'))[name] ?? '';
    out[r] = content.replace(/ t=\d+/, '');
    if (content.startsWith('dir')) walkView(view, r, out);
  }
  return out;
}

function withoutTimes(snap: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, v.replace(/ t=\d+/, '')]));
}

test('a plain directory is listed as it is', () => {
  mkdirSync(join(base, 'd'));
  writeFileSync(join(base, 'd', 'f'), 'x');
  const view = directoryView(base);
  assert.equal(view.list(''), ['d']);
  assert.equal(view.list('d'), ['f']);
  assert.equal(view.list('d/f'), []);
  assert.is(view.locate('d/f'), join(base, 'd', 'f'));
  assert.is(view.locate('nope'), undefined);
});

test('lower dirs read top-down show what kernel overlay shows (whiteouts, opaque dirs, replaced entries)', async () => {
  if (!isRoot) return; // kernel overlay and whiteout devices need root here
  const d = overlayDirs(base);
  mkdirSync(join(d.lower, 'etc', 'deep'), { recursive: true });
  writeFileSync(join(d.lower, 'etc', 'gone'), 'g');
  writeFileSync(join(d.lower, 'etc', 'kept'), 'k');
  writeFileSync(join(d.lower, 'etc', 'deep', 'f'), 'f');
  mkdirSync(join(d.lower, 'opq', 'sub'), { recursive: true });
  writeFileSync(join(d.lower, 'opq', 'old'), 'o');
  writeFileSync(join(d.lower, 'opq', 'sub', 'x'), 'x');
  mkdirSync(join(d.lower, 'dir-to-file'));
  writeFileSync(join(d.lower, 'dir-to-file', 'inside'), 'i');
  writeFileSync(join(d.lower, 'file-to-dir'), 'f');
  symlinkSync('etc/kept', join(d.lower, 'link'));
  await withKernelOverlay(d, (m) => {
    rmSync(join(m, 'etc', 'gone'));
    rmSync(join(m, 'etc', 'deep'), { recursive: true });
    chmodSync(join(m, 'etc', 'kept'), 0o600);
    // Removed and made again: overlay marks the new dir opaque.
    rmSync(join(m, 'opq'), { recursive: true });
    mkdirSync(join(m, 'opq'));
    writeFileSync(join(m, 'opq', 'new'), 'n');
    rmSync(join(m, 'dir-to-file'), { recursive: true });
    writeFileSync(join(m, 'dir-to-file'), 'now a file');
    rmSync(join(m, 'file-to-dir'));
    mkdirSync(join(m, 'file-to-dir'));
    writeFileSync(join(m, 'file-to-dir', 'child'), 'c');
    writeFileSync(join(m, 'added'), 'a');
  });
  // The upper dir becomes the top layer of a two-layer stack; the kernel's merge is the oracle.
  const top = join(base, 'top');
  renameSync(d.upper, top);
  mkdirSync(d.upper);
  let merged: Record<string, string> = {};
  await withKernelOverlay({ ...d, lower: `${top}:${d.lower}` }, (m) => { merged = withoutTimes(snapshotTree(m)); });
  const view = lowerStackView([top, d.lower]);
  assert.equal(walkView(view), merged);
  assert.equal(view.list('opq'), ['new']);
  assert.is(view.locate('etc/gone'), undefined);
  assert.is(readFileSync(view.locate('dir-to-file')!, 'utf8'), 'now a file');
  assert.equal(view.list('dir-to-file'), []);
});

test('fuse-overlayfs style .wh. files and an opaque marker file hide lower entries', () => {
  const lower = join(base, 'lower');
  const top = join(base, 'top');
  mkdirSync(join(lower, 'a'), { recursive: true });
  mkdirSync(join(lower, 'o'), { recursive: true });
  writeFileSync(join(lower, 'a', 'x'), 'x');
  writeFileSync(join(lower, 'a', 'y'), 'y');
  writeFileSync(join(lower, 'o', 'hidden'), 'h');
  mkdirSync(join(top, 'a'), { recursive: true });
  mkdirSync(join(top, 'o'), { recursive: true });
  writeFileSync(join(top, 'a', '.wh.x'), '');
  writeFileSync(join(top, 'o', '.wh..wh..opq'), '');
  writeFileSync(join(top, 'o', 'shown'), 's');
  const view = lowerStackView([top, lower]);
  assert.equal(view.list('a'), ['y']);
  assert.is(view.locate('a/x'), undefined);
  assert.equal(view.list('o'), ['shown']);
  assert.is(view.locate('o/hidden'), undefined);
});

test.run();
