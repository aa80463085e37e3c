import { join } from 'node:path';
import { ensureBenchUser, type BenchUser } from './bench-user.js';
import { ToolCommandError } from './errors.js';
import { measure } from './process.js';
import type { BenchContext, OpenScenario, Scenario, ToolPlan } from './scenario.js';
import { summarize, type Summary } from './stats.js';
import { ToolSide, type ToolName } from './tool-side.js';
import type { TrowelFeatures } from './trowel-probe.js';

/** One tool's outcome in one scenario. */
export type SideResult =
  | { status: 'ok'; wallMs: Summary; peakRssKb: Summary }
  | { status: 'not-yet'; reason: string }
  | { status: 'failed'; reason: string };

export interface ScenarioResult {
  scenario: Scenario;
  inputs: string;
  buildah: SideResult;
  trowel: SideResult;
}

export interface RunnerOptions {
  warmup: number;
  runs: number;
  /** How to start trowel: [<repo>/bin/trowel]. */
  trowelExe: readonly string[];
  features: TrowelFeatures;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

interface Active {
  side: ToolSide;
  plan: ToolPlan;
  wall: number[];
  rss: number[];
}

/** Turns a failure of a tool's step into its result line. Only trowel can be "not yet". */
function failure(tool: ToolName, err: unknown): SideResult {
  const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  if (tool === 'trowel' && err instanceof ToolCommandError && err.notYet) return { status: 'not-yet', reason };
  return { status: 'failed', reason };
}

/**
 * Runs one scenario for both tools: inputs generated once, each tool's setup, then
 * `warmup` untimed and `runs` timed runs, alternating trowel and buildah (A B A B …) so that
 * drifts in machine state hit both alike. A tool whose commands are missing or fail is
 * reported as such and the other keeps running. Everything made is removed at the end.
 */
export async function runScenario(s: Scenario, ctx: BenchContext, opts: RunnerOptions): Promise<ScenarioResult> {
  const results: Record<ToolName, SideResult | undefined> = { buildah: undefined, trowel: undefined };
  const missing = await opts.features.missing(s.trowelCommands);
  if (missing.length > 0) results.trowel = { status: 'not-yet', reason: `trowel has no ${missing.join(', ')} command yet` };

  let open: OpenScenario;
  let rootless: BenchUser | undefined;
  try {
    rootless = s.rootless ? ensureBenchUser() : undefined;
    open = await s.open(ctx);
  } catch (err) {
    // Inputs or the rootless user could not be made: neither tool can run.
    const r = failure('buildah', err);
    return { scenario: s, inputs: '', buildah: r, trowel: results.trowel ?? r };
  }
  const sides: ToolSide[] = [];
  const active: Active[] = [];
  try {
    const make = (name: ToolName, exe: readonly string[]) => {
      const side = new ToolSide({ name, exe, parent: join(ctx.work, s.id, name), rootless, retireTo: join(ctx.work, 'retired') });
      sides.push(side);
      return side;
    };
    const candidates = [make('trowel', opts.trowelExe), make('buildah', ['buildah'])].filter((side) => !results[side.name]);
    for (const side of candidates) {
      const plan = open.plan(side);
      try {
        await plan.setup?.();
        active.push({ side, plan, wall: [], rss: [] });
      } catch (err) {
        results[side.name] = failure(side.name, err);
      }
    }
    const total = opts.warmup + opts.runs;
    for (let run = 0; run < total; run++) {
      for (const a of [...active]) {
        try {
          await a.plan.beforeEach?.(run);
          const inv = a.plan.command(run);
          const m = await measure(inv);
          if (m.exitCode !== 0) throw new ToolCommandError(a.side.name, [inv.label ?? inv.argv[0] ?? '?'], m);
          await a.plan.verify?.(run, m.stdout);
          const warm = run < opts.warmup;
          opts.log(`  ${s.id} ${a.side.name} ${warm ? 'warm-up' : `run ${run - opts.warmup + 1}/${opts.runs}`}: ${formatMs(m.wallMs)}, ${Math.round(m.peakRssKb / 1024)} MB`);
          if (!warm) {
            a.wall.push(m.wallMs);
            a.rss.push(m.peakRssKb);
          }
        } catch (err) {
          results[a.side.name] = failure(a.side.name, err);
          active.splice(active.indexOf(a), 1);
        }
      }
    }
    for (const a of active) {
      results[a.side.name] = { status: 'ok', wallMs: summarize(a.wall), peakRssKb: summarize(a.rss) };
    }
  } finally {
    for (const side of sides) await side.dispose().catch(() => undefined);
    await open.close?.().catch(() => undefined);
  }
  const none: SideResult = { status: 'failed', reason: 'no runs' };
  return { scenario: s, inputs: open.inputs, buildah: results.buildah ?? none, trowel: results.trowel ?? none };
}

/** "123 ms" below a second, "1.23 s" above. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
