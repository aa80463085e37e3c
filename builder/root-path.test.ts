import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from './root-path.js';

const root = mkdtempSync(join(tmpdir(), 'root-path-'));
mkdirSync(join(root, 'usr/bin'), { recursive: true });
symlinkSync('usr/bin', join(root, 'bin'));
symlinkSync('/etc', join(root, 'etclink'));
symlinkSync('../../../../../../etc', join(root, 'climb'));

test('relative symlink in the middle is followed inside the root', () => {
  assert.is(resolveInRoot(root, '/bin/sh'), join(root, 'usr/bin/sh'));
});

test('absolute symlink target restarts at the root, never the host', () => {
  assert.is(resolveInRoot(root, '/etclink/passwd'), join(root, 'etc/passwd'));
});

test('symlink climbing with .. is clamped at the root (chroot semantics)', () => {
  assert.is(resolveInRoot(root, '/climb/shadow'), join(root, 'etc/shadow'));
  assert.is(resolveInRoot(root, '/../../x'), join(root, 'x'));
});

test('last component is kept unless followLast', () => {
  assert.is(resolveInRoot(root, '/bin'), join(root, 'bin'));
  assert.is(resolveInRoot(root, '/bin', { followLast: true }), join(root, 'usr/bin'));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
