import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxRootfs } from './busybox.js';

test('the rootfs has busybox and applet links that run', async () => {
  if (!existsSync('/bin/busybox')) return;
  const dir = await mkdtemp(join(tmpdir(), 'trowel-bench-bb-'));
  try {
    await writeBusyboxRootfs(dir);
    assert.ok((await lstat(join(dir, 'bin', 'busybox'))).isFile());
    for (const applet of ['sh', 'tar', 'gzip', 'head']) {
      assert.is(await readlink(join(dir, 'bin', applet)), 'busybox');
    }
    // The link resolves inside the rootfs and the applet works.
    assert.is(execFileSync(join(dir, 'bin', 'sh'), ['-c', 'echo ok'], { encoding: 'utf8' }), 'ok\n');
    assert.ok((await lstat(join(dir, 'tmp'))).isDirectory());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
