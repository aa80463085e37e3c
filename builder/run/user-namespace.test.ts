import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mappingsFor, readSubIdRanges, rootlessUserNamespace, SubIdError, unshareCommand, IdMapToolMissingError } from './user-namespace.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-subid-'));
const user = { name: 'alice', uid: 1500, gid: 1600 };

function files(subuid: string, subgid: string) {
  const subuidFile = join(dir, `subuid-${Math.random()}`);
  const subgidFile = join(dir, `subgid-${Math.random()}`);
  writeFileSync(subuidFile, subuid);
  writeFileSync(subgidFile, subgid);
  return { subuidFile, subgidFile, user };
}

test('ranges match the user by name or uid, in file order, skipping comments', () => {
  const f = join(dir, 'ranges');
  writeFileSync(f, '# comment\nbob:100000:65536\nalice:200000:1000\n1500:300000:70000\nalice:bad:1\n');
  assert.equal(readSubIdRanges(f, user), [{ start: 200000, count: 1000 }, { start: 300000, count: 70000 }]);
  assert.equal(readSubIdRanges(join(dir, 'missing'), user), []);
});

test('container root is the user, 1..N the ranges back to back', () => {
  assert.equal(mappingsFor(1500, [{ start: 200000, count: 1000 }, { start: 300000, count: 70000 }]), [
    { containerId: 0, hostId: 1500, size: 1 },
    { containerId: 1, hostId: 200000, size: 1000 },
    { containerId: 1001, hostId: 300000, size: 70000 },
  ]);
});

test('a user missing from /etc/subuid gets a message naming the file', () => {
  const f = files('bob:100000:65536\n', 'alice:100000:65536\n');
  try {
    rootlessUserNamespace(f);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SubIdError);
    assert.match((e as Error).message, `no subuid range for user alice in ${f.subuidFile}`);
  }
});

test('too few sub-gids names the subgid file and the counts', () => {
  const f = files('alice:100000:65536\n', 'alice:100000:500\n');
  assert.throws(() => rootlessUserNamespace(f), (e: Error) => e instanceof SubIdError && e.message.includes(`has 500 subgids in ${f.subgidFile}, at least 65536`));
});

test('newuidmap missing is reported', () => {
  const f = files('alice:100000:65536\n', 'alice:100000:65536\n');
  const empty = mkdtempSync(join(dir, 'path-'));
  assert.throws(() => rootlessUserNamespace({ ...f, env: { PATH: empty }, searchStandardDirs: false }), (e: Error) => e instanceof IdMapToolMissingError && /newuidmap not found/.test(e.message));
});

test('the namespace maps the user and its ranges with the set-uid tools', () => {
  const ns = rootlessUserNamespace(files('alice:100000:65536\n', 'alice:200000:65536\n'));
  assert.equal(ns.uidMappings, [{ containerId: 0, hostId: 1500, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }]);
  assert.equal(ns.gidMappings, [{ containerId: 0, hostId: 1600, size: 1 }, { containerId: 1, hostId: 200000, size: 65536 }]);
});

test('unshare as root runs the command in a new mount namespace with its exit code', async () => {
  const out = join(dir, 'unshare-out');
  const code = await unshareCommand(['sh', '-c', `readlink /proc/self/ns/mnt > ${out}; exit 5`]);
  assert.is(code, 5);
  assert.is.not(readFileSync(out, 'utf8').trim(), readlinkSync('/proc/self/ns/mnt'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
