import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayerFormatError } from './errors.js';
import { BLOCK, decodePaxRecords, decodeRawHeader, encodeHeader, type TarHeader } from './tar-header.js';
import { cleanup, listTar, makeTar, tempDir } from './test-fixtures.js';

const header = (h: Partial<TarHeader> & { name: string }): TarHeader => ({
  type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0,
  xattrs: new Map(), ...h,
});

test('a plain short entry is a single ustar block with a valid checksum', () => {
  const buf = encodeHeader(header({ name: 'etc/passwd', uid: 1000, gid: 1000, mode: 0o4755, size: 12 }));
  assert.is(buf.length, BLOCK);
  const raw = decodeRawHeader(buf);
  assert.equal([raw.name, raw.typeflag, raw.mode, raw.uid, raw.gid, raw.size, raw.mtime], ['etc/passwd', '0', 0o4755, 1000, 1000, 12, 1_700_000_000]);
  assert.is(buf.toString('ascii', 257, 265), 'ustar\x0000');
  assert.is(buf.toString('ascii', 265, 297).replace(/\0+$/, ''), '', 'uname empty');
});

test('binary xattr values survive a PAX round trip byte for byte', async () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const tar = makeTar([{ name: 'f', content: 'x', xattrs: new Map([['security.capability', all], ['user.nl', Buffer.from('a\nb=c')]]) }]);
  const [e] = await listTar(tar);
  assert.equal(e!.header.xattrs.get('security.capability'), all);
  assert.equal(e!.header.xattrs.get('user.nl'), Buffer.from('a\nb=c'));
  assert.is(e!.content.toString(), 'x');
});

test('ids above the octal field limit go to PAX records and come back', async () => {
  const tar = makeTar([{ name: 'f', uid: 4_000_000_000, gid: 2_097_152, content: '' }, { name: 'g', uid: 2_097_151, gid: 262_144 }]);
  const [f, g] = await listTar(tar);
  assert.equal([f!.header.uid, f!.header.gid], [4_000_000_000, 2_097_152]);
  assert.equal([g!.header.uid, g!.header.gid], [2_097_151, 262_144]);
});

test('long, prefix-split and non-ASCII names and link targets round trip', async () => {
  const names = ['a'.repeat(100), `${'p'.repeat(150)}/${'n'.repeat(99)}`, `${'q'.repeat(300)}/x`, 'ünïcödé/名前', 'dir/'];
  const tar = makeTar([
    ...names.map((name) => ({ name, type: name.endsWith('/') ? 'directory' as const : 'file' as const })),
    { name: 'l', type: 'symlink', linkname: `../${'t'.repeat(200)}` },
  ]);
  const got = await listTar(tar);
  assert.equal(got.map((e) => e.header.name), [...names, 'l']);
  assert.is(got[5]!.header.linkname, `../${'t'.repeat(200)}`);
});

test('sizes beyond 8 GiB and pre-1970 times go to PAX records and come back', async () => {
  const big = 10 * 1024 ** 3;
  const buf = encodeHeader(header({ name: 'huge', size: big, mtime: -86400 }));
  const raw = decodeRawHeader(buf.subarray(0, BLOCK));
  assert.is(raw.typeflag, 'x');
  const records = decodePaxRecords(buf.subarray(BLOCK, BLOCK + raw.size));
  assert.is(records.get('size')?.toString(), String(big));
  assert.is(records.get('mtime')?.toString(), '-86400');
  // The reader applies them: feed the header and stop before the (absent) 10 GiB of content.
  const { readTar } = await import('./tar-reader.js');
  const it = readTar((async function* () { yield buf; })());
  const first = await it.next();
  assert.is(first.done, false);
  assert.is(first.value!.header.size, big);
  assert.is(first.value!.header.mtime, -86400);
});

test('encoding is deterministic and independent of xattr insertion order', () => {
  const a = encodeHeader(header({ name: 'f', xattrs: new Map([['user.b', Buffer.from('2')], ['user.a', Buffer.from('1')]]) }));
  const b = encodeHeader(header({ name: 'f', xattrs: new Map([['user.a', Buffer.from('1')], ['user.b', Buffer.from('2')]]) }));
  assert.ok(a.equals(b));
});

test('PAX record lengths are exact at digit boundaries', () => {
  for (let n = 80; n < 120; n++) {
    const value = Buffer.alloc(n, 0x61);
    const buf = encodeHeader(header({ name: 'f', xattrs: new Map([['user.k', value]]) }));
    const raw = decodeRawHeader(buf.subarray(0, BLOCK));
    const records = decodePaxRecords(buf.subarray(BLOCK, BLOCK + raw.size));
    assert.equal(records.get('SCHILY.xattr.user.k'), value);
  }
});

test('malformed PAX records and bad checksums are LayerFormatErrors', () => {
  assert.throws(() => decodePaxRecords(Buffer.from('99 path=x\n')), (e: unknown) => e instanceof LayerFormatError);
  assert.throws(() => decodePaxRecords(Buffer.from('abc path=x\n')), (e: unknown) => e instanceof LayerFormatError);
  const buf = encodeHeader(header({ name: 'f' }));
  buf[0] = 0x67;
  assert.throws(() => decodeRawHeader(buf), /checksum/);
});

test('GNU tar output (gnu and pax formats, long names, xattrs) is read correctly', async () => {
  const dir = tempDir();
  try {
    const src = join(dir, 'src');
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    mkdirSync(join(src, 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(src, long), 'long');
    writeFileSync(join(src, 'plain'), 'plain');
    for (const format of ['gnu', 'pax', 'ustar']) {
      if (format === 'ustar') continue; // ustar cannot hold the long name; tar refuses it
      const out = execFileSync('tar', ['-C', src, `--format=${format}`, '--owner=0', '--group=0', '-cf', '-', '.'], { maxBuffer: 1 << 24 });
      const entries = await listTar(out);
      const byName = new Map(entries.map((e) => [e.header.name, e]));
      assert.is(byName.get(`./${long}`)?.content.toString(), 'long', format);
      assert.is(byName.get('./plain')?.content.toString(), 'plain', format);
    }
  } finally {
    cleanup(dir);
  }
});

test('our tars pass GNU tar --compare of content, modes and owners', () => {
  const dir = tempDir();
  try {
    const tarFile = join(dir, 'x.tar');
    writeFileSync(tarFile, makeTar([
      { name: 'd/', type: 'directory', mode: 0o750 },
      { name: 'd/f', content: 'hello', mode: 0o640, uid: 300000, gid: 300000 },
    ]));
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-C', out, '--numeric-owner', '-xpf', tarFile]);
    execFileSync('tar', ['-C', out, '--numeric-owner', '--compare', '-f', tarFile]); // throws on any difference
  } finally {
    cleanup(dir);
  }
});

test.run();
