import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchVerifyError } from '../errors.js';
import { startRegistry } from '../registry.js';
import { expectDirectory, expectManifest } from './verify.js';

test('a push that left no manifest in the registry is caught', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trowel-bench-verify-'));
  const reg = await startRegistry(dir);
  try {
    await expectManifest(reg.host, 'bench/none', 'latest').then(
      () => assert.unreachable('an empty registry has no manifest'),
      (e: unknown) => {
        assert.instance(e, BenchVerifyError);
        assert.match((e as Error).message, /answered 404/);
      },
    );
  } finally {
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a mount point must be a directory', async () => {
  await expectDirectory(tmpdir());
  await expectDirectory('/no/such/mount').then(
    () => assert.unreachable('missing path accepted'),
    (e: Error) => assert.match(e.message, /is not a directory/),
  );
});

test.run();
