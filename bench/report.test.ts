import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MachineInfo } from './machine.js';
import { formatScenario, renderMarkdown, resultRatio, targetMet } from './report.js';
import type { ScenarioResult, SideResult } from './runner.js';
import type { Scenario, Target } from './scenario.js';
import { summarize } from './stats.js';

function scenario(target: Target): Scenario {
  return {
    id: 'demo', title: 'demo | piped', state: 'cold', note: 'nothing', target, trowelCommands: [],
    open: () => Promise.reject(new Error('not opened in this test')),
  };
}

function ok(wall: number[], rssKb = 10240): SideResult {
  return { status: 'ok', wallMs: summarize(wall), peakRssKb: summarize(wall.map(() => rssKb)) };
}

const machine: MachineInfo = { nproc: 2, memoryGiB: 23.4, kernel: '6.1.0', cpu: 'cpu', node: 'v20', buildah: 'buildah version 1.28.2', trowel: '0.1.0 (commit abc)', load: '0.10, 0.20, 0.30' };

test('ratio of medians and target verdicts', () => {
  const r: ScenarioResult = { scenario: scenario({ kind: 'ratio', max: 0.5 }), inputs: 'x', trowel: ok([100, 300, 200]), buildah: ok([500, 400, 450]) };
  assert.is(resultRatio(r), 200 / 450);
  assert.is(targetMet(r), 'yes');
  assert.is(targetMet({ ...r, trowel: ok([300]) }), 'no');
  assert.is(targetMet({ ...r, trowel: { status: 'not-yet', reason: 'no commit' } }), '—');
  const wall: ScenarioResult = { ...r, scenario: scenario({ kind: 'wall', maxMs: 150 }) };
  assert.is(targetMet({ ...wall, trowel: ok([149]) }), 'yes');
  assert.is(targetMet({ ...wall, trowel: ok([151]) }), 'no');
  const info: ScenarioResult = { ...r, scenario: scenario({ kind: 'none', text: 'for information' }) };
  assert.is(targetMet(info), '—');
  assert.is(resultRatio(info), 200 / 450);
});

test('terminal block names both tools, the ratio and a not-yet reason', () => {
  const text = formatScenario({ scenario: scenario({ kind: 'ratio', max: 0.5 }), inputs: '3 files', trowel: { status: 'not-yet', reason: 'trowel has no commit command yet' }, buildah: ok([1500, 1200, 1300]) });
  assert.match(text, /^\[demo\] demo \| piped — cold; 3 files/);
  assert.match(text, /buildah\s+median 1\.30 s\s+min 1\.20 s\s+max 1\.50 s\s+n=3/);
  assert.match(text, /trowel\s+not yet: trowel has no commit command yet/);
  assert.match(text, /trowel\/buildah —/);
});

test('markdown has the machine, the mode and one escaped row per scenario', () => {
  const md = renderMarkdown(
    [{ scenario: scenario({ kind: 'ratio', max: 0.5 }), inputs: 'x', trowel: ok([100]), buildah: ok([400], 20480) }],
    machine,
    { mode: 'quick', scale: 0.05, warmup: 1, runs: 3, only: [], date: new Date('2026-01-02T03:04:05.678Z') },
  );
  assert.match(md, /Date: 2026-01-02T03:04:05Z/);
  assert.match(md, /Mode: quick \(inputs scaled to 1\/20/);
  assert.match(md, /2 CPUs \(cpu\), 23\.4 GiB memory, Linux 6\.1\.0; load average 0\.10, 0\.20, 0\.30/);
  const row = md.split('\n').find((l) => l.startsWith('| demo |'));
  assert.ok(row, 'row present');
  assert.match(row!, /demo \\\| piped/);
  assert.match(row!, /\| 400 ms \(400 ms–400 ms\) \| 20 MB \| 100 ms \(100 ms–100 ms\) \| 10 MB \| 0\.25x \| ≤ 0\.5x buildah \| yes \|$/);
});

test.run();
