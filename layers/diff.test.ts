import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import {
  chownSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { FileType, lsetxattr, mknod } from '../native/index.js';
import { diffLayer } from './diff.js';
import { LayerDiffError } from './errors.js';
import {
  cleanup, collect, isRoot, listTar, overlayDirs, tempDir, withFuseOverlay, withKernelOverlay, type ListedEntry,
} from './test-fixtures.js';

let base = '';
test.before.each(() => { base = tempDir(); });
test.after.each(() => { cleanup(base); });

const names = (entries: ListedEntry[]) => entries.map((e) => e.header.name);
const byName = (entries: ListedEntry[], name: string) => {
  const e = entries.find((x) => x.header.name === name);
  if (!e) throw new Error(`no entry ${name} in ${names(entries).join(' ')}`);
  return e;
};

/** A lower dir with a file to delete, a dir to replace, and a file to modify. */
function populateLower(lower: string): void {
  mkdirSync(join(lower, 'etc'));
  writeFileSync(join(lower, 'etc', 'gone'), 'deleted in upper');
  writeFileSync(join(lower, 'etc', 'kept'), 'kept');
  mkdirSync(join(lower, 'data', 'old'), { recursive: true });
  writeFileSync(join(lower, 'data', 'old', 'file'), 'hidden by opaque dir');
  writeFileSync(join(lower, 'data', 'sibling'), 'hidden too');
}

test('kernel overlay upper: whiteouts, opaque dirs, hardlinks, symlinks, devices, fifos, xattrs, big ids', async () => {
  if (!isRoot) return;
  const d = overlayDirs(base);
  populateLower(d.lower);
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x04, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  await withKernelOverlay(d, (m) => {
    unlinkSync(join(m, 'etc', 'gone'));
    rmSync(join(m, 'data'), { recursive: true });
    mkdirSync(join(m, 'data'));
    writeFileSync(join(m, 'data', 'new'), 'fresh');
    mkdirSync(join(m, 'bin'));
    writeFileSync(join(m, 'bin', 'tool'), 'binary');
    lsetxattr(join(m, 'bin', 'tool'), 'security.capability', cap);
    lsetxattr(join(m, 'bin', 'tool'), 'user.note', Buffer.from([0x00, 0xfe, 0x0a]));
    linkSync(join(m, 'bin', 'tool'), join(m, 'bin', 'z-alias'));
    symlinkSync('tool', join(m, 'bin', 'link'));
    mknod(join(m, 'bin', 'null'), FileType.S_IFCHR | 0o666, 1, 3);
    mknod(join(m, 'bin', 'pipe'), FileType.S_IFIFO | 0o600);
    writeFileSync(join(m, 'big-owner'), 'x');
    chownSync(join(m, 'big-owner'), 300000, 4000000);
  });
  const entries = await listTar(diffLayer(d.upper, { timestamp: 1_000_000 }));
  assert.equal(names(entries), [
    'big-owner', 'bin/', 'bin/link', 'bin/null', 'bin/pipe', 'bin/tool', 'bin/z-alias',
    'data/', 'data/.wh..wh..opq', 'data/new', 'etc/', 'etc/.wh.gone',
  ]);
  const tool = byName(entries, 'bin/tool');
  assert.is(tool.header.type, 'file');
  assert.is(tool.content.toString(), 'binary');
  assert.equal(tool.header.xattrs.get('security.capability'), cap);
  assert.equal(tool.header.xattrs.get('user.note'), Buffer.from([0x00, 0xfe, 0x0a]));
  assert.is(byName(entries, 'bin/z-alias').header.type, 'link');
  assert.is(byName(entries, 'bin/z-alias').header.linkname, 'bin/tool');
  assert.is(byName(entries, 'bin/link').header.linkname, 'tool');
  assert.equal([byName(entries, 'bin/null').header.type, byName(entries, 'bin/null').header.devmajor, byName(entries, 'bin/null').header.devminor], ['char', 1, 3]);
  assert.is(byName(entries, 'bin/pipe').header.type, 'fifo');
  assert.equal([byName(entries, 'big-owner').header.uid, byName(entries, 'big-owner').header.gid], [300000, 4000000]);
  assert.is(byName(entries, 'etc/.wh.gone').header.type, 'file');
  assert.is(byName(entries, 'etc/.wh.gone').header.size, 0);
  for (const e of entries) {
    assert.ok(e.header.mtime <= 1_000_000, `${e.header.name} mtime clamped`);
    for (const key of e.header.xattrs.keys()) assert.not.match(key, /overlay/);
  }
});

test('GNU tar reads the layer: names, numeric owners above 262143, hardlinks, devices', async () => {
  if (!isRoot) return;
  const d = overlayDirs(base);
  await withKernelOverlay(d, (m) => {
    writeFileSync(join(m, 'f'), 'x');
    chownSync(join(m, 'f'), 300000, 300001);
    linkSync(join(m, 'f'), join(m, 'g'));
    mknod(join(m, 'zero'), FileType.S_IFCHR | 0o666, 1, 5);
    const long = 'd'.repeat(90);
    mkdirSync(join(m, long, long), { recursive: true });
    writeFileSync(join(m, long, long, 'ünïcödé-' + 'n'.repeat(120)), 'deep');
  });
  const tarPath = join(base, 'layer.tar');
  writeFileSync(tarPath, await collect(diffLayer(d.upper)));
  const listing = execFileSync('tar', ['--numeric-owner', '-tvf', tarPath], { encoding: 'utf8' }).trim().split('\n');
  assert.match(listing.find((l) => / f$/.test(l)) ?? '', /300000\/300001/);
  assert.match(listing.find((l) => / g link to f$/.test(l)) ?? '', /^hrw/);
  assert.match(listing.find((l) => / zero$/.test(l)) ?? '', /^crw\S* 0\/0\s+1,5 /);
  assert.ok(listing.some((l) => l.endsWith(`/ünïcödé-${'n'.repeat(120)}`)), listing.join('\n'));
});

test('same content and timestamp give the same bytes, whenever it was written', async () => {
  const a = join(base, 'a');
  const b = join(base, 'b');
  for (const [dir, when] of [[a, 1_500_000_000], [b, 1_600_000_000]] as const) {
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(join(dir, 'x', 'y', 'f'), 'same');
    writeFileSync(join(dir, 'x', 'g'), 'same too');
    symlinkSync('y/f', join(dir, 'x', 'l'));
    for (const p of ['x/y/f', 'x/g', 'x/y', 'x']) utimesSync(join(dir, p), when, when);
  }
  const [ta, tb] = [await collect(diffLayer(a, { timestamp: 1_000 })), await collect(diffLayer(b, { timestamp: 1_000 }))];
  assert.ok(ta.equals(tb));
  const [ua, ub] = [await collect(diffLayer(a)), await collect(diffLayer(b))];
  assert.not.ok(ua.equals(ub), 'without a timestamp the mtimes show through');
});

test('timestampMode "set" gives every entry the timestamp; "clamp" keeps older mtimes', async () => {
  writeFileSync(join(base, 'old'), 'x');
  utimesSync(join(base, 'old'), 500, 500);
  writeFileSync(join(base, 'new'), 'x');
  const mtimes = async (mode: 'set' | 'clamp') =>
    (await listTar(diffLayer(base, { timestamp: 1000, timestampMode: mode }))).map((e) => [e.header.name, e.header.mtime]);
  assert.equal(await mtimes('clamp'), [['new', 1000], ['old', 500]]);
  assert.equal(await mtimes('set'), [['new', 1000], ['old', 1000]]);
});

test('idMap maps host ids of a rootless upper dir to container ids', async () => {
  if (!isRoot) return;
  writeFileSync(join(base, 'f'), 'x');
  chownSync(join(base, 'f'), 100000 + 33, 100000 + 34);
  writeFileSync(join(base, 'outsider'), 'x');
  chownSync(join(base, 'outsider'), 5, 5);
  const entries = await listTar(diffLayer(base, {
    idMap: { uids: [{ containerID: 0, hostID: 100000, size: 65536 }], gids: [{ containerID: 0, hostID: 100000, size: 65536 }] },
  }));
  assert.equal([byName(entries, 'f').header.uid, byName(entries, 'f').header.gid], [33, 34]);
  assert.equal([byName(entries, 'outsider').header.uid, byName(entries, 'outsider').header.gid], [65534, 65534]);
});

test('fuse-overlayfs upper: whiteouts and opaque dirs come out in OCI form', async () => {
  const d = overlayDirs(base);
  populateLower(d.lower);
  await withFuseOverlay(d, (m) => {
    unlinkSync(join(m, 'etc', 'gone'));
    rmSync(join(m, 'data'), { recursive: true });
    mkdirSync(join(m, 'data'));
    writeFileSync(join(m, 'data', 'new'), 'fresh');
  });
  const entries = await listTar(diffLayer(d.upper));
  assert.equal(names(entries), ['data/', 'data/.wh..wh..opq', 'data/new', 'etc/', 'etc/.wh.gone']);
  // And the upper dir really was in fuse-overlayfs's own format (marker file and/or devices).
  assert.ok(readdirSync(join(d.upper, 'data')).some((n) => n.startsWith('.wh.')), readdirSync(join(d.upper, 'data')).join(' '));
});

test('fuse-overlayfs without mknod: .wh. files pass through, a .wh..wh..opq file marks its dir once, first', async () => {
  mkdirSync(join(base, 'd'));
  writeFileSync(join(base, 'd', 'a-file'), 'x');
  writeFileSync(join(base, 'd', '.wh..wh..opq'), '');
  writeFileSync(join(base, '.wh.gone'), '');
  const entries = await listTar(diffLayer(base));
  assert.equal(names(entries), ['.wh.gone', 'd/', 'd/.wh..wh..opq', 'd/a-file']);
});

test('an upper dir with an overlay redirect is refused with LayerDiffError', async () => {
  if (!isRoot) return;
  mkdirSync(join(base, 'moved'));
  lsetxattr(join(base, 'moved'), 'trusted.overlay.redirect', 'old');
  try {
    await collect(diffLayer(base));
    assert.unreachable('diff must fail');
  } catch (err) {
    assert.instance(err, LayerDiffError);
    assert.match((err as Error).message, /moved: overlay trusted.overlay.redirect is set/);
  }
});

test('a missing upper dir fails with LayerDiffError naming it', async () => {
  try {
    await collect(diffLayer(join(base, 'nope')));
    assert.unreachable('diff must fail');
  } catch (err) {
    assert.instance(err, LayerDiffError);
    assert.match((err as Error).message, /^diff layer: .*nope: ENOENT/);
  }
});

test('excluded paths and everything below them are left out', async () => {
  mkdirSync(join(base, 'run', 'secrets'), { recursive: true });
  writeFileSync(join(base, 'run', 'secrets', 'token'), 'secret');
  writeFileSync(join(base, 'run', 'kept'), 'x');
  writeFileSync(join(base, 'mountpoint'), '');
  const tar = await collect(diffLayer(base, { exclude: new Set(['run/secrets', 'mountpoint']) }));
  assert.equal(names(await listTar(tar)), ['run/', 'run/kept']);
  assert.is(tar.indexOf('secret'), -1);
});

test('mode bits including setuid survive', async () => {
  writeFileSync(join(base, 'su'), 'x', { mode: 0o4755 });
  execFileSync('chmod', ['4755', join(base, 'su')]);
  const entries = await listTar(diffLayer(base));
  assert.is(byName(entries, 'su').header.mode, lstatSync(join(base, 'su')).mode & 0o7777);
  assert.is(byName(entries, 'su').header.mode, 0o4755);
});

test.run();
