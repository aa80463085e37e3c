// trowel run as root, for kernel overlay and fuse-overlayfs.
import { test } from 'uvu';
import { rmSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { TROWEL_BIN, tempStoreRoot } from '../test/support/trowel-cli.js';
import { ensureUserWithoutSubIds } from '../test/support/rootless-user.js';
import { registerRunCases } from './run-cases.js';
import { registerVfsCommitCases } from './vfs-commit-cases.js';

const root = tempStoreRoot('trowel-cli-run-');
registerRunCases(root, /^\s*0\s+0\s+4294967295$/, (id) => id);
registerVfsCommitCases(root);
test('a user without sub-ids gets one line naming /etc/subuid', () => {
  const user = ensureUserWithoutSubIds();
  const r = spawnSync('runuser', ['-u', user.name, '--', TROWEL_BIN, 'run', 'anything', '--', 'true'], {
    encoding: 'utf8',
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${user.name}` },
  });
  assert.is(r.stderr, `Error: set up rootless user namespace: no subuid range for user ${user.name} in /etc/subuid (add a line such as ${user.name}:100000:65536)\n`);
  assert.is(r.status, 125);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
