// Layers as an unprivileged user: apply lower dirs for fuse-overlayfs and for kernel overlay
// mounted with userxattr inside a user namespace, and diff what fuse-overlayfs writes.
import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { lgetxattr } from '../native/index.js';
import { applyLayer } from './apply.js';
import { diffLayer } from './diff.js';
import { cleanup, listTar, makeTar, overlayDirs, tempDir, withFuseOverlay } from './test-fixtures.js';

let base = '';
test.before.each(() => { base = tempDir(); });
test.after.each(() => {
  // Files a user namespace made may be owned by sub-ids; the user can still remove them (its dirs).
  cleanup(base);
});

const layer1 = makeTar([
  { name: 'etc/', type: 'directory' }, { name: 'etc/gone', content: 'gone' }, { name: 'etc/kept', content: 'kept' },
  { name: 'data/', type: 'directory' }, { name: 'data/old', content: 'old' },
  { name: 'dev/', type: 'directory' }, { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
]);
const layer2 = makeTar([
  { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.gone' },
  { name: 'data/', type: 'directory' }, { name: 'data/.wh..wh..opq' }, { name: 'data/new', content: 'new' },
]);

async function applyBoth(): Promise<{ l1: string; l2: string }> {
  const l1 = join(base, 'l1');
  const l2 = join(base, 'l2');
  mkdirSync(l1);
  mkdirSync(l2);
  await applyLayer(Readable.from([layer1]), l1, { mode: 'overlay' });
  await applyLayer(Readable.from([layer2]), l2, { mode: 'overlay' });
  return { l1, l2 };
}

test('unprivileged apply: whiteouts are 0:0 devices, opaque dirs use user.overlay.opaque, device nodes are skipped', async () => {
  assert.is.not(process.geteuid?.(), 0);
  const { l1, l2 } = await applyBoth();
  const wh = lstatSync(join(l2, 'etc', 'gone'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.is(lgetxattr(join(l2, 'data'), 'user.overlay.opaque')?.toString(), 'y');
  assert.equal(readdirSync(join(l1, 'dev')), []);
});

test('unprivileged flatten into a dir a lower layer left read-only, which keeps its mode', async () => {
  const dir = join(base, 'flat');
  mkdirSync(dir);
  await applyLayer(Readable.from([makeTar([{ name: 'usr/', type: 'directory', mode: 0o555 }, { name: 'usr/a', content: 'a' }])]), dir, { mode: 'flatten' });
  await applyLayer(Readable.from([makeTar([{ name: 'usr/b', content: 'b' }])]), dir, { mode: 'flatten' });
  assert.equal(readdirSync(join(dir, 'usr')).sort(), ['a', 'b']);
  assert.is(lstatSync(join(dir, 'usr')).mode & 0o7777, 0o555);
});

test('unprivileged flatten whiteout removes a subtree of read-only dirs', async () => {
  const dir = join(base, 'flat2');
  mkdirSync(dir);
  await applyLayer(Readable.from([makeTar([
    { name: 'd/', type: 'directory', mode: 0o555 }, { name: 'd/sub/', type: 'directory', mode: 0o555 }, { name: 'd/sub/f', content: 'f' },
  ])]), dir, { mode: 'flatten' });
  await applyLayer(Readable.from([makeTar([{ name: '.wh.d' }])]), dir, { mode: 'flatten' });
  assert.equal(readdirSync(dir), []);
});

test('as root of a user namespace: devices skipped, user.overlay.opaque, owners kept', async () => {
  const dir = join(base, 'userns');
  mkdirSync(dir);
  const tarFile = join(base, 'layer.tar');
  writeFileSync(tarFile, makeTar([
    { name: 'dev/', type: 'directory' }, { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
    { name: 'data/', type: 'directory' }, { name: 'data/.wh..wh..opq' }, { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.gone' },
    { name: 'f', content: 'x', xattrs: new Map([['trusted.x', Buffer.from('1')], ['user.y', Buffer.from('2')]]) },
  ]));
  const applyJs = new URL('./apply.js', import.meta.url).href;
  const script = `import { applyLayer } from ${JSON.stringify(applyJs)}; import { createReadStream } from 'node:fs';`
    + ` await applyLayer(createReadStream(${JSON.stringify(tarFile)}), ${JSON.stringify(dir)}, { mode: 'overlay' });`;
  execFileSync('unshare', ['--user', '--map-root-user', process.execPath, '--input-type=module', '-e', script], { stdio: 'pipe' });
  assert.equal(readdirSync(join(dir, 'dev')), []);
  assert.is(lgetxattr(join(dir, 'data'), 'user.overlay.opaque')?.toString(), 'y');
  const wh = lstatSync(join(dir, 'etc', 'gone'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.is(lgetxattr(join(dir, 'f'), 'user.y')?.toString(), '2');
  assert.is(lstatSync(join(dir, 'f')).uid, process.getuid?.());
});

test('fuse-overlayfs over the applied lower dirs shows the layered view', async () => {
  const { l1, l2 } = await applyBoth();
  const d = overlayDirs(join(base, 'ovl'));
  await withFuseOverlay({ ...d, lower: `${l2}:${l1}` }, (m) => {
    assert.equal(readdirSync(join(m, 'etc')).sort(), ['kept']);
    assert.equal(readdirSync(join(m, 'data')).sort(), ['new']);
  });
});

test('kernel overlay with userxattr in a user namespace shows the layered view', async () => {
  const { l1, l2 } = await applyBoth();
  const d = overlayDirs(join(base, 'kovl'));
  const script = `mount -t overlay overlay -o lowerdir=${l2}:${l1},upperdir=${d.upper},workdir=${d.work},userxattr ${d.merged}`
    + ` && ls ${d.merged}/etc && echo -- && ls ${d.merged}/data`;
  const out = execFileSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { encoding: 'utf8' });
  assert.is(out.trim(), 'kept\n--\nnew');
});

test('rootless fuse-overlayfs upper dir diffs to OCI whiteouts', async () => {
  const { l1 } = await applyBoth();
  const d = overlayDirs(join(base, 'ovl'));
  await withFuseOverlay({ ...d, lower: l1 }, (m) => {
    unlinkSync(join(m, 'etc', 'gone'));
    rmSync(join(m, 'data'), { recursive: true });
    mkdirSync(join(m, 'data'));
    writeFileSync(join(m, 'data', 'fresh'), 'fresh');
  });
  const entries = await listTar(diffLayer(d.upper));
  assert.equal(entries.map((e) => e.header.name), ['data/', 'data/.wh..wh..opq', 'data/fresh', 'etc/', 'etc/.wh.gone']);
  assert.is(readFileSync(join(d.upper, 'data', 'fresh'), 'utf8'), 'fresh');
});

test.run();
