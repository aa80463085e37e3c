import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test.run();
