import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptParentModes, pivotSource } from './parent-sources.js';

test('a /./ pivot splits the kept part from its base', () => {
  assert.equal(pivotSource('./x/./y/*.txt'), { base: 'x', pattern: 'y/*.txt' });
  assert.equal(pivotSource('/app/./bin/tool'), { base: 'app', pattern: 'bin/tool' });
  assert.equal(pivotSource('/./etc'), { base: '', pattern: 'etc' });
});

test('without a pivot the whole normalized source is kept', () => {
  assert.equal(pivotSource('./src/a.txt'), { base: '', pattern: 'src/a.txt' });
  assert.equal(pivotSource('/abs//dir/'), { base: '', pattern: 'abs/dir' });
  assert.equal(pivotSource('.'), { base: '', pattern: '' });
});

test('path traversal: .. cannot climb above the source root in either part', () => {
  assert.equal(pivotSource('../../etc/passwd'), { base: '', pattern: 'etc/passwd' });
  assert.equal(pivotSource('a/../../b/./../../c'), { base: 'b', pattern: 'c' });
});

test('keptParentModes lists the directories a --parents copy recreates, with their modes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trowel-parents-'));
  try {
    mkdirSync(join(dir, 'x/y'), { recursive: true });
    writeFileSync(join(dir, 'x/y/a.txt'), 'a');
    chmodSync(join(dir, 'x/y'), 0o700);
    const before = keptParentModes(dir, ['x/y/*.txt']);
    assert.equal(before.map((l) => l.split(' ')[0]), ['x', 'x/y']);
    assert.equal(keptParentModes(dir, ['x/./y/*.txt']).map((l) => l.split(' ')[0]), ['x/y']);
    chmodSync(join(dir, 'x/y'), 0o755);
    assert.not.equal(keptParentModes(dir, ['x/y/*.txt']), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keptParentModes never reads outside the root: a symlink to /etc names root/etc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trowel-parents-'));
  try {
    // The context links to the host's /etc; the copy would read root/etc, so must the cache key.
    symlinkSync('/etc', join(dir, 'hostetc'));
    mkdirSync(join(dir, 'etc/sub'), { recursive: true, mode: 0o711 });
    chmodSync(join(dir, 'etc/sub'), 0o711);
    writeFileSync(join(dir, 'etc/sub/f'), 'f');
    assert.equal(keptParentModes(dir, ['hostetc/sub/f']), [`hostetc ${lstatSync(join(dir, 'etc')).mode}`, `hostetc/sub ${lstatSync(join(dir, 'etc/sub')).mode}`]);
    // The host's /etc/ssl exists, the root's does not: nothing is listed for it.
    assert.equal(keptParentModes(dir, ['hostetc/./ssl/*']), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
