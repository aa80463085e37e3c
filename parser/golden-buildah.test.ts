// Keeps the "Confirmed with buildah 1.28" notes of testdata/containerfiles/README.md honest: every
// case so marked is built with Debian's buildah (`bud --isolation chroot --format docker`, on a
// local busybox image made from /bin/busybox) and the image config buildah writes must equal
// the config our parse + expansion predicts (Env, Labels, ExposedPorts, Volumes, WorkingDir,
// User, StopSignal, Cmd, Entrypoint, Shell, Healthcheck, OnBuild).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStageGraph } from './stage-graph.js';
import { expandInstruction } from './expand-instruction.js';
import { exposedPortKeys } from './exposed-ports.js';
import type { GoldenCaseOptions } from './golden-snapshot.js';
import { parseContainerfile } from './parse-containerfile.js';
import { commandArgv } from './run-command.js';
import { StageVariables } from './stage-variables.js';

const corpus = fileURLToPath(new URL('../../testdata/containerfiles/', import.meta.url));
const negativeCorpus = fileURLToPath(new URL('../../testdata/containerfiles-negative/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'trowel-golden-buildah-'));
const store = ['--root', join(work, 'root'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs'];
const BASE_ENV = ['PATH=/bin'];
const haveBuildah = spawnSync('buildah', ['--version']).status === 0 && process.getuid?.() === 0 && existsSync('/bin/busybox');

function buildah(args: string[]): string {
  return execFileSync('buildah', [...store, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The cases the corpus README says buildah confirmed. */
function confirmedCases(): string[] {
  const readme = readFileSync(join(corpus, 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| `([^`]+)` \|.*Confirmed with buildah 1\.28\.? \|$/gm)].map((m) => m[1]!);
}

/** Negative cases with what the README says buildah does: reject (true) or accept (false). */
function negativeClaims(): Array<[string, boolean]> {
  const readme = readFileSync(join(negativeCorpus, 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| `([^`]+)` \|.*buildah 1\.28 (rejects|accepts) it/gm)].map((m) => [m[1]!, m[2] === 'rejects']);
}

type Config = Record<string, unknown>;

/** What the image config should be, from our parser alone. */
function predictConfig(text: string, options: GoldenCaseOptions): Config {
  const parsed = parseContainerfile(text);
  const buildArgs = options.buildArgs ?? {};
  const graph = buildStageGraph(parsed, {
    buildArgs,
    platforms: { build: { os: 'linux', architecture: 'amd64' } },
    ...(options.target !== undefined ? { target: options.target } : {}),
  });
  const stage = parsed.stages[graph.target]!;
  const vars = new StageVariables({ globalArgs: new Map(Object.entries(graph.globalArgs)), buildArgs, baseEnv: BASE_ENV });
  const config: Config = {};
  const labels: Record<string, string> = {};
  let shell = ['/bin/sh', '-c'];
  const ports: string[] = [];
  const volumes: string[] = [];
  const onbuild: string[] = [];
  for (const raw of stage.instructions) {
    const i = expandInstruction(raw, vars.expansionEnv(), { escape: parsed.escape });
    vars.apply(i);
    switch (i.kind) {
      case 'label': for (const p of i.pairs) labels[p.key] = p.value; break;
      case 'expose': ports.push(...i.ports); break;
      case 'volume': volumes.push(...i.paths); break;
      case 'workdir': config['WorkingDir'] = i.path; break;
      case 'user': config['User'] = i.user; break;
      case 'stopsignal': config['StopSignal'] = i.signal; break;
      case 'shell': shell = i.argv; config['Shell'] = i.argv; break;
      case 'cmd':
      case 'entrypoint': {
        const argv = commandArgv(i.command, shell);
        config[i.kind === 'cmd' ? 'Cmd' : 'Entrypoint'] = argv;
        break;
      }
      case 'healthcheck': {
        const h: Config = { Test: i.test };
        if (i.intervalNs) h['Interval'] = i.intervalNs;
        if (i.timeoutNs) h['Timeout'] = i.timeoutNs;
        if (i.startPeriodNs) h['StartPeriod'] = i.startPeriodNs;
        if (i.retries) h['Retries'] = i.retries;
        config['Healthcheck'] = h;
        break;
      }
      case 'onbuild': onbuild.push(i.expression); break;
      default: break;
    }
  }
  config['Env'] = vars.configEnv();
  if (Object.keys(labels).length) config['Labels'] = labels;
  if (ports.length) config['ExposedPorts'] = exposedPortKeys(ports).sort();
  if (volumes.length) config['Volumes'] = [...new Set(volumes)].sort();
  if (onbuild.length) config['OnBuild'] = onbuild;
  return normalize(config);
}

/** Drops empty values so "unset" and "empty" compare equal, as buildah writes either. */
function normalize(c: Config): Config {
  const out: Config = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

const execFileAsync = promisify(execFile);

async function buildahAsync(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('buildah', [...store, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return stdout.trim();
}

async function buildahConfig(caseDir: string, options: GoldenCaseOptions): Promise<Config> {
  const ctx = join(work, 'ctx');
  mkdirSync(ctx, { recursive: true });
  // --squash: one layer is all the comparison needs, and it commits about four times faster.
  const args = ['bud', '--isolation', 'chroot', '--squash', '--format', 'docker', '--pull=never', '-q'];
  for (const [k, v] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (options.target !== undefined) args.push('--target', options.target);
  const id = (await buildahAsync([...args, '-f', join(caseDir, 'Containerfile'), ctx])).split('\n').pop()!;
  const d = (JSON.parse(await buildahAsync(['inspect', '--type', 'image', id])) as { Docker: { config: Config } }).Docker.config;
  const labels = { ...(d['Labels'] as Record<string, string> | undefined) };
  delete labels['io.buildah.version'];
  const hc = d['Healthcheck'] as Config | undefined;
  return normalize({
    Env: d['Env'],
    Labels: labels,
    ExposedPorts: Object.keys((d['ExposedPorts'] as object | undefined) ?? {}).sort(),
    Volumes: Object.keys((d['Volumes'] as object | undefined) ?? {}).sort(),
    WorkingDir: d['WorkingDir'],
    User: d['User'],
    StopSignal: d['StopSignal'],
    Shell: d['Shell'],
    Cmd: d['Cmd'],
    Entrypoint: d['Entrypoint'],
    OnBuild: d['OnBuild'],
    Healthcheck: hc ? normalize(hc) : undefined,
  });
}

const cases = confirmedCases();
/** buildah's config per case, built a few at a time before the comparisons run. */
const built = new Map<string, Config | Error>();
const negatives = negativeClaims();
/** Whether buildah failed on each negative case. */
const buildahFailed = new Map<string, boolean>();

function caseOptions(dir: string): GoldenCaseOptions {
  const argsFile = join(dir, 'args.json');
  return existsSync(argsFile) ? (JSON.parse(readFileSync(argsFile, 'utf8')) as GoldenCaseOptions) : {};
}

test('the README marks enough cases as confirmed for this to matter', () => {
  assert.ok(cases.length >= 25, `${cases.length} confirmed cases`);
});

test.before(async () => {
  if (!haveBuildah) return;
  // A busybox base image: busybox-static and a few applet links, PATH=/bin.
  const c = buildah(['from', 'scratch']);
  const mnt = buildah(['mount', c]);
  mkdirSync(join(mnt, 'bin'), { recursive: true });
  mkdirSync(join(mnt, 'tmp'), { recursive: true });
  copyFileSync('/bin/busybox', join(mnt, 'bin/busybox'));
  for (const applet of ['sh', 'echo', 'ls', 'cat', 'true', 'env', 'touch']) symlinkSync('busybox', join(mnt, 'bin', applet));
  buildah(['umount', c]);
  buildah(['config', '--env', 'PATH=/bin', c]);
  buildah(['commit', '-q', c, 'docker.io/library/busybox:latest']);
  buildah(['rm', c]);
  const queue = [...cases];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const dir = join(corpus, name);
      built.set(name, await buildahConfig(dir, caseOptions(dir)).catch((e: Error) => e));
    }
  };
  const negativeQueue = negatives.map(([name]) => name);
  const negativeWorker = async () => {
    for (let name = negativeQueue.shift(); name !== undefined; name = negativeQueue.shift()) {
      const dir = join(negativeCorpus, name);
      const args = ['bud', '--isolation', 'chroot', '--squash', '--pull=never', '-q'];
      for (const [k, v] of Object.entries(caseOptions(dir).buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
      const failed = await buildahAsync([...args, '-f', join(dir, 'Containerfile'), join(work, 'ctx')]).then(() => false, () => true);
      buildahFailed.set(name, failed);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  await Promise.all([negativeWorker(), negativeWorker(), negativeWorker()]);
});

for (const name of cases) {
  test(`buildah builds ${name} into the config we predict`, () => {
    if (!haveBuildah) {
      console.log(`skipped ${name}: buildah, root or /bin/busybox missing`);
      return;
    }
    const dir = join(corpus, name);
    const result = built.get(name);
    if (result instanceof Error) throw result;
    assert.equal(result, predictConfig(readFileSync(join(dir, 'Containerfile'), 'utf8'), caseOptions(dir)));
  });
}

test('every negative case says what buildah does with it', () => {
  const all = readFileSync(join(negativeCorpus, 'README.md'), 'utf8').match(/^\| `[^`]+` \|/gm) ?? [];
  assert.is(negatives.length, all.length);
  assert.ok(negatives.length >= 25);
});

for (const [name, rejects] of negatives) {
  test(`buildah ${rejects ? 'rejects' : 'accepts'} negative case ${name}, as its README line says`, () => {
    if (!haveBuildah) {
      console.log(`skipped ${name}: buildah, root or /bin/busybox missing`);
      return;
    }
    assert.is(buildahFailed.get(name), rejects);
  });
}

test.after(() => {
  if (haveBuildah) {
    spawnSync('buildah', [...store, 'rm', '--all']);
    spawnSync('buildah', [...store, 'rmi', '--all', '--force']);
  }
  rmSync(work, { recursive: true, force: true });
});

test.run();
