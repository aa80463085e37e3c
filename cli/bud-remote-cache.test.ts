/**
 * `bud --layers --cache-to/--cache-from` through a real registry: one store builds and pushes
 * each step under its cache key; a second store, with the same base pulled from the registry,
 * pulls those steps instead of running them and ends with the very same image. A changed step
 * is built again; `--cache-ttl 0` turns the cache off; bad repositories are one line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { writeTree } from '../test/support/files.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';

let builder: TrowelSandbox;
let work = '';
let reg: TestRegistry;
const other = new TrowelSandbox('trowel-remote-cache-other-');
const insecure = ['--tls-verify=false'];
let context = '';

function fileIn(t: TrowelSandbox, image: string, path: string): string {
  const c = t.ok(['from', image]);
  try {
    return t.ok(['run', c, '--', 'cat', path]);
  } finally {
    t.ok(['rm', c]);
  }
}

test.before(async () => {
  ({ t: builder, work } = setUpBuildTest('remote-cache'));
  reg = await startRegistry();
  builder.ok(['push', ...insecure, 'localhost/busybox:latest', `docker://${reg.host}/base/busybox:1`]);
  // The RUN writes something no second run would write again: a reused step is recognisable.
  context = writeTree(join(work, 'ctx'), {
    Containerfile: `FROM ${reg.host}/base/busybox:1\nRUN cat /proc/sys/kernel/random/uuid > /built-once\nCOPY app.txt /app.txt\nLABEL step=three\n`,
    'app.txt': 'app\n',
  });
});

test.after(async () => {
  other.cleanup();
  tearDownBuildTest({ t: builder, work });
  await reg?.stop();
});

test('steps pushed with --cache-to are pulled with --cache-from instead of being run', async () => {
  const first = await builder.runAsync(['bud', '--layers', ...insecure, '--cache-to', `${reg.host}/cache/app`, '-t', 'app', context]);
  assert.is(first.code, 0, first.stderr);
  assert.is((first.stdout.match(/--> Pushing cache /g) ?? []).length, 3, first.stdout);
  const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/cache/app`])) as { Tags: string[] };
  assert.is(tags.Tags.length, 3);
  assert.ok(tags.Tags.every((tag) => /^[0-9a-f]{64}$/.test(tag)), 'tags are cache keys');
  const builtId = builder.ok(['images', '-q', '--no-trunc', 'app']).replace(/^sha256:/, '');

  const second = await other.runAsync(['bud', '--layers', ...insecure, '--cache-from', `${reg.host}/cache/app`, '-t', 'app', context]);
  assert.is(second.code, 0, second.stderr);
  assert.is((second.stdout.match(/--> Cache pulled from remote /g) ?? []).length, 3, second.stdout);
  assert.is(other.ok(['images', '-q', '--no-trunc', 'app']).replace(/^sha256:/, ''), builtId, 'the same image, not a rebuild');
  assert.is(fileIn(other, 'app', '/built-once'), fileIn(builder, 'app', '/built-once'));
  assert.not.match(other.ok(['images', '--format', '{{.Name}}:{{.Tag}}']), /cache\/app/, 'cache images stay unnamed');

  // Now in the local cache: no registry needed.
  const third = await other.runAsync(['bud', '--layers', '-t', 'app', context]);
  assert.is((third.stdout.match(/--> Using cache /g) ?? []).length, 3, third.stdout);
});

test('a changed step is built, the steps before it still come from the cache; --cache-ttl 0 builds everything', async () => {
  const changed = writeTree(join(work, 'ctx-changed'), {
    Containerfile: `FROM ${reg.host}/base/busybox:1\nRUN cat /proc/sys/kernel/random/uuid > /built-once\nCOPY app.txt /app.txt\nLABEL step=changed\n`,
    'app.txt': 'app\n',
  });
  const fresh = new TrowelSandbox('trowel-remote-cache-fresh-');
  try {
    const r = await fresh.runAsync(['bud', '--layers', ...insecure, '--cache-from', `${reg.host}/cache/app`, '-t', 'changed', changed]);
    assert.is(r.code, 0, r.stderr);
    assert.is((r.stdout.match(/--> Cache pulled from remote /g) ?? []).length, 2, r.stdout);
    assert.is(fileIn(fresh, 'changed', '/built-once'), fileIn(builder, 'app', '/built-once'));
    const off = await fresh.runAsync(['bud', '--layers', ...insecure, '--cache-from', `${reg.host}/cache/app`, '--cache-ttl', '0', '-t', 'uncached', context]);
    assert.is(off.code, 0, off.stderr);
    assert.not.match(off.stdout, /Cache pulled|Using cache/);
    assert.is.not(fileIn(fresh, 'uncached', '/built-once'), fileIn(builder, 'app', '/built-once'), 'the RUN ran again');
  } finally {
    fresh.cleanup();
  }
});

test('bad cache repositories: a tag is one line before anything runs; an unreachable one is a warning', async () => {
  const tagged = builder.run(['bud', '--layers', '--cache-to', `${reg.host}/cache/app:v1`, context]);
  assert.is(tagged.code, 125);
  assert.is(tagged.stderr, `Error: parse --cache-to "${reg.host}/cache/app:v1": give a repository without a tag or digest (cache keys are its tags)\n`);
  // Steps this store has not built, so each is looked up in the (unreachable) repository.
  const unbuilt = writeTree(join(work, 'ctx-unbuilt'), { Containerfile: 'FROM busybox\nRUN echo unbuilt > /u\nLABEL u=1\n' });
  const gone = await builder.runAsync(['bud', '--layers', ...insecure, '--retry', '0', '--cache-from', '127.0.0.1:1/nowhere', '-t', 'still-built', unbuilt]);
  assert.is(gone.code, 0, gone.stderr);
  assert.is(gone.stdout.match(/Cache pulled/), null);
  const lines = gone.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 2, gone.stderr);
  assert.ok(lines.every((l) => /^WARN\[0000\] use --cache-from 127\.0\.0\.1:1\/nowhere: pull manifest 127\.0\.0\.1:1\/nowhere:[0-9a-f]{64}: cannot reach 127\.0\.0\.1:1/.test(l)), gone.stderr);
  assert.is(fileIn(builder, 'still-built', '/u'), 'unbuilt');
});

test.run();
