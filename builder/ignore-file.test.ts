// The ignore-file lookup order, and the pattern table of testdata/ignore/cases.json checked
// against Debian's buildah: every case is built with `buildah bud --isolation chroot` and the
// files that reach the image must be exactly the ones our matcher keeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../oci/error.js';
import { ContainerfileError } from '../parser/parse-error.js';
import { compileIgnoreFile } from '../parser/ignore-patterns.js';
import { loadIgnoreFile } from './ignore-file.js';

interface IgnoreCase {
  name: string;
  ignore: string;
  files: string[];
  excluded: string[];
  /** What buildah 1.28 excludes where it differs from moby (see `note`). */
  buildahExcluded?: string[];
  note?: string;
}

const work = mkdtempSync(join(tmpdir(), 'trowel-ignore-'));
const buildahRoot = join(work, 'buildah');
let buildahImage = 0;

function tree(dir: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function buildah(args: string[]): string {
  return execFileSync('buildah', ['--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'run'), '--storage-driver', 'vfs', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Builds `COPY . /ctx/` of the context with buildah and lists the regular files in /ctx. */
function filesBuildahCopies(contextDir: string, extra: string[] = []): string[] {
  const cf = join(work, `Containerfile.${buildahImage++}`);
  writeFileSync(cf, 'FROM scratch\nCOPY . /ctx/\n');
  const id = buildah(['bud', '--isolation', 'chroot', '--squash', '-q', ...extra, '-f', cf, contextDir]).split('\n').pop()!;
  const container = buildah(['from', '-q', id]);
  try {
    const mnt = buildah(['mount', container]);
    return listFiles(join(mnt, 'ctx'));
  } finally {
    buildah(['umount', container]);
    buildah(['rm', container]);
  }
}

const haveBuildah = spawnSync('buildah', ['--version']).status === 0 && process.getuid?.() === 0;

test('the context .containerignore wins over .dockerignore (as in buildah)', async () => {
  const ctx = tree(join(work, 'both'), { a: '', b: '', '.containerignore': 'a\n', '.dockerignore': 'b\n' });
  const loaded = await loadIgnoreFile({ contextDir: ctx });
  assert.is(loaded?.path, join(ctx, '.containerignore'));
  assert.is(loaded?.matcher.matches('a'), true);
  assert.is(loaded?.matcher.matches('b'), false);
  if (haveBuildah) assert.equal(filesBuildahCopies(ctx), ['.containerignore', '.dockerignore', 'b']);
});

test('.dockerignore is used when there is no .containerignore', async () => {
  const ctx = tree(join(work, 'docker-only'), { a: '', b: '', '.dockerignore': 'b\n' });
  assert.is((await loadIgnoreFile({ contextDir: ctx }))?.path, join(ctx, '.dockerignore'));
});

test('<file>.containerignore then <file>.dockerignore beside a named Containerfile win over the context', async () => {
  const ctx = tree(join(work, 'per-file/ctx'), { a: '', '.containerignore': 'a\n' });
  const cfDir = tree(join(work, 'per-file/cf'), { 'app.Containerfile': 'FROM scratch\n', 'app.Containerfile.dockerignore': 'x\n' });
  const cf = join(cfDir, 'app.Containerfile');
  assert.is((await loadIgnoreFile({ contextDir: ctx, containerfile: cf }))?.path, `${cf}.dockerignore`);
  writeFileSync(`${cf}.containerignore`, 'y\n');
  assert.is((await loadIgnoreFile({ contextDir: ctx, containerfile: cf }))?.path, `${cf}.containerignore`);
});

test('--ignorefile overrides everything, and must exist', async () => {
  const ctx = tree(join(work, 'flag'), { a: '', b: '', c: '', '.containerignore': 'a\n' });
  const custom = join(work, 'custom.ignore');
  writeFileSync(custom, 'c\n');
  const loaded = await loadIgnoreFile({ contextDir: ctx, ignoreFile: custom });
  assert.is(loaded?.matcher.matches('c'), true);
  assert.is(loaded?.matcher.matches('a'), false);
  if (haveBuildah) assert.equal(filesBuildahCopies(ctx, ['--ignorefile', custom]), ['.containerignore', 'a', 'b']);
  try {
    await loadIgnoreFile({ contextDir: ctx, ignoreFile: join(work, 'missing') });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, NotFoundError);
  }
});

test('no ignore file at all gives undefined', async () => {
  assert.is(await loadIgnoreFile({ contextDir: tree(join(work, 'none'), { a: '' }) }), undefined);
});

test('a malformed pattern is reported with the ignore file path and line', async () => {
  const ctx = tree(join(work, 'bad'), { '.containerignore': 'ok\n[z-\n' });
  try {
    await loadIgnoreFile({ contextDir: ctx });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ContainerfileError);
    assert.is((e as Error).message.startsWith(`${join(ctx, '.containerignore')}:2:1: `), true);
  }
});

const cases = JSON.parse(readFileSync(fileURLToPath(new URL('../../testdata/ignore/cases.json', import.meta.url)), 'utf8')) as IgnoreCase[];

for (const c of cases) {
  test(`buildah agrees on ignore case ${c.name}`, () => {
    if (!haveBuildah) {
      console.log(`skipped ${c.name}: buildah or root missing`);
      return;
    }
    const ctx = join(work, 'cases', c.name);
    tree(ctx, Object.fromEntries([...c.files.map((f) => [f, f]), ['.containerignore', c.ignore]]));
    const matcher = compileIgnoreFile(c.ignore);
    const ours = [...c.files, '.containerignore'].filter((f) => !matcher.matches(f)).sort();
    assert.equal(ours, [...c.files, '.containerignore'].filter((f) => !c.excluded.includes(f)).sort());
    const buildahKeeps = c.buildahExcluded
      ? [...c.files, '.containerignore'].filter((f) => !c.buildahExcluded!.includes(f)).sort()
      : ours;
    assert.equal(filesBuildahCopies(ctx), buildahKeeps);
  });
}

test.after(() => {
  if (haveBuildah) {
    spawnSync('buildah', ['--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'run'), '--storage-driver', 'vfs', 'rm', '--all']);
    spawnSync('buildah', ['--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'run'), '--storage-driver', 'vfs', 'rmi', '--all', '--force']);
  }
  rmSync(work, { recursive: true, force: true });
});

test.run();
