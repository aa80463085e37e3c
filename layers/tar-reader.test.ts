import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { LayerFormatError } from './errors.js';
import { BLOCK, encodeHeader, END_OF_ARCHIVE } from './tar-header.js';
import { readTar } from './tar-reader.js';
import { listTar, makeTar } from './test-fixtures.js';

/** A raw header block with any typeflag and name (for GNU and odd types). */
function rawBlock(name: string, typeflag: string, size: number): Buffer {
  const b = encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() });
  b.write(typeflag, 156, 1, 'ascii');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}
const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

test('GNU long name and long link records apply to the next entry only', async () => {
  const longName = `${'n'.repeat(200)}/file`;
  const longLink = `${'t'.repeat(150)}`;
  const nameData = Buffer.from(`${longName}\0`);
  const linkData = Buffer.from(`${longLink}\0`);
  const tar = Buffer.concat([
    rawBlock('././@LongLink', 'L', nameData.length), nameData, pad(nameData.length),
    rawBlock('././@LongLink', 'K', linkData.length), linkData, pad(linkData.length),
    encodeHeader({ name: 'short', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: 'x', devmajor: 0, devminor: 0, xattrs: new Map() }),
    makeTar([{ name: 'next', content: 'n' }]),
  ]);
  const got = await listTar(tar);
  assert.equal(got.map((e) => [e.header.name, e.header.linkname]), [[longName, longLink], ['next', '']]);
});

test('unread bodies are skipped; trailing data after the end marker is consumed', async () => {
  const tar = Buffer.concat([makeTar([{ name: 'a', content: 'x'.repeat(1000) }, { name: 'b', content: 'y' }]), Buffer.alloc(4096)]);
  const names: string[] = [];
  let consumed = 0;
  const source = (async function* () { for (let i = 0; i < tar.length; i += 100) { consumed += Math.min(100, tar.length - i); yield tar.subarray(i, i + 100); } })();
  for await (const { header } of readTar(source)) names.push(header.name);
  assert.equal(names, ['a', 'b']);
  assert.is(consumed, tar.length);
});

test('a tar without end marker ends cleanly at a header boundary', async () => {
  const tar = makeTar([{ name: 'a', content: 'x' }]);
  const got = await listTar(tar.subarray(0, tar.length - END_OF_ARCHIVE.length));
  assert.equal(got.map((e) => e.header.name), ['a']);
});

test('unsupported entry types are refused naming the entry', async () => {
  const tar = Buffer.concat([rawBlock('sparse', 'S', 0), END_OF_ARCHIVE]);
  try {
    await listTar(Readable.from([tar]));
    assert.unreachable('must fail');
  } catch (err) {
    assert.instance(err, LayerFormatError);
    assert.match((err as Error).message, /entry "sparse": unsupported tar entry type "S"/);
  }
});

test('a PAX header larger than 1 MiB is refused', async () => {
  const tar = Buffer.concat([rawBlock('PaxHeader', 'x', 2 << 20), Buffer.alloc(2 << 20), END_OF_ARCHIVE]);
  await listTar(tar).then(() => assert.unreachable('must fail'), (e: Error) => assert.match(e.message, /too large/));
});

test.run();
