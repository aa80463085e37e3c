import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LayerApplyError, LayerPathError } from './errors.js';
import { entryComponents, resolveDir } from './safe-path.js';
import { cleanup, tempDir } from './test-fixtures.js';

let base = '';
let root = '';
test.before.each(() => { base = tempDir(); root = join(base, 'root'); mkdirSync(root); });
test.after.each(() => { cleanup(base); });

test('entry names are split, with "." and empty parts dropped', () => {
  assert.equal(entryComponents('./usr//bin/./sh'), ['usr', 'bin', 'sh']);
  assert.equal(entryComponents('dir/'), ['dir']);
  assert.equal(entryComponents('./'), []);
});

test('absolute names and ".." components are refused', () => {
  assert.throws(() => entryComponents('/etc/passwd'), (e: unknown) => e instanceof LayerPathError && /absolute/.test((e as Error).message));
  assert.throws(() => entryComponents('a/../../b'), (e: unknown) => e instanceof LayerPathError);
  assert.throws(() => entryComponents('..'), (e: unknown) => e instanceof LayerPathError);
  assert.equal(entryComponents('a..b/..c'), ['a..b', '..c'], 'dots inside names are fine');
});

test('missing directories are created inside the root', () => {
  assert.is(resolveDir(root, ['a', 'b'], 'a/b/f', true), join(root, 'a', 'b'));
  assert.ok(existsSync(join(root, 'a', 'b')));
  assert.throws(() => resolveDir(root, ['x'], 'x/f', false), (e: unknown) => e instanceof LayerApplyError);
});

test('relative symlinks inside the root are followed; absolute ones from the root', () => {
  mkdirSync(join(root, 'usr', 'lib'), { recursive: true });
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('/usr/lib', join(root, 'lib64'));
  symlinkSync('../lib', join(root, 'usr', 'up'));
  assert.is(resolveDir(root, ['lib'], 'lib/x', false), join(root, 'usr', 'lib'));
  assert.is(resolveDir(root, ['lib64'], 'lib64/x', false), join(root, 'usr', 'lib'));
  assert.is(resolveDir(root, ['usr', 'up'], 'usr/up/x', false), join(root, 'usr', 'lib'));
});

test('a symlink climbing out of the root is refused, however it gets there', () => {
  mkdirSync(join(root, 'd'));
  symlinkSync('../..', join(root, 'd', 'up'));
  symlinkSync('d/up', join(root, 'via'));
  assert.throws(() => resolveDir(root, ['d', 'up'], 'd/up/x', true), (e: unknown) => e instanceof LayerPathError);
  assert.throws(() => resolveDir(root, ['via'], 'via/x', true), (e: unknown) => e instanceof LayerPathError);
  assert.throws(() => resolveDir(root, ['d', 'up', 'root', 'x'], 'x', true), (e: unknown) => e instanceof LayerPathError);
});

test('a file where a directory is needed is an apply error naming the path', () => {
  writeFileSync(join(root, 'f'), 'x');
  assert.throws(() => resolveDir(root, ['f', 'g'], 'f/g/h', true), (e: unknown) => e instanceof LayerApplyError && /f is not a directory/.test((e as Error).message));
});

test.run();
