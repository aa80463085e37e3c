import type { MachineInfo } from './machine.js';
import { formatMs, type ScenarioResult, type SideResult } from './runner.js';
import type { Target } from './scenario.js';
import { ratio } from './stats.js';

/** The mode line of a report: how the figures were taken. */
export interface RunDescription {
  mode: 'full' | 'quick';
  /** Factor applied to the stated input sizes. */
  scale: number;
  warmup: number;
  runs: number;
  only: readonly string[];
  date: Date;
}

export function formatTarget(t: Target): string {
  switch (t.kind) {
    case 'ratio':
      return `≤ ${t.max}x buildah`;
    case 'wall':
      return `< ${t.maxMs} ms wall`;
    case 'none':
      return t.text;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** trowel/buildah of the median wall times, when both sides have figures. */
export function resultRatio(r: ScenarioResult): number | undefined {
  if (r.trowel.status !== 'ok' || r.buildah.status !== 'ok') return undefined;
  return ratio(r.trowel.wallMs.median, r.buildah.wallMs.median);
}

/** "yes" / "no" against the target, "—" when trowel has no figure or no figure is set. */
export function targetMet(r: ScenarioResult): string {
  const t = r.scenario.target;
  if (r.trowel.status !== 'ok') return '—';
  if (t.kind === 'wall') return r.trowel.wallMs.median < t.maxMs ? 'yes' : 'no';
  const q = resultRatio(r);
  if (q === undefined) return '—';
  if (t.kind === 'ratio') return q <= t.max ? 'yes' : 'no';
  return '—';
}

function mb(kib: number): string {
  return `${Math.round(kib / 1024)} MB`;
}

function sideFigures(s: SideResult): string {
  switch (s.status) {
    case 'ok':
      return `${formatMs(s.wallMs.median)} (${formatMs(s.wallMs.min)}–${formatMs(s.wallMs.max)})`;
    case 'not-yet':
      return `not yet: ${s.reason}`;
    case 'failed':
      return `failed: ${s.reason}`;
  }
}

function sideRss(s: SideResult): string {
  return s.status === 'ok' ? mb(s.peakRssKb.median) : '—';
}

function sideLine(name: string, s: SideResult): string {
  if (s.status !== 'ok') return `  ${name.padEnd(8)} ${sideFigures(s)}`;
  const w = s.wallMs;
  return `  ${name.padEnd(8)} median ${formatMs(w.median)}  min ${formatMs(w.min)}  max ${formatMs(w.max)}  n=${w.n}  peak RSS ${mb(s.peakRssKb.median)} (max ${mb(s.peakRssKb.max)})`;
}

/** The terminal block for one scenario. */
export function formatScenario(r: ScenarioResult): string {
  const s = r.scenario;
  const q = resultRatio(r);
  return [
    `[${s.id}] ${s.title} — ${s.state}${r.inputs ? `; ${r.inputs}` : ''}`,
    sideLine('buildah', r.buildah),
    sideLine('trowel', r.trowel),
    `  trowel/buildah ${q === undefined ? '—' : q.toFixed(2) + 'x'}   target ${formatTarget(s.target)}   met ${targetMet(r)}`,
  ].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/BENCHMARKS.md: machine, how the figures were taken, one table row per scenario. */
export function renderMarkdown(results: readonly ScenarioResult[], machine: MachineInfo, run: RunDescription): string {
  const rows = results.map((r) => {
    const q = resultRatio(r);
    return `| ${cell(r.scenario.id)} | ${cell(r.scenario.title)} | ${r.scenario.state} | ${cell(r.inputs)} | ${cell(sideFigures(r.buildah))} | ${sideRss(r.buildah)} | ${cell(sideFigures(r.trowel))} | ${sideRss(r.trowel)} | ${q === undefined ? '—' : q.toFixed(2) + 'x'} | ${cell(formatTarget(r.scenario.target))} | ${targetMet(r)} |`;
  });
  const notes = results.map((r) => `- **${r.scenario.id}** (${r.scenario.state}): ${r.scenario.note}.`);
  return [
    '# Benchmarks: trowel against buildah',
    '',
    'Written by `npm run bench` (see bench/README.md). Wall times are medians with (min–max);',
    'peak RSS is the median over runs of the largest process of each command (GNU time, `%M`).',
    'The ratio is trowel/buildah of the medians: below 1 means trowel is faster.',
    '',
    `- Date: ${run.date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Mode: ${run.mode}${run.scale !== 1 ? ` (inputs scaled to 1/${Math.round(1 / run.scale)} of the stated sizes)` : ''}; ${run.warmup} warm-up + ${run.runs} timed runs per tool, alternating trowel and buildah${run.only.length ? `; scenarios: ${run.only.join(', ')}` : ''}`,
    `- Machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB memory, Linux ${machine.kernel}; load average ${machine.load} at the start`,
    `- Tools: ${machine.buildah} (\`--isolation chroot\` for run and bud, overlay driver); trowel ${machine.trowel}; Node ${machine.node}`,
    '',
    '| Scenario | What | State | Inputs | buildah wall | buildah RSS | trowel wall | trowel RSS | trowel/buildah | Target | Met |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## What is in place before each timed run',
    '',
    ...notes,
    '',
  ].join('\n');
}
