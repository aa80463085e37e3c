// `trowel bud --ssh` as an unprivileged user: trowel lives in the user's namespace, the
// ssh-agent it starts for a key file and the relay sockets with it; a RUN lists the key
// through the forwarded socket.
import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxContainer, tempStoreRoot, trowelSync } from '../test/support/trowel-cli.js';

const CLIENT_SOURCE = fileURLToPath(new URL('../../testdata/ssh-agent-client/agent-list.c', import.meta.url));
const root = tempStoreRoot('trowel-bud-ssh-rootless-');
const work = tempStoreRoot('trowel-bud-ssh-rootless-work-');

function must(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test.after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('a rootless build forwards a key file\'s agent to RUN and stops it afterwards', () => {
  const c = makeBusyboxContainer(root);
  const commit = trowelSync(root, ['commit', '-q', c.name, 'localhost/busybox']);
  assert.is(commit.status, 0, commit.stderr);
  const key = join(work, 'id');
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rootless@trowel-test', '-f', key]);
  const ctx = join(work, 'ctx');
  mkdirSync(ctx);
  must('gcc', ['-static', '-Os', '-o', join(ctx, 'agent-list'), CLIENT_SOURCE]);
  writeFileSync(join(ctx, 'Containerfile'), 'FROM localhost/busybox\nCOPY agent-list /agent-list\nRUN --mount=type=ssh,id=k /agent-list >&2\n');
  const r = trowelSync(root, ['bud', '--ssh', `k=${key}`, ctx], { SSH_AUTH_SOCK: '' });
  assert.is(r.status, 0, r.stderr);
  const listed = r.stderr.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  assert.is(listed?.split(' ').slice(0, 2).join(' '), readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' '), r.stderr);
  const agents = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('trowel-ssh-');
    } catch {
      return false;
    }
  });
  assert.equal(agents, [], 'the build agent is stopped');
});

test.run();
