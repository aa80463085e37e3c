import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrowelError } from '../oci/error.js';
import { writeBusyboxRootfs } from './busybox.js';
import { BenchSetupError } from './errors.js';
import { describeMachine } from './machine.js';
import { unmountBelow } from './mounts.js';
import { parseBenchArgs, selectScenarios, USAGE } from './options.js';
import { GNU_TIME, stopEverything } from './process.js';
import { formatScenario, formatTarget, renderMarkdown } from './report.js';
import { runScenario, type ScenarioResult } from './runner.js';
import type { BenchContext } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { TrowelFeatures } from './trowel-probe.js';
import { snapshotTrowel } from './trowel-snapshot.js';

/** The repository root: dist/bench/main.js -> ../.. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const REQUIRED_PROGRAMS: Record<string, string> = {
  buildah: 'buildah',
  [GNU_TIME]: 'time',
  'docker-registry': 'docker-registry',
  setpriv: 'util-linux',
  'fuse-overlayfs': 'fuse-overlayfs',
  newuidmap: 'uidmap',
  '/bin/busybox': 'busybox-static',
};

function onPath(program: string): boolean {
  if (program.startsWith('/')) return existsSync(program);
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => existsSync(join(d, program)));
}

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new BenchSetupError('start bench: must run as root (it mounts stores and creates the rootless bench user)');
  const missing = Object.entries(REQUIRED_PROGRAMS).filter(([p]) => !onPath(p));
  if (missing.length) {
    throw new BenchSetupError(`start bench: missing ${missing.map(([p, pkg]) => `${p} (Debian package ${pkg})`).join(', ')}; run scripts/setup.sh`);
  }
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new BenchSetupError('start bench: trowel is not built; run npm run build');
}

async function bench(argv: readonly string[]): Promise<void> {
  const opts = parseBenchArgs(argv, join(REPO, 'docs', 'BENCHMARKS.md'));
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const scenarios = selectScenarios(SCENARIOS, opts.only);
  if (opts.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.id.padEnd(20)} ${s.state.padEnd(5)} ${s.title}  [target ${formatTarget(s.target)}]\n`);
    return;
  }
  checkPrerequisites();
  const work = await mkdtemp(join(tmpdir(), 'trowel-bench-'));
  // Readable by the rootless bench user, which builds from contexts under it.
  await chmod(work, 0o755);
  const cleanUp = async () => {
    if (opts.keep) return;
    await unmountBelow(work);
    // Retries: a tool killed a moment ago may still have files in flight.
    await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`bench: ${sig}, cleaning up ${work}\n`);
    void stopEverything()
      .then(cleanUp)
      .catch((err: Error) => process.stderr.write(`bench: clean-up: ${err.message}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = new Date();
  const machine = describeMachine(REPO);
  const results: ScenarioResult[] = [];
  try {
    const rootfs = join(work, 'busybox-rootfs');
    await writeBusyboxRootfs(rootfs);
    const ctx: BenchContext = { work, scale: opts.scale, busyboxRootfs: rootfs };
    const trowelExe = await snapshotTrowel(REPO, join(work, 'trowel'));
    const features = new TrowelFeatures(trowelExe);
    process.stdout.write(`trowel bench: ${opts.quick ? 'quick' : 'full'} mode, ${opts.warmup} warm-up + ${opts.runs} runs per tool, scratch ${work}\n\n`);
    for (const s of scenarios) {
      const t0 = Date.now();
      process.stderr.write(`[${s.id}] preparing…\n`);
      const r = await runScenario(s, ctx, { warmup: opts.warmup, runs: opts.runs, trowelExe, features, log: (l) => process.stderr.write(l + '\n') });
      if (interrupted) break;
      results.push(r);
      process.stdout.write(formatScenario(r) + `\n  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n\n`);
    }
  } finally {
    await cleanUp();
  }
  // The signal handler reports, cleans up and exits; figures of a cut-short run are not kept.
  if (interrupted) return;
  const total = (Date.now() - started.getTime()) / 1000;
  process.stdout.write(`done in ${total.toFixed(0)} s\n`);
  if (opts.write) {
    const md = renderMarkdown(results, machine, {
      mode: opts.quick ? 'quick' : 'full', scale: opts.scale, warmup: opts.warmup, runs: opts.runs, only: opts.only, date: started,
    });
    await mkdir(dirname(opts.out), { recursive: true });
    await writeFile(opts.out, md);
    process.stdout.write(`wrote ${opts.out}\n`);
  }
}

bench(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof TrowelError) {
    process.stderr.write(`Error: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
