import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../oci/error.js';
import { parseBenchArgs, selectScenarios } from './options.js';

test('defaults: full mode, 1 warm-up + 5 runs, report written', () => {
  const o = parseBenchArgs([], '/r/docs/BENCHMARKS.md');
  assert.equal(
    { quick: o.quick, warmup: o.warmup, runs: o.runs, write: o.write, out: o.out, only: o.only },
    { quick: false, warmup: 1, runs: 5, write: true, out: '/r/docs/BENCHMARKS.md', only: [] },
  );
});

test('--quick lowers the run count; --only stops writing unless --write', () => {
  assert.is(parseBenchArgs(['--quick'], 'x').runs, 3);
  assert.is(parseBenchArgs(['--quick'], 'x').scale, 0.05);
  assert.is(parseBenchArgs([], 'x').scale, 1);
  const o = parseBenchArgs(['--only', 'push,pull', '--only=commit'], 'x');
  assert.equal(o.only, ['push', 'pull', 'commit']);
  assert.is(o.write, false);
  assert.is(parseBenchArgs(['--only', 'push', '--write'], 'x').write, true);
  assert.is(parseBenchArgs(['--no-write'], 'x').write, false);
  assert.is(parseBenchArgs(['--runs', '7'], 'x').runs, 7);
});

test('bad arguments are one clear InvalidArgumentError', () => {
  assert.throws(() => parseBenchArgs(['--runs', '0'], 'x'), (e: unknown) => e instanceof InvalidArgumentError && /--runs/.test((e as Error).message));
  assert.throws(() => parseBenchArgs(['--frobnicate'], 'x'), (e: unknown) => e instanceof InvalidArgumentError);
  assert.throws(() => parseBenchArgs(['extra'], 'x'), (e: unknown) => e instanceof InvalidArgumentError);
});

test('--only matches substrings of ids and refuses unknown ones', () => {
  const all = [{ id: 'push' }, { id: 're-push' }, { id: 'pull' }, { id: 'commit' }];
  assert.equal(selectScenarios(all, ['push']).map((s) => s.id), ['push', 're-push']);
  assert.equal(selectScenarios(all, []).length, 4);
  assert.throws(() => selectScenarios(all, ['nope']), /no such scenario/);
});

test.run();
