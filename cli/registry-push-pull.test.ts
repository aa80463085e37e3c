import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrowelSandbox, type RunResult } from '../test/support/trowel.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';

const test = suite('push and pull through a real registry (docker-registry), skopeo as oracle');
const t = new TrowelSandbox();
let reg: TestRegistry;

/** Runs trowel without blocking the event loop (the token server may live in this process). */
function trowel(args: string[]): Promise<RunResult> {
  return t.runAsync(args);
}

test.before(async () => {
  reg = await startRegistry();
  const c = t.ok(['from', 'scratch']);
  const mnt = t.ok(['mount', c]);
  mkdirSync(join(mnt, 'etc'));
  writeFileSync(join(mnt, 'etc/greeting'), 'hello registry\n');
  t.ok(['umount', c]);
  t.ok(['config', '--cmd', '/bin/true', '--label', 'stage=push', c]);
  t.ok(['commit', '-q', '--rm', c, 'localhost/pushme']);
});

test.after(async () => {
  await reg?.stop();
  t.cleanup();
});

test('push to docker:// then skopeo inspects what landed', async () => {
  const r = await trowel(['push', '--tls-verify=false', '--digestfile', join(t.root, 'digest'), 'localhost/pushme', `docker://${reg.host}/team/pushme:v1`]);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/team/pushme:v1`]));
  assert.equal(info.Labels, { stage: 'push' });
  assert.is(readFileSync(join(t.root, 'digest'), 'utf8'), info.Digest);
});

test('a second push uploads no blob', async () => {
  const r = await trowel(['push', '--tls-verify=false', 'localhost/pushme', `docker://${reg.host}/team/pushme:v1`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped: already exists/);
  assert.not.match(r.stderr, /Copying blob sha256:[0-9a-f]+\n/);
});

test('pull from the registry into an empty store gives the same image', async () => {
  const other = new TrowelSandbox();
  try {
    const r = other.run(['pull', '-q', '--tls-verify=false', `${reg.host}/team/pushme:v1`]);
    assert.is(r.code, 0, r.stderr);
    const want = t.ok(['images', '-q', '--no-trunc', 'localhost/pushme']);
    assert.is(`sha256:${r.stdout.trim()}`, want);
    assert.match(other.ok(['images']), new RegExp(`${reg.host.replace(/[.]/g, '\\.')}/team/pushme\\s+v1`));
    const c = other.ok(['from', `${reg.host}/team/pushme:v1`]);
    const mnt = other.ok(['mount', c]);
    assert.is(readFileSync(join(mnt, 'etc/greeting'), 'utf8'), 'hello registry\n');
    other.ok(['umount', c]);
  } finally {
    other.cleanup();
  }
});

test('pulling an unknown tag fails with one line naming registry and repository', async () => {
  const r = await trowel(['pull', '-q', '--tls-verify=false', `${reg.host}/team/pushme:nope`]);
  assert.is(r.code, 125);
  assert.match(r.stderr.trim(), new RegExp(`^Error: .*${reg.host.replace(/[.]/g, '\\.')}.*team/pushme`));
  assert.is(r.stderr.trim().split('\n').length, 1);
});

test.run();
