import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { unshareCommandLine } from './unshare.js';
import { TROWEL_BIN } from '../test/support/trowel-cli.js';

test('the command keeps its own flags; trowel flags before it are checked', () => {
  assert.equal(unshareCommandLine(['unshare', 'sh', '-c', 'echo hi']), ['sh', '-c', 'echo hi']);
  assert.equal(unshareCommandLine(['--root', '/x', 'unshare', '--', 'ls', '-l']), ['ls', '-l']);
  assert.equal(unshareCommandLine(['unshare']), []);
  assert.throws(() => unshareCommandLine(['unshare', '--bogus', 'sh']), /parse unshare flag --bogus: unknown flag/);
  assert.throws(() => unshareCommandLine(['unshare', '--mount', 'c', 'sh']), /not supported yet/);
});

test('as root: a new mount namespace, the exit status passed through', () => {
  const r = spawnSync(TROWEL_BIN, ['unshare', 'sh', '-c', 'readlink /proc/self/ns/mnt; exit 6'], { encoding: 'utf8' });
  assert.is(r.status, 6);
  assert.is.not(r.stdout.trim(), readlinkSync('/proc/self/ns/mnt'));
  assert.match(r.stdout, /^mnt:\[\d+\]\n$/);
});

test.run();
