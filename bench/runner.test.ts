import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from './runner.js';
import type { BenchContext, Scenario } from './scenario.js';
import { TrowelFeatures } from './trowel-probe.js';

// Runs real buildah (as the bench does) on a store with no images: `images` is cheap.
const trowelExe = [fileURLToPath(new URL('../../bin/trowel', import.meta.url))];

function imagesScenario(trowelCommands: string[], trowelSetup?: string[]): Scenario {
  return {
    id: 'runner-test', title: 'images on an empty store', state: 'warm', note: 'empty store',
    target: { kind: 'wall', maxMs: 150 }, trowelCommands,
    async open() {
      return {
        inputs: 'none',
        plan(tool) {
          return {
            setup: async () => {
              await tool.freshStore();
              if (tool.name === 'trowel' && trowelSetup) await tool.run(trowelSetup);
            },
            command: () => tool.invocation(['images']),
          };
        },
      };
    },
  };
}

async function withContext(fn: (ctx: BenchContext) => Promise<void>): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'trowel-bench-runner-'));
  try {
    await fn({ work, scale: 0.01, busyboxRootfs: join(work, 'unused') });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const log = () => undefined;

test('buildah is timed runs times after warm-up; a missing trowel command is "not yet"', async () => {
  if (!existsSync('/usr/bin/buildah')) return;
  await withContext(async (ctx) => {
    const r = await runScenario(imagesScenario(['no-such-command']), ctx, { warmup: 1, runs: 2, trowelExe, features: new TrowelFeatures(trowelExe), log });
    assert.is(r.buildah.status, 'ok');
    if (r.buildah.status === 'ok') {
      assert.is(r.buildah.wallMs.n, 2);
      assert.ok(r.buildah.wallMs.min > 0);
      assert.ok(r.buildah.peakRssKb.median > 1000, 'buildah uses more than 1 MB');
    }
    assert.equal(r.trowel, { status: 'not-yet', reason: 'trowel has no no-such-command command yet' });
    // Stores are removed afterwards.
    assert.equal(await readdir(join(ctx.work, 'runner-test', 'buildah')), []);
  });
});

test('a trowel step failing as unknown is "not yet"; any other failure is "failed"', async () => {
  if (!existsSync('/usr/bin/buildah')) return;
  await withContext(async (ctx) => {
    const features = new TrowelFeatures(trowelExe);
    const unknown = await runScenario(imagesScenario([], ['no-such-command']), ctx, { warmup: 0, runs: 1, trowelExe, features, log });
    assert.is(unknown.trowel.status, 'not-yet');
    const bad = await runScenario(imagesScenario([], ['version', '--log-level', 'nonsense']), ctx, { warmup: 0, runs: 1, trowelExe, features, log });
    assert.is(bad.trowel.status, 'failed');
    if (bad.trowel.status === 'failed') assert.match(bad.trowel.reason, /^run trowel version: exit \d+: /);
    assert.is(bad.buildah.status, 'ok');
  });
});

test.run();
