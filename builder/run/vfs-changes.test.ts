import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { populateVfs, type LayerStack } from './storage-driver.js';
import { alignTimes, captureVfsChanges } from './vfs-changes.js';

let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'trowel-vfs-changes-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

function stackWithOneLayer(): LayerStack {
  const layer = join(dir, 'layer');
  mkdirSync(join(layer, 'etc'), { recursive: true });
  writeFileSync(join(layer, 'etc', 'kept'), 'k');
  writeFileSync(join(layer, 'etc', 'gone'), 'g');
  writeFileSync(join(layer, 'etc', 'mode'), 'm');
  const s = { lowerDirs: [layer], upperDir: join(dir, 'upper'), workDir: join(dir, 'work'), target: join(dir, 'root') };
  mkdirSync(s.upperDir);
  return s;
}

test('the upper dir gets what the vfs root changed, whiteouts for what it deleted, and nothing else', async () => {
  if (process.geteuid?.() !== 0) return; // whiteout devices need root (or a user namespace)
  const s = stackWithOneLayer();
  // A leftover in the upper dir is already part of the root: it must not survive as its own change.
  writeFileSync(join(s.upperDir, 'stale'), 's');
  await populateVfs(s);
  rmSync(join(s.target, 'stale'));
  rmSync(join(s.target, 'etc', 'gone'));
  chmodSync(join(s.target, 'etc', 'mode'), 0o600);
  writeFileSync(join(s.target, 'etc', 'new'), 'n');
  await captureVfsChanges(s);
  assert.equal(readdirSync(s.upperDir), ['etc']);
  assert.equal(readdirSync(join(s.upperDir, 'etc')).sort(), ['gone', 'mode', 'new']);
  const gone = lstatSync(join(s.upperDir, 'etc', 'gone'));
  assert.ok(gone.isCharacterDevice() && gone.rdev === 0, 'a whiteout device');
  assert.is(lstatSync(join(s.upperDir, 'etc', 'mode')).mode & 0o7777, 0o600);
  assert.is(readFileSync(join(s.upperDir, 'etc', 'new'), 'utf8'), 'n');
  // Both copies of a changed file carry the same whole-second mtime.
  const inUpper = lstatSync(join(s.upperDir, 'etc', 'new'), { bigint: true }).mtimeNs;
  assert.is(inUpper % 1_000_000_000n, 0n);
  assert.is(lstatSync(join(s.target, 'etc', 'new'), { bigint: true }).mtimeNs, inUpper);
});

test('once the upper dir became a layer, the same root has no changes left', async () => {
  if (process.geteuid?.() !== 0) return;
  const s = stackWithOneLayer();
  await populateVfs(s);
  writeFileSync(join(s.target, 'etc', 'new'), 'n');
  rmSync(join(s.target, 'etc', 'gone'));
  await captureVfsChanges(s);
  // What commit does: the upper dir becomes the top layer, a fresh upper dir follows.
  const committed = join(dir, 'committed');
  renameSync(s.upperDir, committed);
  mkdirSync(s.upperDir);
  const next = { ...s, lowerDirs: [committed, ...s.lowerDirs] };
  await captureVfsChanges(next);
  assert.equal(readdirSync(next.upperDir), []);
});

test('symlink swap attack: a dir of the vfs root replaced by a symlink to a host dir cannot get host files retimed', () => {
  const host = join(dir, 'host');
  mkdirSync(host);
  writeFileSync(join(host, 'f'), 'host file');
  utimesSync(join(host, 'f'), 1000.5, 1000.5);
  const upper = join(dir, 'upper');
  mkdirSync(join(upper, 'd'), { recursive: true });
  writeFileSync(join(upper, 'd', 'f'), 'changed');
  const root = join(dir, 'root');
  mkdirSync(root);
  symlinkSync(host, join(root, 'd'));
  alignTimes(upper, root);
  assert.is(lstatSync(join(host, 'f')).mtimeMs, 1000500);
});

test.run();
