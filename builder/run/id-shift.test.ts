import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIdentity, mapId, shiftTree, type IdMaps } from './id-shift.js';

const maps: IdMaps = {
  uidMappings: [{ containerId: 0, hostId: 100000, size: 1000 }, { containerId: 1000, hostId: 300000, size: 10 }],
  gidMappings: [{ containerId: 0, hostId: 200000, size: 65536 }],
};

test('mapId maps through the range holding the id, both ways; ids outside stay', () => {
  assert.is(mapId(0, maps.uidMappings, 'to-host'), 100000);
  assert.is(mapId(999, maps.uidMappings, 'to-host'), 100999);
  assert.is(mapId(1005, maps.uidMappings, 'to-host'), 300005);
  assert.is(mapId(300005, maps.uidMappings, 'to-container'), 1005);
  assert.is(mapId(5000, maps.uidMappings, 'to-host'), 5000);
  assert.ok(isIdentity({ uidMappings: [{ containerId: 0, hostId: 0, size: 10 }], gidMappings: [] }));
  assert.not.ok(isIdentity(maps));
});

const asRoot = process.getuid?.() === 0;

test('shiftTree re-owns every entry once (hard links too), keeps set-id bits, and comes back exactly', () => {
  if (!asRoot) return;
  const dir = mkdtempSync(join(tmpdir(), 'trowel-idshift-'));
  try {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd/suid'), 'x');
    chownSync(join(dir, 'd/suid'), 1001, 5);
    chmodSync(join(dir, 'd/suid'), 0o4755);
    linkSync(join(dir, 'd/suid'), join(dir, 'hardlink'));
    symlinkSync('d/suid', join(dir, 'link'));
    shiftTree(dir, maps, 'to-host');
    const st = lstatSync(join(dir, 'd/suid'));
    assert.is(st.uid, 300001, 'a hard-linked inode is shifted once, not twice');
    assert.is(st.gid, 200005);
    assert.is(st.mode & 0o7777, 0o4755, 'chown cleared nothing');
    assert.is(lstatSync(join(dir, 'link')).uid, 100000, 'links are re-owned themselves');
    assert.is(lstatSync(dir).uid, 100000, 'the root too');
    shiftTree(dir, maps, 'to-container');
    assert.is(lstatSync(join(dir, 'd/suid')).uid, 1001);
    assert.is(lstatSync(join(dir, 'd/suid')).gid, 5);
    assert.is(lstatSync(join(dir, 'link')).uid, 0);
    assert.is(lstatSync(join(dir, 'd/suid')).mode & 0o7777, 0o4755);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('symlink attack: a link in a shifted tree is re-owned itself, never the host file it names', () => {
  if (!asRoot) return;
  const dir = mkdtempSync(join(tmpdir(), 'trowel-idshift-'));
  const outside = mkdtempSync(join(tmpdir(), 'trowel-idshift-host-'));
  try {
    writeFileSync(join(outside, 'host-file'), 'h');
    chownSync(join(outside, 'host-file'), 5, 5);
    symlinkSync(join(outside, 'host-file'), join(dir, 'evil'));
    symlinkSync(outside, join(dir, 'evil-dir'));
    shiftTree(dir, maps, 'to-host');
    shiftTree(dir, maps, 'to-container');
    shiftTree(dir, maps, 'to-host');
    assert.is(lstatSync(join(outside, 'host-file')).uid, 5);
    assert.is(lstatSync(outside).uid, 0);
    assert.is(lstatSync(join(dir, 'evil')).uid, 100000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test.run();
