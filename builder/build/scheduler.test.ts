import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScheduled } from './scheduler.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a stage starts only after the stages it depends on', async () => {
  const log: string[] = [];
  await runScheduled([{ index: 2, dependsOn: [0, 1] }, { index: 0, dependsOn: [] }, { index: 1, dependsOn: [0] }], 4, async (i) => {
    log.push(`start ${i}`);
    await tick(5);
    log.push(`end ${i}`);
    return i;
  }, () => {});
  assert.equal(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
});

test('independent stages run at the same time, at most `jobs` at once', async () => {
  let running = 0;
  let peak = 0;
  const stages = [0, 1, 2, 3, 4].map((index) => ({ index, dependsOn: [] }));
  const results = await runScheduled(stages, 2, async (i) => {
    running++;
    peak = Math.max(peak, running);
    await tick(10);
    running--;
    return i * 10;
  }, () => {});
  assert.is(peak, 2);
  assert.equal([...results.entries()].sort(), [[0, 0], [1, 10], [2, 20], [3, 30], [4, 40]]);
});

test('the first failure is reported, aborts the others, and dependants never start', async () => {
  const started: number[] = [];
  let aborted: unknown;
  try {
    await runScheduled([{ index: 0, dependsOn: [] }, { index: 1, dependsOn: [] }, { index: 2, dependsOn: [0] }], 4, async (i) => {
      started.push(i);
      if (i === 0) throw new Error('stage 0 broke');
      await tick(20);
      if (i === 1) throw new Error('stage 1 broke later');
      return i;
    }, (reason) => (aborted = reason));
    assert.unreachable('should fail');
  } catch (e) {
    assert.is((e as Error).message, 'stage 0 broke');
  }
  assert.is((aborted as Error).message, 'stage 0 broke');
  assert.not.ok(started.includes(2));
});

test.run();
