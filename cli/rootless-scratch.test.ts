import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { TrowelSandbox, sh } from '../test/support/trowel.js';

// Runs as the unprivileged test user (re-executed above): the rootless scratch story.
const t = new TrowelSandbox('trowel-rootless-');
const work = mkdtempSync(join(tmpdir(), 'trowel-rl-'));
test.after(() => {
  // Files owned by sub-ids are removed from inside the user namespace.
  spawnSync(new URL('../../bin/trowel', import.meta.url).pathname, ['unshare', 'rm', '-rf', t.root, work], { env: { ...process.env, TROWEL_ROOT: t.root } });
  rmSync(work, { recursive: true, force: true });
});

test('as an unprivileged user: from scratch, copy, config, commit, push, all without root', () => {
  assert.is.not(process.getuid?.(), 0);
  const src = join(work, 'hello.sh');
  writeFileSync(src, '#!/bin/sh\necho hello\n');
  chmodSync(src, 0o755);
  const c = t.ok(['from', 'scratch']);
  t.ok(['copy', '--chown', '1000:1000', c, src, '/app/hello.sh']);
  t.ok(['config', '--cmd', '/app/hello.sh', c]);
  const id = t.ok(['commit', '-q', c, 'localhost/rootless']);
  assert.match(id, /^[0-9a-f]{64}$/);
  const archive = join(work, 'rootless.tar');
  t.ok(['push', 'localhost/rootless', `oci-archive:${archive}`]);
  const info = JSON.parse(sh('skopeo', ['inspect', '--config', `oci-archive:${archive}`]));
  assert.equal(info.config.Cmd, ['/app/hello.sh']);
});

test('the layer records container ids: 1000 inside is 1000 in the tar', () => {
  const layout = join(work, 'layout');
  t.ok(['push', 'localhost/rootless', `oci:${layout}:x`]);
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
  const layer = join(layout, 'blobs/sha256', manifest.layers[manifest.layers.length - 1].digest.slice(7));
  const listing = sh('tar', ['--numeric-owner', '-tvzf', layer]);
  assert.match(listing, /-rwxr-xr-x 1000\/1000 .* app\/hello\.sh/);
});

test('unshare --mount NAME=CONTAINER: the command finds the root in $NAME, as with buildah unshare --mount', () => {
  const c = t.ok(['from', 'localhost/rootless']);
  const r = t.run(['unshare', '--mount', `ROOTFS=${c}`, 'sh', '-c', 'cat "$ROOTFS/app/hello.sh"']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '#!/bin/sh\necho hello\n');
  assert.is(t.ok(['unshare', 'sh', '-c', `${new URL('../../bin/trowel', import.meta.url).pathname} mount`]), '', 'nothing is left mounted');
});

test('mount needs the user namespace, as buildah unshare; inside it the root is readable', () => {
  const c = t.ok(['from', 'localhost/rootless']);
  const r = t.run(['unshare', 'sh', '-c', `m=$(${new URL('../../bin/trowel', import.meta.url).pathname} mount ${c}) && cat "$m/app/hello.sh"`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '#!/bin/sh\necho hello\n');
});

test.run();
