import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from './registry.js';

test('starts a registry that answers /v2/ on loopback, and stops it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trowel-bench-reg-'));
  try {
    const reg = await startRegistry(dir);
    try {
      assert.match(reg.host, /^127\.0\.0\.1:\d+$/);
      const r = await fetch(`http://${reg.host}/v2/_catalog`);
      assert.is(r.status, 200);
      assert.equal(await r.json(), { repositories: [] });
    } finally {
      await reg.stop();
    }
    const after = await fetch(`http://${reg.host}/v2/`).then(() => 'up', () => 'down');
    assert.is(after, 'down');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
