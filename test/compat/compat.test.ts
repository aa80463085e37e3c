/**
 * The compatibility suite: every case in cases.ts is built with `trowel bud` and with Debian's
 * `buildah bud --isolation chroot --storage-driver vfs` (in a private store) from the same
 * busybox base and context, and the two images are compared: the normalized config and the
 * flattened file system. Prints how many cases match; cases with a deliberate difference are
 * listed with their reason and not counted as failures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TROWEL_BIN, TrowelSandbox, unmountUnder } from '../support/trowel.js';
import { buildahStoreArgs, makeBuildahBusyboxImage, makeTrowelBusyboxImage } from '../support/busybox-image.js';
import { CASES, type CompatCase } from './cases.js';
import { listDifference, normalizeConfig, snapshotTree } from './fs-snapshot.js';

/** What `buildah bud --isolation chroot` leaves behind after a RUN (empty mount targets). */
const CHROOT_LEFTOVERS = [
  'etc/hostname file 755 0:0 0 e3b0c44298fc1c14',
  'etc/hosts file 755 0:0 0 e3b0c44298fc1c14',
  'etc/resolv.conf file 755 0:0 0 e3b0c44298fc1c14',
  'run dir 755 0:0',
];

const hasBuildah = spawnSync('buildah', ['--version']).status === 0;

let work = '';
let trowel: TrowelSandbox;
let buildahStore = '';
let sharedContext = '';
const outcomes: { name: string; match: boolean; difference?: string }[] = [];

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

async function must(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

const trowelEnv = () => ({ ...process.env, TROWEL_ROOT: trowel.root });
const tw = (args: string[]) => must(TROWEL_BIN, args, trowelEnv());
const bh = (args: string[]) => must('buildah', [...buildahStoreArgs(buildahStore), ...args]);

/** JSON with object keys sorted, so key order does not count as a difference. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : x));
}

/** The shared context: plain files, a directory with a link and a nested dir, an executable, archives. */
function writeContext(dir: string): void {
  mkdirSync(join(dir, 'dir/nested'), { recursive: true });
  mkdirSync(join(dir, 'dir/sub'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'b.txt'), 'bravo\n');
  writeFileSync(join(dir, 'c.log'), 'log line\n');
  writeFileSync(join(dir, 'dir/f1'), 'one\n');
  writeFileSync(join(dir, 'dir/nested/f2'), 'two\n');
  writeFileSync(join(dir, 'dir/sub/x.txt'), 'x\n');
  writeFileSync(join(dir, 'dir/sub/keep.txt'), 'keep\n');
  symlinkSync('f1', join(dir, 'dir/link'));
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  chmodSync(join(dir, 'dir/nested'), 0o750);
  const src = join(dir, '..', 'archive-src');
  mkdirSync(join(src, 'in/deeper'), { recursive: true });
  writeFileSync(join(src, 'in/file'), 'from the archive\n');
  writeFileSync(join(src, 'in/deeper/x'), 'deeper\n');
  const tar = spawnSync('tar', ['--owner=0', '--group=0', '-C', src, '-cf', join(dir, 'archive.tar'), 'in']);
  const tgz = spawnSync('tar', ['--owner=0', '--group=0', '-C', src, '-czf', join(dir, 'archive.tar.gz'), 'in']);
  if (tar.status !== 0 || tgz.status !== 0) throw new Error('make test archives: tar failed');
}

function contextFor(c: CompatCase): string {
  if (!c.files) return sharedContext;
  const dir = join(work, 'contexts', c.name);
  cpSync(sharedContext, dir, { recursive: true, verbatimSymlinks: true });
  for (const [p, content] of Object.entries(c.files)) writeFileSync(join(dir, p), content);
  return dir;
}

interface Built {
  config: Record<string, unknown>;
  files: string[];
}

async function buildWithTrowel(c: CompatCase, file: string, context: string): Promise<Built> {
  const name = `compat-${c.name}`;
  const args = ['bud', '-q', '-f', file, '-t', name];
  for (const [k, v] of Object.entries(c.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (c.target) args.push('--target', c.target);
  if (c.format) args.push('--format', c.format);
  await tw([...args, context]);
  const inspect = JSON.parse(await tw(['inspect', '--type', 'image', name])) as { OCIv1: Record<string, unknown> };
  const ctr = await tw(['from', name]);
  try {
    const mnt = await tw(['mount', ctr]);
    return { config: inspect.OCIv1, files: snapshotTree(mnt) };
  } finally {
    await exec(TROWEL_BIN, ['rm', ctr], trowelEnv());
  }
}

async function buildWithBuildah(c: CompatCase, file: string, context: string): Promise<Built> {
  const name = `compat-${c.name}`;
  const args = ['bud', '--isolation', 'chroot', '-q', '-f', file, '-t', name];
  for (const [k, v] of Object.entries(c.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (c.target) args.push('--target', c.target);
  if (c.format) args.push('--format', c.format);
  await bh([...args, context]);
  const inspect = JSON.parse(await bh(['inspect', '--type', 'image', name])) as { OCIv1: Record<string, unknown> };
  const ctr = await bh(['from', name]);
  try {
    const mnt = await bh(['mount', ctr]);
    return { config: inspect.OCIv1, files: snapshotTree(mnt) };
  } finally {
    await exec('buildah', [...buildahStoreArgs(buildahStore), 'rm', ctr]);
  }
}

test.before(() => {
  if (!hasBuildah) return;
  work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-compat-'));
  trowel = new TrowelSandbox('trowel-compat-store-');
  buildahStore = join(work, 'buildah');
  sharedContext = join(work, 'context');
  mkdirSync(sharedContext, { recursive: true });
  writeContext(sharedContext);
  makeTrowelBusyboxImage(trowel);
  makeBuildahBusyboxImage(buildahStore);
});

test.after(() => {
  if (!hasBuildah) return;
  const matched = outcomes.filter((o) => o.match).length;
  const deliberate = outcomes.filter((o) => o.difference !== undefined);
  console.log(`compat: ${matched}/${outcomes.length} cases match buildah${deliberate.length ? `; deliberate differences: ${deliberate.map((d) => `${d.name} (${d.difference})`).join('; ')}` : ''}`);
  trowel.cleanup();
  unmountUnder(buildahStore);
  spawnSync('buildah', [...buildahStoreArgs(buildahStore), 'rm', '--all']);
  spawnSync('buildah', [...buildahStoreArgs(buildahStore), 'rmi', '--all', '--force']);
  unmountUnder(work);
  rmSync(work, { recursive: true, force: true });
});

// COMPAT_CASES=a,b runs only those cases (to replay a failure quickly).
const only = process.env.COMPAT_CASES?.split(',').filter((n) => n !== '');
const selected = CASES.filter((x) => !only || only.includes(x.name));

/** Builds run a few cases at a time (each case runs both builders): builds mostly wait on I/O. */
const CONCURRENT_CASES = 3;
const pending = new Map<string, Promise<[Built, Built]>>();
let slots = CONCURRENT_CASES;
const queue: Array<() => void> = [];
async function inSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (slots > 0) slots--;
  else await new Promise<void>((r) => queue.push(r));
  try {
    return await fn();
  } finally {
    const next = queue.shift();
    if (next) next();
    else slots++;
  }
}

function buildBoth(c: CompatCase): Promise<[Built, Built]> {
  let p = pending.get(c.name);
  if (!p) {
    p = inSlot(async () => {
      const file = join(work, `${c.name}.Containerfile`);
      writeFileSync(file, c.containerfile);
      const context = contextFor(c);
      return Promise.all([buildWithTrowel(c, file, context), buildWithBuildah(c, file, context)]);
    });
    p.catch(() => {}); // reported by the case's own test
    pending.set(c.name, p);
  }
  return p;
}

test('compat: set-up starts the builds', () => {
  if (!hasBuildah) return;
  for (const c of selected) buildBoth(c);
  assert.is(pending.size, selected.length);
});

for (const c of selected) {
  test(`compat: ${c.name}`, async () => {
    if (!hasBuildah) return;
    const [mine, theirs] = await buildBoth(c);
    const configMine = normalizeConfig(mine.config);
    const configTheirs = normalizeConfig(theirs.config);
    // buildah's chroot isolation leaves the empty mount targets of a RUN in the image (mode 0755);
    // trowel removes the targets it had to create. Those entries alone are not a difference.
    const leftovers = new Set(CHROOT_LEFTOVERS.filter((e) => !mine.files.includes(e)));
    const files = listDifference(mine.files, theirs.files.filter((e) => !leftovers.has(e)));
    const sameConfig = canonicalJson(configMine) === canonicalJson(configTheirs);
    const match = sameConfig && files.onlyA.length === 0 && files.onlyB.length === 0;
    outcomes.push({ name: c.name, match, ...(c.difference !== undefined ? { difference: c.difference } : {}) });
    if (c.difference !== undefined) return;
    assert.equal(configMine, configTheirs, `${c.name}: image config differs (trowel vs buildah)`);
    assert.equal(files, { onlyA: [], onlyB: [] }, `${c.name}: file system differs (onlyA: trowel, onlyB: buildah)`);
  });
}

test.run();
