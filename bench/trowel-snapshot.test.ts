import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshotTrowel } from './trowel-snapshot.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

test('the copy runs on its own, from outside the repository', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trowel-bench-snap-'));
  try {
    const exe = await snapshotTrowel(repo, join(dir, 'trowel'));
    assert.equal(exe, [join(dir, 'trowel', 'bin', 'trowel')]);
    const out = execFileSync(exe[0]!, ['version'], { encoding: 'utf8', cwd: dir });
    assert.match(out, /Version:\s+\d+\.\d+\.\d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
