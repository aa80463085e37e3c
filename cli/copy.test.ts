import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder } from '../test/support/trowel.js';

const test = suite('copy/add --from a container or an image, and http(s) sources');
const t = new TrowelSandbox();
let server: Server;
let base: string;
let source: string;

/** The content of a file in a container, read through `trowel mount`. */
function readIn(container: string, path: string): string {
  const root = t.ok(['mount', container]);
  try {
    return readFileSync(join(root, path), 'utf8');
  } finally {
    t.ok(['umount', container]);
  }
}

function containerCount(): number {
  return t.ok(['containers', '-q']).split('\n').filter(Boolean).length;
}

test.before(async () => {
  // A source container: a file, a directory, and an absolute symlink that must resolve inside it.
  source = t.ok(['from', '--name', 'src', 'scratch']);
  const host = join(t.root, 'host');
  mkdirSync(join(host, 'data'), { recursive: true });
  writeFileSync(join(host, 'data', 'file'), 'from the container\n');
  writeFileSync(join(host, 'data', 'other'), 'second\n');
  t.ok(['copy', source, join(host, 'data'), '/data']);
  const root = t.ok(['mount', source]);
  symlinkSync('/data/file', join(root, 'link'));
  t.ok(['umount', source]);
  server = createServer((req, res) => {
    if (req.url === '/files/payload.txt') res.writeHead(200, { 'last-modified': 'Wed, 01 Jan 2020 00:00:00 GMT' }).end('downloaded\n');
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(() => {
  server?.close();
  t.cleanup();
});

test('copy --from a container reads its root: absolute and relative paths', () => {
  const c = t.ok(['from', 'scratch']);
  t.ok(['copy', '--from', 'src', c, '/data/file', '/got-absolute']);
  t.ok(['copy', '--from', source, c, 'data/other', '/got-relative']);
  assert.is(readIn(c, 'got-absolute'), 'from the container\n');
  assert.is(readIn(c, 'got-relative'), 'second\n');
  assert.equal(mountsUnder(t.root), [], 'the source container is unmounted again');
});

test('an absolute symlink in the --from root resolves inside that root, never on the host', () => {
  // The host has no /data/file; with the link followed on the host the copy would fail or leak.
  const c = t.ok(['from', 'scratch']);
  t.ok(['copy', '--from', 'src', c, '/link', '/via-link']);
  assert.is(readIn(c, 'via-link'), 'from the container\n');
  const escape = t.run(['copy', '--from', 'src', c, '../../../../etc/hostname', '/escaped']);
  assert.is.not(escape.code, 0, 'a source path climbing out of the --from root is refused');
  assert.is(escape.stderr.trim().split('\n').length, 1, escape.stderr);
});

test('copy --from an image uses a temporary container and leaves none behind', () => {
  t.ok(['commit', '-q', source, 'localhost/copy-src']);
  const before = containerCount();
  const c = t.ok(['from', 'scratch']);
  t.ok(['copy', '--from', 'localhost/copy-src', c, '/data', '/from-image']);
  assert.is(readIn(c, 'from-image/file'), 'from the container\n');
  assert.is(containerCount(), before + 1, 'only the destination container was added');
  assert.equal(mountsUnder(t.root), []);
});

test('copy --from an unknown container or image is one clear line', () => {
  const c = t.ok(['from', 'scratch']);
  const r = t.run(['copy', '--from', 'nosuch-thing', c, '/x', '/y']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /nosuch-thing/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('--ignorefile leaves out matching host sources, patterns relative to --contextdir; it needs --contextdir', () => {
  const ctx = join(t.root, 'ctx');
  mkdirSync(join(ctx, 'src', 'logs'), { recursive: true });
  writeFileSync(join(ctx, 'src', 'keep.txt'), 'keep\n');
  writeFileSync(join(ctx, 'src', 'drop.tmp'), 'drop\n');
  writeFileSync(join(ctx, 'src', 'logs', 'a.log'), 'log\n');
  writeFileSync(join(ctx, 'src', 'logs', 'important.log'), 'important\n');
  const ignore = join(t.root, 'copy.ignore');
  writeFileSync(ignore, '**/*.tmp\nsrc/logs\n!src/logs/important.log\n');
  const c = t.ok(['from', 'scratch']);
  t.ok(['copy', '--contextdir', ctx, '--ignorefile', ignore, c, 'src', '/app']);
  const root = t.ok(['mount', c]);
  try {
    assert.is(readFileSync(join(root, 'app', 'keep.txt'), 'utf8'), 'keep\n');
    assert.is(lstatSync(join(root, 'app', 'drop.tmp'), { throwIfNoEntry: false }), undefined);
    assert.is(lstatSync(join(root, 'app', 'logs', 'a.log'), { throwIfNoEntry: false }), undefined);
    assert.is(readFileSync(join(root, 'app', 'logs', 'important.log'), 'utf8'), 'important\n');
  } finally {
    t.ok(['umount', c]);
  }
  const alone = t.run(['copy', '--ignorefile', ignore, c, join(ctx, 'src'), '/again']);
  assert.is(alone.code, 125);
  assert.match(alone.stderr, /--contextdir/);
  assert.is(alone.stderr.trim().split('\n').length, 1, alone.stderr);
});

/** Runs trowel without blocking this process, whose web server must answer meanwhile. */
async function okAsync(args: string[]): Promise<void> {
  const r = await t.runAsync(args);
  assert.is(r.code, 0, r.stderr);
}

test('add and copy of an http URL download the file as it is: mode 0600, mtime from Last-Modified', async () => {
  const c = t.ok(['from', 'scratch']);
  await okAsync(['add', c, `${base}/files/payload.txt`, '/dl/']);
  await okAsync(['copy', c, `${base}/files/payload.txt`, join(t.root, 'host', 'data', 'file'), '/both']);
  const root = t.ok(['mount', c]);
  try {
    assert.is(readFileSync(join(root, 'dl', 'payload.txt'), 'utf8'), 'downloaded\n');
    const st = lstatSync(join(root, 'dl', 'payload.txt'));
    assert.is(st.mode & 0o7777, 0o600);
    assert.is(st.mtimeMs, Date.UTC(2020, 0, 1));
    assert.is(readFileSync(join(root, 'both', 'payload.txt'), 'utf8'), 'downloaded\n');
    assert.is(readFileSync(join(root, 'both', 'file'), 'utf8'), 'from the container\n');
  } finally {
    t.ok(['umount', c]);
  }
});

test('a URL that answers 404 fails with one line naming it, and nothing is copied', async () => {
  const c = t.ok(['from', 'scratch']);
  const r = await t.runAsync(['add', c, `${base}/files/missing.txt`, '/dl/']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /missing\.txt/);
  assert.match(r.stderr, /404/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  const root = t.ok(['mount', c]);
  try {
    assert.is(lstatSync(join(root, 'dl'), { throwIfNoEntry: false }), undefined);
  } finally {
    t.ok(['umount', c]);
  }
});

test.run();
