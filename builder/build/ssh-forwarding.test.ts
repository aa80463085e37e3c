import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../oci/error.js';
import { parseSshSpec, SshAgentError, SshForwarding } from './ssh-forwarding.js';

let dir = '';
let key = '';

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trowel-ssh-unit-'));
  key = join(dir, 'id');
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'unit', '-f', key]);
  assert.is(r.status, 0);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Sends SSH2_AGENTC_REQUEST_IDENTITIES to a socket; resolves with the number of identities. */
function countIdentities(socket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let buf = Buffer.alloc(0);
    c.on('error', reject);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        c.destroy();
        if (buf[4] !== 12) reject(new Error(`answer type ${buf[4]}`));
        else resolve(buf.readUInt32BE(5));
      }
    });
    c.write(Buffer.from([0, 0, 0, 1, 11]));
  });
}

test('parseSshSpec: default takes $SSH_AUTH_SOCK; ID=PATH,PATH lists paths; bad values are refused', () => {
  assert.equal(parseSshSpec('default', { SSH_AUTH_SOCK: key }), { id: 'default', paths: [key] });
  assert.equal(parseSshSpec(`deploy=${key},${key}.pub`, {}), { id: 'deploy', paths: [key, `${key}.pub`] });
  for (const [value, why] of [['default', /SSH_AUTH_SOCK is not set/], [`x=${dir}/none`, /no such file or socket/], ['a b', /want default\|ID/]] as const) {
    try {
      parseSshSpec(value, {});
      assert.unreachable(value);
    } catch (e) {
      assert.instance(e, InvalidArgumentError);
      assert.match((e as Error).message, why);
    }
  }
});

test('a key file gets a build agent; each mount socket relays to it with its own mode; stop ends it all', async () => {
  const ssh = new SshForwarding({ k: [key] });
  let path = '';
  try {
    const s = await ssh.socketFor('k', { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o640 });
    path = s.path;
    assert.is(statSync(path).mode & 0o777, 0o640);
    assert.is(await countIdentities(path), 1);
    await s.close();
    assert.not.ok(existsSync(path), 'a closed mount socket is removed');
  } finally {
    await ssh.stop();
  }
  assert.not.ok(existsSync(join(path, '..')), 'the private socket directory is removed');
});

test('a socket given as the id\'s path is relayed as it is', async () => {
  const outer = new SshForwarding({ k: [key] });
  try {
    const agent = await outer.socketFor('k', { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o600 });
    const inner = new SshForwarding({ fwd: [agent.path] });
    try {
      const s = await inner.socketFor('fwd', { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o600 });
      assert.is.not(s.path, agent.path);
      assert.is(await countIdentities(s.path), 1);
    } finally {
      await inner.stop();
    }
  } finally {
    await outer.stop();
  }
});

test('a key with a passphrase fails at once instead of asking for it', async () => {
  const locked = join(dir, 'locked');
  assert.is(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', locked]).status, 0);
  const ssh = new SshForwarding({ k: [locked] });
  const started = Date.now();
  try {
    await ssh.socketFor('k', { uid: 0, gid: 0, mode: 0o600 });
    assert.unreachable('added a locked key without its passphrase');
  } catch (e) {
    assert.instance(e, SshAgentError);
    assert.match((e as Error).message, /^add ssh key .*locked for --ssh k: the key has a passphrase/);
  } finally {
    await ssh.stop();
  }
  assert.ok(Date.now() - started < 10_000);
});

test('a file that is no key fails as SshAgentError naming it', async () => {
  const bogus = join(dir, 'bogus');
  writeFileSync(bogus, 'not a key\n', { mode: 0o600 });
  const ssh = new SshForwarding({ k: [bogus] });
  try {
    await ssh.socketFor('k', { uid: 0, gid: 0, mode: 0o600 });
    assert.unreachable('added a bogus key');
  } catch (e) {
    assert.instance(e, SshAgentError);
    assert.match((e as Error).message, /^add ssh key .*bogus for --ssh k: /);
  } finally {
    await ssh.stop();
  }
});

test.run();
