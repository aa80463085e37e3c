import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { TrowelSandbox, sh } from '../test/support/trowel.js';

// Runs as the unprivileged test user (re-executed above): manifest lists need no root.
const t = new TrowelSandbox('trowel-rootless-list-');
const work = mkdtempSync(join(tmpdir(), 'trowel-rl-list-'));
test.after(() => {
  spawnSync(new URL('../../bin/trowel', import.meta.url).pathname, ['unshare', 'rm', '-rf', t.root, work], { env: { ...process.env, TROWEL_ROOT: t.root } });
  rmSync(work, { recursive: true, force: true });
});

test('as an unprivileged user: a two-platform list made, pushed with --all to an OCI layout, read by skopeo', () => {
  assert.is.not(process.getuid?.(), 0);
  for (const arch of ['amd64', 'arm64']) {
    const c = t.ok(['from', 'scratch']);
    t.ok(['config', '--arch', arch, c]);
    t.ok(['commit', '-q', '--rm', c, `localhost/rl-${arch}`]);
  }
  t.ok(['manifest', 'create', 'rl:list', 'localhost/rl-amd64', 'localhost/rl-arm64']);
  assert.is(t.run(['manifest', 'exists', 'rl:list']).code, 0);
  const layout = join(work, 'layout');
  t.ok(['manifest', 'push', '--all', '-q', 'rl:list', `oci:${layout}:multi`]);
  const index = JSON.parse(sh('skopeo', ['inspect', '--raw', `oci:${layout}:multi`]));
  assert.equal(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['amd64', 'arm64']);
  const arm = JSON.parse(sh('skopeo', ['inspect', '--override-arch', 'arm64', `oci:${layout}:multi`]));
  assert.is(arm.Architecture, 'arm64');
});

test.run();
