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

test('pull --all-tags pulls every tag of the repository; with a tag it is refused', async () => {
  for (const tag of ['a1', 'a2']) {
    const r = await trowel(['push', '-q', '--tls-verify=false', 'localhost/pushme', `docker://${reg.host}/team/tags:${tag}`]);
    assert.is(r.code, 0, r.stderr);
  }
  const other = new TrowelSandbox();
  try {
    const r = await other.runAsync(['pull', '-q', '--all-tags', '--tls-verify=false', `${reg.host}/team/tags`]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim().split('\n').length, 2, 'one image id per tag');
    const names = other.ok(['images', '--format', '{{.Name}}:{{.Tag}}']).split('\n').sort();
    assert.equal(names, [`${reg.host}/team/tags:a1`, `${reg.host}/team/tags:a2`]);
    const tagged = await other.runAsync(['pull', '--all-tags', '--tls-verify=false', `${reg.host}/team/tags:a1`]);
    assert.is(tagged.code, 125);
    assert.match(tagged.stderr, /without a tag/);
  } finally {
    other.cleanup();
  }
});

test('push --rm of a manifest list removes the list once pushed, and only then', async () => {
  t.ok(['manifest', 'create', 'localhost/rm-list']);
  t.ok(['manifest', 'add', 'localhost/rm-list', 'localhost/pushme']);
  const failed = await trowel(['push', '--rm', '--tls-verify=false', 'localhost/rm-list', 'docker://127.0.0.1:1/x/y:1']);
  assert.is.not(failed.code, 0);
  assert.is(t.run(['manifest', 'exists', 'localhost/rm-list']).code, 0, 'a failed push keeps the list');
  const r = await trowel(['push', '--rm', '--all', '--tls-verify=false', 'localhost/rm-list', `docker://${reg.host}/team/list:1`]);
  assert.is(r.code, 0, r.stderr);
  const index = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/list:1`]));
  assert.is(index.manifests.length, 1);
  assert.is.not(t.run(['manifest', 'exists', 'localhost/rm-list']).code, 0, 'the list is gone locally');
  assert.ok(t.ok(['images', '-q']).length > 0, 'the image in it stays');
});

test.run();
