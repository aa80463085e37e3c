// trowel run as an unprivileged user with sub-ids: trowel re-enters itself in the user's
// namespace; container root is the user.
import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { makeBusyboxContainer, tempStoreRoot, trowelSync } from '../test/support/trowel-cli.js';
import { registerRunCases } from './run-cases.js';
import { registerVfsCommitCases } from './vfs-commit-cases.js';

const root = tempStoreRoot('trowel-cli-run-rootless-');
const me = userInfo();
const subUid = readFileSync('/etc/subuid', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === me.username)!;
// Container root is the user; container uid N (N > 0) is the user's sub-uid N-1.
registerRunCases(root, new RegExp(`^\\s*0\\s+${me.uid}\\s+1$`), (id) => (id === 0 ? me.uid : Number(subUid[1]) + id - 1));
registerVfsCommitCases(root);

test('files made by uid 1000 in RUN belong to the matching sub-uid on disk', () => {
  const c = makeBusyboxContainer(root);
  const r = trowelSync(root, ['run', '--user', 'tester', c.name, '--', 'sh', '-c', 'echo x > /tmp/by-tester']);
  assert.is(r.status, 0, r.stderr);
  assert.is(lstatSync(join(c.upper, 'tmp/by-tester')).uid, Number(subUid[1]) + 999);
});

test('trowel unshare maps the user to root and the sub-range after it', () => {
  const r = trowelSync(root, ['unshare', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^0\n/);
  assert.match(r.stdout, new RegExp(`^\\s*0\\s+${me.uid}\\s+1$`, 'm'));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
