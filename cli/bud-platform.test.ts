/**
 * `trowel bud --platform/--manifest/--all-platforms` end to end, through the real CLI against
 * temporary stores and a real registry (docker-registry), with skopeo as the oracle for what
 * was pushed: per-platform images of COPY-only builds (no emulator needed), a manifest list
 * holding them, a FROM of a registry index resolving per platform, a foreign RUN refused up
 * front, and bad input (one line, nothing built).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder, type RunResult } from '../test/support/trowel.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { writeTree } from '../test/support/files.js';
import { buildahStoreArgs } from '../test/support/busybox-image.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';
import { findEmulator } from '../builder/build/emulation.js';
import { hostPlatform } from '../oci/platform.js';

const test = suite('bud for other platforms and into manifest lists');
let t: TrowelSandbox;
let reg: TestRegistry;
let work = '';

interface Entry { digest: string; platform: { os: string; architecture: string; variant?: string } }

/** A context directory under the work dir with `files` (path -> content); returns its path. */
function context(name: string, files: Record<string, string>): string {
  return writeTree(join(work, name), files);
}

function trowel(args: string[], sandbox = t): Promise<RunResult> {
  return sandbox.runAsync(args);
}

function config(id: string, sandbox = t): { architecture: string; os: string; variant?: string; rootfs: { diff_ids: string[] } } {
  return JSON.parse(sandbox.ok(['inspect', '--format', '{{json .OCIv1}}', id]));
}

function listEntries(name: string, sandbox = t): Entry[] {
  return JSON.parse(sandbox.ok(['manifest', 'inspect', name])).manifests;
}

/** The store's images (ids in hex) with their digests and names. */
function stored(sandbox = t, name?: string): { id: string; digest: string; names: string[] }[] {
  return JSON.parse(sandbox.ok(['images', '--json', '--no-trunc', ...(name ? [name] : [])]))
    .map((i: { id: string; digest: string; names: string[] }) => ({ ...i, id: i.id.replace(/^sha256:/, '') }));
}

function imageIds(sandbox = t): string[] {
  return sandbox.ok(['images', '-q', '--no-trunc']).split('\n').filter((l) => l !== '').sort();
}

/** Reads a file of an image through a working container's mount. */
function readFromImage(sandbox: TrowelSandbox, image: string, path: string): string {
  const c = sandbox.ok(['from', '--pull', 'never', image]);
  try {
    return readFileSync(join(sandbox.ok(['mount', c]), path), 'utf8');
  } finally {
    sandbox.run(['umount', c]);
    sandbox.run(['rm', c]);
  }
}

const ids = (r: RunResult) => r.stdout.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
const oneLine = (s: string) => s.trim().split('\n').length === 1;

test.before(async () => {
  ({ t, work } = setUpBuildTest('bud-platform'));
  reg = await startRegistry();
});

test.after(async () => {
  await reg?.stop();
  tearDownBuildTest({ t, work });
});

test('COPY-only build for linux/arm64 and linux/amd64 into one manifest list', () => {
  const dir = context('copy-only', { 'a.txt': 'hello\n', Containerfile: 'FROM scratch\nCOPY a.txt /a.txt\nLABEL x=y\n' });
  const r = t.run(['bud', '--platform', 'linux/arm64,linux/amd64', '--manifest', 'app:multi', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[linux\/arm64\] STEP 1\/3: FROM scratch$/m);
  assert.match(r.stdout, /^\[linux\/amd64\] STEP 2\/3: COPY a\.txt \/a\.txt$/m);
  const [arm, amd] = ids(r);
  assert.ok(arm && amd && arm !== amd, 'one image id per platform, each printed');
  const armConfig = config(arm!);
  const amdConfig = config(amd!);
  assert.equal([armConfig.os, armConfig.architecture, armConfig.variant], ['linux', 'arm64', undefined]);
  assert.equal([amdConfig.os, amdConfig.architecture, amdConfig.variant], ['linux', 'amd64', undefined]);
  // Same files, so the same layer: only the config tells the platforms apart.
  assert.equal(armConfig.rootfs.diff_ids, amdConfig.rootfs.diff_ids);
  const entries = listEntries('app:multi');
  assert.equal(entries.map((e) => e.platform), [{ architecture: 'arm64', os: 'linux' }, { architecture: 'amd64', os: 'linux' }]);
  assert.is.not(entries[0]!.digest, entries[1]!.digest);
  const digests = stored().filter((i) => i.id === arm || i.id === amd).map((i) => i.digest).sort();
  assert.equal(entries.map((e) => e.digest).sort(), digests, 'the list names the images just built');
  assert.equal(mountsUnder(t.root), []);
});

test('the list and configs match buildah\'s for the same platforms (buildah bud --manifest as oracle)', () => {
  if (spawnSync('buildah', ['--version']).status !== 0) {
    console.log('  (buildah not installed: comparison skipped)');
    return;
  }
  const dir = context('versus-buildah', { 'a.txt': 'same\n', Containerfile: 'FROM scratch\nCOPY a.txt /a.txt\n' });
  const platforms = 'linux/arm64/v8,linux/arm/v7,linux/386,linux/s390x';
  const store = join(work, 'buildah-store');
  const buildah = (args: string[]) => {
    const r = spawnSync('buildah', [...buildahStoreArgs(store), ...args], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return r.stdout;
  };
  try {
    buildah(['bud', '--isolation', 'chroot', '-q', '--platform', platforms, '--manifest', 'theirs', dir]);
    const theirs = JSON.parse(buildah(['manifest', 'inspect', 'theirs']));
    const r = t.run(['bud', '-q', '--platform', platforms, '--manifest', 'ours', dir]);
    assert.is(r.code, 0, r.stderr);
    const ours = JSON.parse(t.ok(['manifest', 'inspect', 'ours']));
    assert.is(ours.mediaType, theirs.mediaType);
    const key = (m: Entry & { mediaType: string }) => JSON.stringify([m.mediaType, m.platform]);
    // buildah adds the images in the order its builds end; compare as sets.
    assert.equal(ours.manifests.map(key).sort(), theirs.manifests.map(key).sort());
    // Each image's config says the same platform as its entry.
    for (const id of ids(r)) {
      const c = config(id);
      const entry = ours.manifests.find((m: Entry) => m.platform.architecture === c.architecture && m.platform.variant === c.variant);
      assert.ok(entry, `an entry for ${c.os}/${c.architecture}/${c.variant ?? ''}`);
    }
  } finally {
    spawnSync('buildah', [...buildahStoreArgs(store), 'rmi', '--all', '--force']);
    rmSync(store, { recursive: true, force: true });
  }
});

test('rebuilding into the same list replaces that platform\'s entry; -t names the last image', () => {
  const dir = context('rebuild', { 'a.txt': 'changed\n', Containerfile: 'FROM scratch\nCOPY a.txt /a.txt\n' });
  const r = t.run(['bud', '--platform', 'linux/arm64', '-t', 'app:arm', '--manifest', 'app:multi', dir]);
  assert.is(r.code, 0, r.stderr);
  const [arm] = ids(r);
  const entries = listEntries('app:multi');
  assert.is(entries.length, 2);
  const armDigest = stored(t, 'app:arm')[0]!.digest;
  assert.equal(entries.map((e) => e.platform.architecture), ['arm64', 'amd64'], 'in its place');
  assert.equal(entries.filter((e) => e.platform.architecture === 'arm64').map((e) => e.digest), [armDigest]);
  assert.is(config('app:arm').architecture, 'arm64');
  assert.is(stored(t, 'app:arm')[0]!.id, arm);
});

test('several platforms without --manifest: each is built, the tag ends on the last', () => {
  const dir = context('no-list', { 'a.txt': 'x\n', Containerfile: 'FROM scratch\nCOPY a.txt /\n' });
  const r = t.run(['bud', '--platform', 'linux/amd64', '--platform', 'linux/s390x', '-t', 'several', dir]);
  assert.is(r.code, 0, r.stderr);
  const built = ids(r);
  assert.is(built.length, 2);
  assert.is(stored(t, 'several')[0]!.id, built[1]);
  assert.is(config('several').architecture, 's390x');
  assert.is(config(built[0]!).architecture, 'amd64');
});

test('--jobs 2 builds platforms at once, --jobs 1 one after the other; the list keeps the order given', async () => {
  const dir = context('parallel', {
    Containerfile: [
      'FROM --platform=$BUILDPLATFORM busybox AS timing',
      'RUN cut -d" " -f1 /proc/uptime > /start && sleep 2 && cut -d" " -f1 /proc/uptime > /end',
      'FROM scratch',
      'ARG TARGETARCH',
      'COPY --from=timing /start /end /',
      'LABEL arch=$TARGETARCH',
      '',
    ].join('\n'),
  });
  const spans = async (jobs: string) => {
    const list = `parallel:jobs${jobs}`;
    const r = await trowel(['bud', '--jobs', jobs, '--platform', 'linux/ppc64le,linux/riscv64', '--manifest', list, dir]);
    assert.is(r.code, 0, r.stderr);
    const built = ids(r);
    assert.is(built.length, 2);
    const byArch = new Map(built.map((id) => [config(id).architecture, id]));
    assert.equal([...byArch.keys()].sort(), ['ppc64le', 'riscv64']);
    for (const [arch, id] of byArch) assert.equal(JSON.parse(t.ok(['inspect', '--format', '{{json .OCIv1.config.Labels}}', id])), { arch });
    assert.equal(listEntries(list).map((e) => e.platform.architecture), ['ppc64le', 'riscv64']);
    const [as, ae, bs, be] = [...byArch.values()].flatMap((id) => [Number(readFromImage(t, id, 'start')), Number(readFromImage(t, id, 'end'))]);
    return as! < be! && bs! < ae!;
  };
  assert.ok(await spans('2'), 'with two jobs the platforms\' builds overlap');
  assert.not.ok(await spans('1'), 'with one job they do not');
  assert.equal(t.ok(['containers', '-q']), '');
  assert.equal(mountsUnder(t.root), []);
});

test('with --jobs 2 one platform failing stops the other; no list, containers or mounts are left', async () => {
  const dir = context('parallel-fail', {
    Containerfile: 'FROM --platform=$BUILDPLATFORM busybox\nARG TARGETARCH\nRUN if [ "$TARGETARCH" = riscv64 ]; then exit 3; fi; sleep 5\n',
  });
  const r = await trowel(['bud', '--jobs', '2', '--platform', 'linux/ppc64le,linux/riscv64', '--manifest', 'failed:list', dir]);
  assert.is(r.code, 3, r.stderr);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, /error building at STEP "RUN if .*exit status 3/);
  assert.is(t.run(['manifest', 'exists', 'failed:list']).code, 1);
  assert.equal(t.ok(['containers', '-q']), '');
  assert.equal(mountsUnder(t.root), []);
});

test('--os/--arch/--variant build one image for that platform', () => {
  const dir = context('parts', { 'a.txt': 'x\n', Containerfile: 'FROM scratch\nCOPY a.txt /\n' });
  const r = t.run(['bud', '-q', '--arch', 'arm', '--variant', 'v6', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = config(r.stdout.trim());
  assert.equal([c.os, c.architecture, c.variant], ['linux', 'arm', 'v6']);
  const bare = t.run(['bud', '-q', '--arch', 'aarch64', dir]);
  assert.is(config(bare.stdout.trim()).architecture, 'arm64');
});

test('push --all of a built list: the registry holds both platforms (skopeo --raw)', async () => {
  const r = await trowel(['manifest', 'push', '--all', '--tls-verify=false', 'app:multi', `docker://${reg.host}/built/app:multi`]);
  assert.is(r.code, 0, r.stderr);
  const index = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/built/app:multi`]));
  // (The rebuild above replaced the arm64 entry in its place.)
  assert.equal(index.manifests.map((m: Entry) => m.platform), [{ architecture: 'arm64', os: 'linux' }, { architecture: 'amd64', os: 'linux' }]);
  for (const arch of ['arm64', 'amd64']) {
    const cfg = JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', '--override-arch', arch, `docker://${reg.host}/built/app:multi`]));
    assert.is(cfg.architecture, arch);
  }
});

test('FROM a registry index picks each platform\'s image; --all-platforms takes the index\'s platforms', async () => {
  for (const arch of ['arm64', 'amd64']) {
    const dir = context(`base-${arch}`, { 'arch.txt': `${arch}\n`, Containerfile: 'FROM scratch\nCOPY arch.txt /arch.txt\n' });
    const r = t.run(['bud', '--platform', `linux/${arch}`, '--manifest', 'base:multi', dir]);
    assert.is(r.code, 0, r.stderr);
  }
  // A local list as the base: each platform's build takes that platform's child.
  const onLocal = context('on-local-list', { 'app.txt': 'app\n', Containerfile: 'FROM base:multi\nCOPY app.txt /app.txt\n' });
  const local = await trowel(['bud', '--pull=never', '--all-platforms', '--manifest', 'app:on-local-list', onLocal]);
  assert.is(local.code, 0, local.stderr);
  const [localArm, localAmd] = ids(local);
  assert.is(readFromImage(t, localArm!, 'arch.txt'), 'arm64\n');
  assert.is(readFromImage(t, localAmd!, 'arch.txt'), 'amd64\n');
  assert.equal(listEntries('app:on-local-list').map((e) => e.platform.architecture), ['arm64', 'amd64']);

  const pushed = await trowel(['manifest', 'push', '--all', '--tls-verify=false', 'base:multi', `docker://${reg.host}/base/multi:1`]);
  assert.is(pushed.code, 0, pushed.stderr);

  const fresh = new TrowelSandbox('trowel-bud-platform-fresh-');
  try {
    const dir = context('on-index', { 'app.txt': 'app\n', Containerfile: `FROM ${reg.host}/base/multi:1\nCOPY app.txt /app.txt\n` });
    const r = await trowel(['bud', '--tls-verify=false', '--platform', 'linux/amd64,linux/arm64', '--manifest', 'app:on-index', dir], fresh);
    assert.is(r.code, 0, r.stderr);
    const [amd, arm] = ids(r);
    assert.is(readFromImage(fresh, arm!, 'arch.txt'), 'arm64\n');
    assert.is(readFromImage(fresh, amd!, 'arch.txt'), 'amd64\n');
    assert.is(config(arm!, fresh).architecture, 'arm64');
    assert.equal(listEntries('app:on-index', fresh).map((e) => e.platform.architecture), ['amd64', 'arm64']);

    const all = await trowel(['bud', '--tls-verify=false', '--all-platforms', '--manifest', 'app:all', dir], fresh);
    assert.is(all.code, 0, all.stderr);
    assert.equal(listEntries('app:all', fresh).map((e) => e.platform.architecture), ['arm64', 'amd64'], 'in the order of the base index');
  } finally {
    fresh.cleanup();
  }
});

test('a RUN for a foreign architecture fails before any work, naming the step, the platform and the emulator', () => {
  const foreign = hostPlatform().architecture === 's390x' ? 'ppc64le' : 's390x';
  const dir = context('foreign-run', { 'a.txt': 'x\n', Containerfile: 'FROM scratch\nCOPY a.txt /\nRUN ["/bin/true"]\n' });
  const before = imageIds();
  const r = t.run(['bud', '--platform', `linux/${foreign}`, '-t', 'foreign-run', dir]);
  if (findEmulator({ os: 'linux', architecture: foreign }) !== undefined) {
    // This machine can emulate it: the refusal cannot be observed here; the RUN is attempted instead.
    assert.not.match(r.stderr, /needs an emulator/);
    return;
  }
  assert.is(r.code, 125);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, new RegExp(`STEP "RUN \\["/bin/true"\\]" \\(Containerfile:3\\): run for linux/${foreign}: .*needs an emulator.*qemu-${foreign}.*binfmt_misc`));
  assert.not.match(r.stdout, /STEP 2\/3/, 'the COPY before it did not run');
  assert.equal(imageIds(), before, 'nothing was built');
  assert.equal(t.ok(['containers', '-q']), '');
});

test('a stage FROM --platform=$BUILDPLATFORM runs its RUN natively while the image is for the target platform', () => {
  const dir = context('cross', {
    Containerfile: [
      'FROM --platform=$BUILDPLATFORM busybox AS build',
      'ARG TARGETARCH',
      'RUN echo "$TARGETARCH" > /built-for',
      'FROM scratch',
      'ARG TARGETPLATFORM',
      'LABEL target=$TARGETPLATFORM',
      'COPY --from=build /built-for /built-for',
      '',
    ].join('\n'),
  });
  const r = t.run(['bud', '--platform', 'linux/arm64,linux/s390x', '--manifest', 'cross:list', dir]);
  assert.is(r.code, 0, r.stderr);
  const built = ids(r);
  assert.is(built.length, 2);
  for (const [id, arch] of [[built[0]!, 'arm64'], [built[1]!, 's390x']] as const) {
    assert.is(readFromImage(t, id, 'built-for'), `${arch}\n`);
    assert.is(config(id).architecture, arch);
    assert.equal(JSON.parse(t.ok(['inspect', '--format', '{{json .OCIv1.config.Labels}}', id])), { target: `linux/${arch}` });
  }
  assert.equal(listEntries('cross:list').map((e) => e.platform.architecture), ['arm64', 's390x']);
});

test('--manifest naming an image (not a list) is refused before building', () => {
  const dir = context('not-a-list', { 'a.txt': 'x\n', Containerfile: 'FROM scratch\nCOPY a.txt /\n' });
  const before = imageIds();
  const r = t.run(['bud', '--manifest', 'busybox', dir]);
  assert.is(r.code, 125);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, /localhost\/busybox:latest is an image .*not a manifest list/);
  assert.not.match(r.stdout, /STEP/);
  assert.equal(imageIds(), before);
});

test('bad --platform values and flag mixes are refused with one line', () => {
  const dir = context('bad', { 'a.txt': 'x\n', Containerfile: 'FROM scratch\nCOPY a.txt /\n' });
  const cases: [string[], RegExp][] = [
    [['--platform', 'linux'], /parse platform "linux": want os\/arch\[\/variant\]/],
    [['--platform', 'linux/arm64/v8/x'], /parse platform "linux\/arm64\/v8\/x"/],
    [['--platform', 'linux/pdp11'], /unknown architecture "pdp11"/],
    [['--platform', 'beos/amd64'], /unknown operating system "beos"/],
    [['--platform', 'linux/arm/seven'], /variant "seven"/],
    [['--platform', ','], /parse platform/],
    [['--platform', 'linux/amd64', '--arch', 'arm64'], /--platform cannot be used with --os, --arch or --variant/],
    [['--all-platforms', '--platform', 'linux/amd64'], /--all-platforms cannot be used with --platform/],
    [['--platform', 'linux/amd64,linux/arm64', '--iidfile', join(work, 'iid')], /building 2 images .*--iidfile .* can only be used with one/],
    [['--all-platforms'], /--all-platforms needs a base image other than scratch/],
    [['-t', 'same', '--manifest', 'localhost/same:latest'], /--manifest localhost\/same:latest is also a -t name/],
  ];
  const before = imageIds();
  for (const [flags, message] of cases) {
    const r = t.run(['bud', ...flags, dir]);
    assert.is(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(imageIds(), before, 'nothing was built');
});

test('a local image for another platform is not used: the error says which platform it is', () => {
  const dir = context('local-other', { 'a.txt': 'x\n', Containerfile: 'FROM busybox\nCOPY a.txt /\n' });
  const other = hostPlatform().architecture === 'arm64' ? 'linux/amd64' : 'linux/arm64';
  const r = t.run(['bud', '--pull=never', '--platform', other, dir]);
  assert.is(r.code, 125);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, new RegExp(`resolve base image busybox: the local image is for linux/${hostPlatform().architecture}\\S*, not ${other}`));
});

test.run();
