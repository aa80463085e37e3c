import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyIntoRoot, CopySourceError } from './copy.js';

let base = '';
let context = '';
let root = '';

test.before.each(() => {
  base = mkdtempSync(join(tmpdir(), 'trowel-copy-'));
  context = join(base, 'context');
  root = join(base, 'root');
  mkdirSync(join(context, 'src/keep'), { recursive: true });
  mkdirSync(root);
  writeFileSync(join(context, 'src/a.txt'), 'a');
  writeFileSync(join(context, 'src/b.log'), 'b');
  writeFileSync(join(context, 'src/keep/c.log'), 'c');
  writeFileSync(join(base, 'secret'), 'outside');
});
test.after.each(() => rmSync(base, { recursive: true, force: true }));

const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

test('exclude leaves out ignored entries and keeps what an exception brings back', async () => {
  const exclude = (rel: string) => rel.endsWith('.log') && rel !== 'src/keep/c.log';
  await copyIntoRoot(root, { sources: ['src'], dest: '/app/', contextDir: context, confineToContext: true, exclude, owner });
  assert.ok(existsSync(join(root, 'app/a.txt')));
  assert.not.ok(existsSync(join(root, 'app/b.log')));
  assert.is(readFileSync(join(root, 'app/keep/c.log'), 'utf8'), 'c');
});

test('an excluded top-level source is reported, not copied', async () => {
  try {
    await copyIntoRoot(root, { sources: ['src/b.log'], dest: '/x', contextDir: context, confineToContext: true, exclude: (r) => r.endsWith('.log'), owner });
    assert.unreachable('copied an excluded file');
  } catch (e) {
    assert.instance(e, CopySourceError);
    assert.match((e as Error).message, /excluded/);
  }
  assert.not.ok(existsSync(join(root, 'x')));
});

test('symlink escape: a context link to a file outside the context is never followed out', async () => {
  symlinkSync('../secret', join(context, 'escape'));
  symlinkSync(join(base, 'secret'), join(context, 'escape-abs'));
  for (const source of ['escape', 'escape-abs']) {
    try {
      await copyIntoRoot(root, { sources: [source], dest: `/${source}`, contextDir: context, confineToContext: true, owner });
      assert.unreachable(`followed ${source} out of the context`);
    } catch (e) {
      assert.instance(e, CopySourceError);
    }
    assert.not.ok(existsSync(join(root, source)));
  }
});

test('symlink escape: a link inside a copied directory is copied as a link', async () => {
  symlinkSync('../../secret', join(context, 'src/out'));
  await copyIntoRoot(root, { sources: ['src'], dest: '/app/', contextDir: context, confineToContext: true, owner });
  assert.ok(lstatSync(join(root, 'app/out')).isSymbolicLink());
  assert.is(readlinkSync(join(root, 'app/out')), '../../secret');
});

test('a link that stays inside the context is followed to its file', async () => {
  symlinkSync('src/a.txt', join(context, 'inside'));
  await copyIntoRoot(root, { sources: ['inside'], dest: '/got', contextDir: context, confineToContext: true, owner });
  assert.ok(lstatSync(join(root, 'got')).isFile());
  assert.is(readFileSync(join(root, 'got'), 'utf8'), 'a');
});

test('a destination directory the copy creates gets the --chown owner; an existing one keeps its own', async () => {
  mkdirSync(join(root, 'existing'));
  await copyIntoRoot(root, { sources: ['src/a.txt'], dest: '/made/', contextDir: context, confineToContext: true, owner: { uid: 1234, gid: 4321 } });
  await copyIntoRoot(root, { sources: ['src/a.txt'], dest: '/existing/', contextDir: context, confineToContext: true, owner: { uid: 1234, gid: 4321 } });
  assert.is(lstatSync(join(root, 'made')).uid, 1234);
  assert.is(lstatSync(join(root, 'made')).gid, 4321);
  assert.is(lstatSync(join(root, 'made/a.txt')).uid, 1234);
  assert.is(lstatSync(join(root, 'existing')).uid, process.getuid?.() ?? 0);
});

test('--parents keeps each source\'s context path, globs included', async () => {
  await copyIntoRoot(root, { sources: ['src/*.txt', 'src/keep/c.log'], dest: '/p', contextDir: context, confineToContext: true, owner, parents: true });
  assert.is(readFileSync(join(root, 'p/src/a.txt'), 'utf8'), 'a');
  assert.is(readFileSync(join(root, 'p/src/keep/c.log'), 'utf8'), 'c');
  assert.not.ok(existsSync(join(root, 'p/a.txt')));
  assert.not.ok(existsSync(join(root, 'p/src/b.log')));
});

test('--parents keeps only what follows a /./ pivot; a directory source keeps its name', async () => {
  await copyIntoRoot(root, { sources: ['./src/./keep'], dest: '/q/', contextDir: context, confineToContext: true, owner, parents: true });
  assert.is(readFileSync(join(root, 'q/keep/c.log'), 'utf8'), 'c');
  assert.not.ok(existsSync(join(root, 'q/src')));
  await copyIntoRoot(root, { sources: ['/src/./*.txt'], dest: '/r/', contextDir: context, confineToContext: true, owner, parents: true });
  assert.is(readFileSync(join(root, 'r/a.txt'), 'utf8'), 'a');
});

test('--parents makes parent directories with the source directory\'s mode and the --chown owner', async () => {
  chmodSync(join(context, 'src/keep'), 0o750);
  await copyIntoRoot(root, { sources: ['src/keep/c.log'], dest: '/p/', contextDir: context, confineToContext: true, owner: { uid: 1234, gid: 4321 }, parents: true });
  assert.is(lstatSync(join(root, 'p/src/keep')).mode & 0o7777, 0o750);
  assert.is(lstatSync(join(root, 'p/src/keep')).uid, 1234);
  assert.is(lstatSync(join(root, 'p/src/keep/c.log')).gid, 4321);
});

test('ADD --parents unpacks an archive in its kept parent directory', async () => {
  mkdirSync(join(base, 'payload'));
  writeFileSync(join(base, 'payload/inside.txt'), 'in');
  const r = spawnSync('tar', ['-cf', join(context, 'src/keep/p.tar'), '-C', join(base, 'payload'), 'inside.txt']);
  assert.is(r.status, 0);
  await copyIntoRoot(root, { sources: ['src/keep/*.tar'], dest: '/a/', contextDir: context, confineToContext: true, owner, parents: true, extractArchives: true });
  assert.is(readFileSync(join(root, 'a/src/keep/inside.txt'), 'utf8'), 'in');
  assert.not.ok(existsSync(join(root, 'a/src/keep/p.tar')));
});

test('--parents honours the ignore file, and an exception inside an excluded directory', async () => {
  const exclude = (rel: string) => rel === 'src/keep' || (rel.startsWith('src/keep/') && rel !== 'src/keep/c.log') || rel.endsWith('.log') && rel !== 'src/keep/c.log';
  await copyIntoRoot(root, { sources: ['src/*'], dest: '/p/', contextDir: context, confineToContext: true, owner, parents: true, exclude, excludeHasExceptions: true });
  assert.ok(existsSync(join(root, 'p/src/a.txt')));
  assert.not.ok(existsSync(join(root, 'p/src/b.log')));
  assert.is(readFileSync(join(root, 'p/src/keep/c.log'), 'utf8'), 'c');
});

test('--parents reports a missing source and a glob matching nothing', async () => {
  for (const source of ['src/none.txt', 'src/*.none']) {
    try {
      await copyIntoRoot(root, { sources: [source], dest: '/p/', contextDir: context, confineToContext: true, owner, parents: true });
      assert.unreachable(`copied ${source}`);
    } catch (e) {
      assert.instance(e, CopySourceError);
      assert.match((e as Error).message, source);
    }
  }
});

test('symlink escape: --parents with ../ or a pivot behind a link never leaves the context', async () => {
  symlinkSync(base, join(context, 'up'));
  await copyIntoRoot(root, { sources: ['../secret', 'up/./secret'], dest: '/p/', contextDir: context, confineToContext: true, owner, parents: true }).catch((e) => {
    assert.instance(e, CopySourceError);
  });
  assert.not.ok(existsSync(join(root, 'p/secret')));
});

test('symlink escape: --parents does not follow an image symlink in a kept parent out of the root', async () => {
  const outside = join(base, 'host-dir');
  mkdirSync(outside);
  mkdirSync(join(root, 'p'));
  symlinkSync(outside, join(root, 'p/src'));
  await copyIntoRoot(root, { sources: ['src/a.txt'], dest: '/p/', contextDir: context, confineToContext: true, owner, parents: true });
  assert.not.ok(existsSync(join(outside, 'a.txt')));
  assert.is(readFileSync(join(root, outside.slice(1), 'a.txt'), 'utf8'), 'a');
});

test('symlink escape: a link planted at a file target in the root is replaced, not written through', async () => {
  mkdirSync(join(root, 'app'));
  symlinkSync(join(base, 'secret'), join(root, 'app/a.txt'));
  await copyIntoRoot(root, { sources: ['src'], dest: '/app/', contextDir: context, confineToContext: true, owner });
  assert.is(readFileSync(join(base, 'secret'), 'utf8'), 'outside');
  assert.ok(lstatSync(join(root, 'app/a.txt')).isFile());
  assert.is(readFileSync(join(root, 'app/a.txt'), 'utf8'), 'a');
});

test('a copied file replaces a directory at its target and keeps mode bits, times and content', async () => {
  mkdirSync(join(root, 'app/a.txt/inner'), { recursive: true });
  const big = Buffer.alloc(3 * (1 << 20) + 123, 7);
  writeFileSync(join(context, 'src/big.bin'), big);
  chmodSync(join(context, 'src/a.txt'), 0o4751);
  utimesSync(join(context, 'src/a.txt'), 1_000_000, 1_234_567);
  await copyIntoRoot(root, { sources: ['src'], dest: '/app/', contextDir: context, confineToContext: true, owner });
  const st = lstatSync(join(root, 'app/a.txt'));
  assert.ok(st.isFile());
  assert.is((st.mode & 0o7777).toString(8), '4751');
  assert.is(st.mtimeMs, 1_234_567_000);
  assert.ok(readFileSync(join(root, 'app/big.bin')).equals(big));
});

test('--chmod and --chown apply to copied files, setuid bits surviving the chown', async () => {
  if (process.getuid?.() !== 0) return;
  chmodSync(join(context, 'src/a.txt'), 0o644);
  await copyIntoRoot(root, { sources: ['src/a.txt'], dest: '/x/', contextDir: context, confineToContext: true, owner: { uid: 1234, gid: 5678 }, chmod: 0o6755 });
  const st = lstatSync(join(root, 'x/a.txt'));
  assert.equal([st.uid, st.gid, (st.mode & 0o7777).toString(8)], [1234, 5678, '6755']);
  await copyIntoRoot(root, { sources: ['src'], dest: '/y/', contextDir: context, confineToContext: true, owner: { uid: 1234, gid: 5678 }, chmod: 0o2750 });
  const inDir = lstatSync(join(root, 'y/b.log'));
  assert.equal([inDir.uid, inDir.gid, (inDir.mode & 0o7777).toString(8)], [1234, 5678, '2750']);
});

test.run();
