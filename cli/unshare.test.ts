import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unshareCommandLine } from './unshare.js';
import { TROWEL_BIN } from '../test/support/trowel-cli.js';

test('the command keeps its own flags; trowel flags before it are checked', () => {
  assert.equal(unshareCommandLine(['unshare', 'sh', '-c', 'echo hi']), { mounts: [], command: ['sh', '-c', 'echo hi'], globalFlags: [] });
  assert.equal(unshareCommandLine(['--root', '/x', 'unshare', '--', 'ls', '-l']), { mounts: [], command: ['ls', '-l'], globalFlags: ['--root', '/x'] });
  assert.equal(unshareCommandLine(['unshare']).command, []);
  assert.throws(() => unshareCommandLine(['unshare', '--bogus', 'sh']), /parse unshare flag --bogus: unknown flag/);
  assert.equal(unshareCommandLine(['unshare', '--mount', 'c1', '-m', 'ROOT=c2', '--mount=c3', 'sh']).mounts, [
    { variable: 'c1', container: 'c1' }, { variable: 'ROOT', container: 'c2' }, { variable: 'c3', container: 'c3' },
  ]);
  assert.throws(() => unshareCommandLine(['unshare', '--mount']), /missing \[NAME=\]CONTAINER/);
  assert.throws(() => unshareCommandLine(['unshare', '--mount', 'X=', 'sh']), /want \[NAME=\]CONTAINER/);
});

test('--mount: the containers are mounted for the command, their paths in its environment, and unmounted after', () => {
  const root = mkdtempSync(join(tmpdir(), 'trowel-unshare-mount-'));
  try {
    const env = { ...process.env, TROWEL_ROOT: root };
    const c = spawnSync(TROWEL_BIN, ['from', '--name', 'wc', 'scratch'], { encoding: 'utf8', env }).stdout.trim();
    const r = spawnSync(TROWEL_BIN, ['unshare', '--mount', 'DEST=wc', '--mount', c, 'sh', '-c', 'echo made > "$DEST/file"; printenv wc; exit 4'], { encoding: 'utf8', env });
    assert.is(r.status, 4, r.stderr);
    assert.match(r.stdout, /\/merged\n$/);
    const check = spawnSync(TROWEL_BIN, ['unshare', '-m', 'R=wc', 'sh', '-c', 'cat "$R/file"'], { encoding: 'utf8', env });
    assert.is(check.stdout, 'made\n', check.stderr);
    assert.match(spawnSync(TROWEL_BIN, ['containers', '--format', '{{.ContainerName}}'], { encoding: 'utf8', env }).stdout, /^wc\n$/);
    assert.is(spawnSync(TROWEL_BIN, ['mount'], { encoding: 'utf8', env }).stdout, '', 'nothing is left mounted');
    const missing = spawnSync(TROWEL_BIN, ['unshare', '--mount', 'nosuch', 'true'], { encoding: 'utf8', env });
    assert.is(missing.status, 125);
    assert.match(missing.stderr, /nosuch/);
  } finally {
    spawnSync(TROWEL_BIN, ['rm', '--all'], { env: { ...process.env, TROWEL_ROOT: root } });
    rmSync(root, { recursive: true, force: true });
  }
});

test('as root: a new mount namespace, the exit status passed through', () => {
  const r = spawnSync(TROWEL_BIN, ['unshare', 'sh', '-c', 'readlink /proc/self/ns/mnt; exit 6'], { encoding: 'utf8' });
  assert.is(r.status, 6);
  assert.is.not(r.stdout.trim(), readlinkSync('/proc/self/ns/mnt'));
  assert.match(r.stdout, /^mnt:\[\d+\]\n$/);
});

test.run();
