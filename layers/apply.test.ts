import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import {
  chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync,
  unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FileType, lgetxattr, lsetxattr, mknod } from '../native/index.js';
import { sha256 } from '../oci/digest.js';
import { applyLayer } from './apply.js';
import { CompressionError } from './compression.js';
import { diffLayer } from './diff.js';
import { LayerApplyError, LayerFormatError, LayerPathError } from './errors.js';
import {
  cleanup, collect, isRoot, makeTar, overlayDirs, snapshotTree, tempDir, withKernelOverlay, type FixtureEntry,
} from './test-fixtures.js';
import { writeLayer } from './write.js';

let base = '';
let root = '';
test.before.each(() => {
  base = tempDir();
  root = join(base, 'root');
  mkdirSync(root);
});
test.after.each(() => { cleanup(base); });

const apply = (tar: Buffer, mode: 'overlay' | 'flatten' | 'plain' = 'flatten', dir = root) => applyLayer(Readable.from([tar]), dir, { mode });

/** Applies a crafted layer expecting LayerPathError; returns its message. */
async function rejects(entries: FixtureEntry[], errorClass: Function = LayerPathError): Promise<string> {
  try {
    await apply(makeTar(entries));
  } catch (err) {
    assert.instance(err, errorClass, String(err));
    return (err as Error).message;
  }
  assert.unreachable('apply must fail');
  return '';
}

/** The directory beside `root`; attacks aim here. It must stay as the test left it. */
const outside = () => join(base, 'outside');

function buildRichTree(dir: string): void {
  mkdirSync(join(dir, 'usr', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'usr', 'bin', 'tool'), 'tool body');
  lsetxattr(join(dir, 'usr', 'bin', 'tool'), 'user.bin', Buffer.from([0, 0xff, 0x80, 0x7f]));
  linkSync(join(dir, 'usr', 'bin', 'tool'), join(dir, 'usr', 'bin', 'tool2'));
  symlinkSync('bin/tool', join(dir, 'usr', 'tool-link'));
  symlinkSync('/usr/bin', join(dir, 'bin'));
  writeFileSync(join(dir, 'suid'), '#!', { mode: 0o755 });
  execFileSync('chmod', ['4755', join(dir, 'suid')]);
  mknod(join(dir, 'fifo'), FileType.S_IFIFO | 0o644);
  mkdirSync(join(dir, 'locked'), { mode: 0o500 });
  execFileSync('chmod', ['0500', join(dir, 'locked')]);
  writeFileSync(join(dir, 'long-' + 'x'.repeat(150)), 'long name');
  if (isRoot) {
    mknod(join(dir, 'null'), FileType.S_IFCHR | 0o666, 1, 3);
    chownSync(join(dir, 'usr', 'bin', 'tool'), 1000, 300000);
    lsetxattr(join(dir, 'suid'), 'security.capability', Buffer.from('0100000200040000000000000000000000000000', 'hex'));
  }
  for (const p of ['usr/bin/tool', 'suid', 'fifo', 'usr', 'usr/bin', 'locked']) utimesSync(join(dir, p), 1_234_567, 1_234_567);
  execFileSync('touch', ['-h', '-d', '@1234567', join(dir, 'usr', 'tool-link')]);
}

test('round trip: diff -> gzip -> apply (flatten) gives the same tree, and the same diffID', async () => {
  const src = join(base, 'src');
  mkdirSync(src);
  buildRichTree(src);
  const blob: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => blob.push(c));
  const info = await writeLayer(diffLayer(src), sink);
  const applied = await applyLayer(Readable.from([Buffer.concat(blob)]), root, { mode: 'flatten' });
  assert.is(applied.compression, 'gzip');
  assert.is(applied.diffID, info.diffID);
  assert.is(applied.uncompressedSize, info.uncompressedSize);
  assert.equal(snapshotTree(root, { dirTimes: true }), snapshotTree(src, { dirTimes: true }));
});

test('a "./" entry sets the root dir\'s mode and times; a non-dir "./" entry is ignored', async () => {
  await apply(makeTar([{ name: './', type: 'directory', mode: 0o751, mtime: 12345 }, { name: './a', content: 'x' }]));
  const st = lstatSync(root);
  assert.is(st.mode & 0o7777, 0o751);
  assert.is(Math.floor(st.mtimeMs / 1000), 12345);
  await apply(makeTar([{ name: '.', type: 'symlink', linkname: '/' }]));
  assert.ok(lstatSync(root).isDirectory());
});

test('zstd and plain layers are detected by their magic', async () => {
  writeFileSync(join(base, 'f'), 'content');
  const tar = makeTar([{ name: 'a/', type: 'directory' }, { name: 'a/f', content: 'zstd content' }]);
  const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
  const r1 = await applyLayer(Readable.from([zst]), root, { mode: 'flatten' });
  assert.is(r1.compression, 'zstd');
  assert.is(r1.diffID, sha256(tar));
  assert.is(readFileSync(join(root, 'a', 'f'), 'utf8'), 'zstd content');
  const r2 = await apply(tar);
  assert.is(r2.compression, 'none');
  assert.is(r2.diffID, sha256(tar));
});

test('flatten: whiteouts delete, opaque dirs keep only what this layer put there', async () => {
  await apply(makeTar([
    { name: 'etc/', type: 'directory' }, { name: 'etc/gone', content: 'x' }, { name: 'etc/kept', content: 'x' },
    { name: 'data/', type: 'directory' }, { name: 'data/old/', type: 'directory' }, { name: 'data/old/f', content: 'x' },
    { name: 'data/sib', content: 'x' }, { name: 'tree/', type: 'directory' }, { name: 'tree/deep/', type: 'directory' },
    { name: 'tree/deep/f', content: 'x' },
  ]));
  await apply(makeTar([
    { name: 'etc/.wh.gone' },
    { name: 'tree/.wh.deep' },
    // The new entry comes before the marker (sorted order of some writers): it must survive.
    { name: 'data/', type: 'directory' }, { name: 'data/a-new', content: 'new' }, { name: 'data/old/', type: 'directory' },
    { name: 'data/.wh..wh..opq' },
  ]));
  assert.equal(readdirSync(join(root, 'etc')), ['kept']);
  assert.equal(readdirSync(join(root, 'tree')), []);
  assert.equal(readdirSync(join(root, 'data')).sort(), ['a-new', 'old']);
  assert.equal(readdirSync(join(root, 'data', 'old')), [], 'lower content of a re-listed dir is hidden too');
});

test('flatten: an opaque marker keeps dirs this layer made implicitly as parents', async () => {
  await apply(makeTar([{ name: 'data/', type: 'directory' }, { name: 'data/old', content: 'x' }, { name: 'data/sub/', type: 'directory' }, { name: 'data/sub/lower', content: 'x' }]));
  await apply(makeTar([{ name: 'data/sub/deep/file', content: 'new' }, { name: 'data/.wh..wh..opq' }]));
  assert.equal(readdirSync(join(root, 'data')), ['sub']);
  assert.equal(readdirSync(join(root, 'data', 'sub')), ['deep']);
  assert.is(readFileSync(join(root, 'data', 'sub', 'deep', 'file'), 'utf8'), 'new');
});

test('plain mode (ADD of an archive): whiteout names are ordinary files', async () => {
  await apply(makeTar([{ name: 'keep', content: 'k' }, { name: '.wh.keep', content: 'w' }, { name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }]), 'plain');
  assert.equal(readdirSync(root).sort(), ['.wh.keep', 'd', 'keep']);
  assert.equal(readdirSync(join(root, 'd')), ['.wh..wh..opq']);
});

test('overlay mode: whiteouts become char 0:0 devices and opaque dirs get the xattr', async () => {
  if (!isRoot) return;
  await applyLayer(Readable.from([makeTar([
    { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.gone' }, { name: 'data/', type: 'directory' },
    { name: 'data/.wh..wh..opq' }, { name: 'data/new', content: 'n' },
  ])]), root, { mode: 'overlay' });
  const wh = lstatSync(join(root, 'etc', 'gone'));
  assert.ok(wh.isCharacterDevice());
  assert.is(wh.rdev, 0);
  assert.is(lgetxattr(join(root, 'data'), 'trusted.overlay.opaque')?.toString(), 'y');
  const user = join(base, 'user');
  mkdirSync(user);
  await applyLayer(Readable.from([makeTar([{ name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }])]), user, { mode: 'overlay', userxattr: true });
  assert.is(lgetxattr(join(user, 'd'), 'user.overlay.opaque')?.toString(), 'y');
});

test('overlay mode: a dir re-created after its whiteout in the same layer is opaque', async () => {
  if (!isRoot) return;
  await apply(makeTar([{ name: '.wh.x' }, { name: 'x/', type: 'directory' }, { name: 'x/new', content: 'n' }]), 'overlay');
  assert.ok(lstatSync(join(root, 'x')).isDirectory());
  assert.is(lgetxattr(join(root, 'x'), 'trusted.overlay.opaque')?.toString(), 'y');
});

test('overlay round trip: upper dir -> layer -> lower dir mounted under kernel overlay shows the same tree', async () => {
  if (!isRoot) return;
  // Layer 1, applied in overlay mode from a tar, is the lower dir.
  const l1 = join(base, 'l1');
  const l2 = join(base, 'l2');
  mkdirSync(l1);
  mkdirSync(l2);
  await applyLayer(Readable.from([makeTar([
    { name: 'etc/', type: 'directory' }, { name: 'etc/gone', content: 'x' }, { name: 'etc/kept', content: 'kept' },
    { name: 'data/', type: 'directory' }, { name: 'data/old', content: 'old' },
  ])]), l1, { mode: 'overlay' });
  const d = overlayDirs(join(base, 'ovl'));
  let expected: Record<string, string> = {};
  const ovlOpts = (lower: string, upper: string) => ({ ...d, lower, upper });
  await withKernelOverlay(ovlOpts(l1, d.upper), (m) => {
    unlinkSync(join(m, 'etc', 'gone'));
    rmSync(join(m, 'data'), { recursive: true });
    mkdirSync(join(m, 'data'));
    writeFileSync(join(m, 'data', 'new'), 'new');
    writeFileSync(join(m, 'etc', 'kept'), 'changed');
    expected = snapshotTree(m);
  });
  const tar = await collect(diffLayer(d.upper));
  await applyLayer(Readable.from([tar]), l2, { mode: 'overlay' });
  mkdirSync(join(base, 'check', 'merged'), { recursive: true });
  const { mount, umount2 } = await import('../native/index.js');
  const merged = join(base, 'check', 'merged');
  mount('overlay', merged, 'overlay', 1 /* MS_RDONLY */, `lowerdir=${l2}:${l1}`);
  try {
    assert.equal(snapshotTree(merged), expected);
  } finally {
    umount2(merged, 0);
  }
});

test('idMap maps container owners to host ids', async () => {
  if (!isRoot) return;
  await applyLayer(Readable.from([makeTar([{ name: 'f', uid: 0, gid: 33, content: 'x' }])]), root, {
    mode: 'flatten',
    idMap: { uids: [{ containerID: 0, hostID: 200000, size: 65536 }], gids: [{ containerID: 0, hostID: 300000, size: 65536 }] },
  });
  const st = lstatSync(join(root, 'f'));
  assert.equal([st.uid, st.gid], [200000, 300033]);
});

test('an owner outside the id map is refused naming the entry', async () => {
  if (!isRoot) return;
  try {
    await applyLayer(Readable.from([makeTar([{ name: 'f', uid: 70000, content: 'x' }])]), root, {
      mode: 'flatten', idMap: { uids: [{ containerID: 0, hostID: 200000, size: 65536 }], gids: [] },
    });
    assert.unreachable('must fail');
  } catch (err) {
    assert.instance(err, LayerApplyError);
    assert.match((err as Error).message, /entry "f": map uid 70000/);
  }
});

// ---- attacks: each must fail (or stay inside the root) and leave nothing outside ----

test('attack: zip-slip "../" entry is rejected', async () => {
  mkdirSync(outside());
  const msg = await rejects([{ name: '../outside/evil', content: 'pwned' }]);
  assert.match(msg, /entry "..\/outside\/evil": ".." component/);
  assert.equal(readdirSync(outside()), []);
  const msg2 = await rejects([{ name: 'a/../../outside/evil', content: 'pwned' }]);
  assert.match(msg2, /\.\./);
  assert.equal(readdirSync(outside()), []);
});

test('attack: absolute path entry is rejected', async () => {
  mkdirSync(outside());
  const msg = await rejects([{ name: `${outside()}/evil`, content: 'pwned' }]);
  assert.match(msg, /absolute path/);
  assert.equal(readdirSync(outside()), []);
});

test('attack: symlink-then-write through a relative symlink leaving the root is rejected', async () => {
  mkdirSync(outside());
  const msg = await rejects([
    { name: 'evil', type: 'symlink', linkname: '../outside' },
    { name: 'evil/pwned', content: 'pwned' },
  ]);
  assert.match(msg, /entry "evil\/pwned": a symlink in its path leaves the root/);
  assert.equal(readdirSync(outside()), []);
});

test('attack: symlink-then-write through an absolute symlink stays inside the root', async () => {
  mkdirSync(outside());
  await apply(makeTar([
    { name: 'evil', type: 'symlink', linkname: outside() },
    { name: 'evil/pwned', content: 'contained' },
  ]));
  assert.equal(readdirSync(outside()), []);
  assert.is(readFileSync(join(root, outside(), 'pwned'), 'utf8'), 'contained');
});

test('attack: symlink chain (a -> b -> ../..) is rejected', async () => {
  mkdirSync(outside());
  await rejects([
    { name: 'b', type: 'symlink', linkname: 'c/../..' },
    { name: 'c/', type: 'directory' },
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'a/outside/pwned', content: 'pwned' },
  ]);
  assert.equal(readdirSync(outside()), []);
});

test('attack: symlink parent swap (dir replaced by an escaping symlink, then written through) is rejected', async () => {
  mkdirSync(outside());
  const msg = await rejects([
    { name: 'a/', type: 'directory' },
    { name: 'a/x', content: 'fine' },
    { name: 'a', type: 'symlink', linkname: '../outside' },
    { name: 'a/y', content: 'pwned' },
  ]);
  assert.match(msg, /entry "a\/y"/);
  assert.equal(readdirSync(outside()), []);
});

test('attack: a file entry over an existing symlink replaces the link, never writes through it', async () => {
  writeFileSync(outside(), 'original');
  await apply(makeTar([
    { name: 'f', type: 'symlink', linkname: '../outside' },
    { name: 'f', content: 'replaced' },
  ]));
  assert.is(readFileSync(outside(), 'utf8'), 'original');
  assert.ok(lstatSync(join(root, 'f')).isFile());
  assert.is(readFileSync(join(root, 'f'), 'utf8'), 'replaced');
});

test('attack: hardlink to /etc/shadow is rejected', async () => {
  const msg = await rejects([{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]);
  assert.match(msg, /entry "shadow": absolute path/);
  await rejects([{ name: 'shadow', type: 'link', linkname: '../../../../../../etc/shadow' }]);
  assert.not.ok(existsSync(join(root, 'shadow')));
});

test('attack: hardlink through an escaping symlink is rejected', async () => {
  mkdirSync(outside());
  writeFileSync(join(outside(), 'secret'), 'secret');
  await rejects([
    { name: 'up', type: 'symlink', linkname: '../outside' },
    { name: 'stolen', type: 'link', linkname: 'up/secret' },
  ]);
  assert.not.ok(existsSync(join(root, 'stolen')));
  assert.is(lstatSync(join(outside(), 'secret')).nlink, 1);
});

test('attack: hardlink to a symlink links the symlink itself, not its target', async () => {
  writeFileSync(outside(), 'secret');
  await apply(makeTar([
    { name: 's', type: 'symlink', linkname: '../outside' },
    { name: 'h', type: 'link', linkname: 's' },
  ]));
  assert.ok(lstatSync(join(root, 'h')).isSymbolicLink());
  assert.is(lstatSync(outside()).nlink, 1);
});

test('attack: whiteout through an escaping symlink deletes nothing outside', async () => {
  mkdirSync(outside());
  writeFileSync(join(outside(), 'victim'), 'x');
  await rejects([
    { name: 'up', type: 'symlink', linkname: '../outside' },
    { name: 'up/.wh.victim' },
  ]);
  await rejects([{ name: '.wh..' }]);
  assert.ok(existsSync(join(outside(), 'victim')));
});

test('attack: opaque marker through an escaping symlink clears nothing outside', async () => {
  mkdirSync(outside());
  writeFileSync(join(outside(), 'victim'), 'x');
  await rejects([
    { name: 'up', type: 'symlink', linkname: '../outside' },
    { name: 'up/.wh..wh..opq' },
  ]);
  assert.ok(existsSync(join(outside(), 'victim')));
});

test('attack: forged overlay xattrs in a layer are not written', async () => {
  if (!isRoot) return;
  await apply(makeTar([{
    name: 'd/', type: 'directory',
    xattrs: new Map([['trusted.overlay.opaque', Buffer.from('y')], ['trusted.overlay.redirect', Buffer.from('/x')], ['user.ok', Buffer.from('1')]]),
  }]), 'overlay');
  assert.is(lgetxattr(join(root, 'd'), 'trusted.overlay.opaque'), null);
  assert.is(lgetxattr(join(root, 'd'), 'trusted.overlay.redirect'), null);
  assert.is(lgetxattr(join(root, 'd'), 'user.ok')?.toString(), '1');
});

test('attack: a symlink loop is rejected, not followed forever', async () => {
  const msg = await rejects([
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'b', type: 'symlink', linkname: 'a' },
    { name: 'a/x', content: 'x' },
  ]);
  assert.match(msg, /too many levels/);
});

test('a full disk fails with LayerApplyError naming the entry and ENOSPC', async () => {
  if (!isRoot) return;
  const small = join(base, 'small');
  mkdirSync(small);
  const { mount, umount2 } = await import('../native/index.js');
  mount('tmpfs', small, 'tmpfs', 0, 'size=256k');
  try {
    const tar = makeTar([{ name: 'ok', content: 'fits' }, { name: 'big/', type: 'directory' }, { name: 'big/blob', content: Buffer.alloc(1 << 20, 7) }]);
    const err = await applyLayer(Readable.from([tar]), small, { mode: 'flatten' }).then(() => undefined, (e: Error) => e);
    assert.instance(err, LayerApplyError);
    assert.match(err!.message, /^apply layer: entry "big\/blob": ENOSPC: /);
  } finally {
    umount2(small, 0);
  }
});

test('every shared malicious layer fixture is refused with LayerPathError', async () => {
  const { maliciousLayers } = await import('./test-fixtures.js');
  for (const [name, { tar, target }] of Object.entries(maliciousLayers())) {
    const dir = join(base, name, 'a', 'b');
    mkdirSync(dir, { recursive: true });
    const err = await applyLayer(Readable.from([tar]), dir, { mode: 'flatten' }).then(() => undefined, (e: Error) => e);
    assert.instance(err, LayerPathError, name);
    assert.not.ok(existsSync(target.startsWith('/') ? target : join(dir, target)), `${name}: ${target} was written`);
  }
});

// ---- malformed input ----

test('a truncated layer fails with LayerFormatError naming the entry', async () => {
  const tar = makeTar([{ name: 'big', content: Buffer.alloc(5000, 1) }]);
  const msg = await apply(tar.subarray(0, 2048)).then(() => '', (e: Error) => (assert.instance(e, LayerFormatError), e.message));
  assert.match(msg, /unexpected end of data in content of big/);
});

test('garbage and corrupted gzip fail with one clear error', async () => {
  const msg = await apply(Buffer.alloc(1024, 0x41)).then(() => '', (e: Error) => (assert.instance(e, LayerFormatError), e.message));
  assert.match(msg, /checksum/);
  const gz = gzipSync(makeTar([{ name: 'f', content: 'x'.repeat(1000) }]));
  gz[gz.length - 6] = gz[gz.length - 6]! ^ 0xff; // break the CRC/length trailer
  const msg2 = await apply(gz).then(() => '', (e: Error) => (assert.instance(e, LayerFormatError), e.message));
  assert.match(msg2, /^read layer: gzip data: /);
});

test('corrupted zstd fails with one clear CompressionError line', async () => {
  const zst = execFileSync('zstd', ['-q', '-c'], { input: makeTar([{ name: 'f', content: 'y'.repeat(5000) }]) });
  zst[zst.length - 3] = zst[zst.length - 3]! ^ 0xff;
  const err = await apply(zst).then(() => undefined, (e: Error) => e);
  assert.instance(err, CompressionError);
  assert.match(err!.message, /^zstd decompress: /);
  assert.not.match(err!.message, /\n/);
});

test('readlink of applied symlinks keeps their exact target', async () => {
  await apply(makeTar([{ name: 'l', type: 'symlink', linkname: '../../some/where' }]));
  assert.is(readlinkSync(join(root, 'l')), '../../some/where');
});

test.run();
