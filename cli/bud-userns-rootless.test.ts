// `trowel bud --userns=container` as an unprivileged user: the maps name ids of the rootless
// namespace (0 is the user, 1… its sub-ids); RUN steps run in a namespace nested in it.
import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxContainer, tempStoreRoot, trowelSync } from '../test/support/trowel-cli.js';

const root = tempStoreRoot('trowel-bud-userns-rootless-');

// Re-owned layer copies belong to sub-ids: only the user's namespace may remove them.
test.after(() => {
  trowelSync(root, ['unshare', 'rm', '-rf', root]);
  rmSync(root, { recursive: true, force: true });
});

/** `uid:gid path` of every entry of the image's last layer, from an OCI layout push. */
function lastLayerOwners(image: string): string[] {
  const layout = join(root, `oci-${image}`);
  const push = trowelSync(root, ['push', image, `oci:${layout}:x`]);
  assert.is(push.status, 0, push.stderr);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(layout, 'blobs/sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string }[] };
  const tar = spawnSync('tar', ['tvf', blob(manifest.layers.at(-1)!.digest), '--numeric-owner'], { encoding: 'utf8' });
  return tar.stdout.trim().split('\n').map((l) => l.split(/\s+/)).map((f) => `${f[1]!.replace('/', ':')} ${f[5]}`);
}

test('rootless maps nest in the user\'s namespace; files come out as container ids', () => {
  const c = makeBusyboxContainer(root);
  const commit = trowelSync(root, ['commit', '-q', c.name, 'localhost/busybox']);
  assert.is(commit.status, 0, commit.stderr);
  const ctx = join(root, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN cat /proc/self/uid_map >&2 && stat -c "base %u:%g %n" /bin/busybox >&2 && touch /made && mkdir /d && chown 100:100 /d\n');
  const r = trowelSync(root, ['bud', '--userns=container', '--userns-uid-map', '0:1:1000', '-t', 'nested', ctx]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /^\s+0\s+1\s+1000$/m);
  assert.match(r.stderr, /^base 0:0 \/bin\/busybox$/m);
  const owners = lastLayerOwners('nested');
  assert.ok(owners.includes('0:0 made'), owners.join('\n'));
  assert.ok(owners.includes('100:100 d/'), owners.join('\n'));

  // The kernel will not map the rootless namespace's own id 0 into a nested one.
  const own = trowelSync(root, ['bud', '--userns=container', '--userns-uid-map', '0:0:10', ctx]);
  assert.is(own.status, 125);
  assert.match(own.stderr, /id 0 of the rootless namespace \(your own id\) cannot be mapped again/);
  assert.is(own.stderr.trim().split('\n').length, 1, own.stderr);
});

test('from --userns-uid-map as a non-root user: the container\'s runs nest in the user\'s namespace', () => {
  const from = trowelSync(root, ['from', '--userns=container', '--userns-uid-map', '0:1:1000', 'localhost/busybox']);
  assert.is(from.status, 0, from.stderr);
  const c = from.stdout.trim();
  const r = trowelSync(root, ['run', c, '--', 'sh', '-c', 'head -n1 /proc/self/uid_map; touch /made-here']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s*0\s+1\s+1000$/m);
  assert.is(trowelSync(root, ['commit', '-q', c, 'localhost/from-nested']).status, 0);
  assert.ok(lastLayerOwners('localhost/from-nested').includes('0:0 made-here'));
  const bad = trowelSync(root, ['from', '--userns-uid-map', '0:0:10', 'scratch']);
  assert.is(bad.status, 125);
  assert.match(bad.stderr, /id 0 of the rootless namespace \(your own id\) cannot be mapped again/);
});

test.run();
