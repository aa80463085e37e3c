// runInWorkingContainer as root on a busybox layer stack, with kernel overlay.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxRootfs } from '../../test/support/busybox-rootfs.js';
import { ExecutableNotFoundError } from '../../native/runner.js';
import type { ImageConfig } from '../../oci/image-config.js';
import { buildRunSpec, runInWorkingContainer, sweepDeadRunDirs, tidyUpperDir, type RunContext, type RunOptions, type RunTarget } from './run-step.js';
import { resolveStorageDriver } from './storage-driver.js';

const base = mkdtempSync(join(tmpdir(), 'trowel-runstep-'));
const lower = writeBusyboxRootfs(join(base, 'lower'));
const ctx: RunContext = { runDir: join(base, 'run'), cacheDir: join(base, 'cache'), driver: resolveStorageDriver({ env: {}, configFiles: [] }) };
let n = 0;

function container(config: ImageConfig['config'] = {}): RunTarget {
  const d = join(base, `c${++n}`);
  const layers = { lowerDirs: [lower], upperDir: join(d, 'upper'), workDir: join(d, 'work'), target: join(d, 'merged') };
  for (const p of [layers.upperDir, layers.workDir, layers.target]) mkdirSync(p, { recursive: true });
  const id = `${n}`.padStart(4, '0') + 'abcdef0123456789'.repeat(4);
  return { id, name: `c${n}-working-container`, config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config }, layers };
}


/** Runs with stdout redirected inside the command to a file in a bind-mounted directory. */
async function capture(t: RunTarget, opts: Omit<RunOptions, 'stdio'>, context: RunContext = ctx): Promise<{ out: string; exitCode: number }> {
  const outDir = mkdtempSync(join(base, 'out-'));
  chmodSync(outDir, 0o777); // the command may run as another user
  const script = opts.argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await runInWorkingContainer(
    t,
    { ...opts, argv: ['sh', '-c', `${script} > /.trowel-test-out/stdout`], volumes: [...(opts.volumes ?? []), `${outDir}:/.trowel-test-out`], stdio: 'inherit', forwardSignals: false },
    context,
  );
  return { out: readFileSync(join(outDir, 'stdout'), 'utf8'), exitCode: r.exitCode };
}

test('defaults: root, hostname from the id, config env and workdir, HOME, generated /etc files', async () => {
  const t = container({ Env: ['PATH=/bin:/usr/bin', 'FOO=from-config'], WorkingDir: '/srv/app' });
  const { out, exitCode } = await capture(t, { argv: ['sh', '-c', 'id -u; hostname; echo $FOO $HOME; pwd; cat /etc/hostname; grep -c "" /etc/hosts'], env: ['BAR=x'] });
  assert.is(exitCode, 0);
  const l = out.split('\n');
  assert.is(l[0], '0');
  assert.is(l[1], t.id.slice(0, 12));
  assert.is(l[2], 'from-config /root');
  assert.is(l[3], '/srv/app');
  assert.is(l[4], t.id.slice(0, 12));
  assert.not.ok(existsSync(join(t.layers.upperDir, 'etc/hosts')), 'hosts not in the upper dir');
  assert.not.ok(existsSync(join(t.layers.upperDir, 'etc/hostname')), 'hostname not in the upper dir');
  assert.not.ok(existsSync(join(t.layers.upperDir, '.trowel-test-out')), 'volume mount point removed');
  assert.equal(readdirSync(ctx.runDir), [], 'per-run files removed');
});

test('HOSTNAME is in the environment as the hostname unless the config or --env set it, as buildah', async () => {
  // The environment as passed (busybox sh would make up an unexported HOSTNAME of its own).
  const hostnameVar = async (t: RunTarget, opts: Partial<RunOptions> = {}) =>
    (await capture(t, { argv: ['env'], ...opts })).out.split('\n').filter((l) => l.startsWith('HOSTNAME='));
  const t = container({ Env: ['PATH=/bin'] });
  assert.equal(await hostnameVar(t), [`HOSTNAME=${t.id.slice(0, 12)}`]);
  assert.equal(await hostnameVar(t, { hostname: 'named' }), ['HOSTNAME=named']);
  assert.equal(await hostnameVar(t, { env: ['HOSTNAME=mine'] }), ['HOSTNAME=mine']);
  assert.equal(await hostnameVar(container({ Env: ['PATH=/bin', 'HOSTNAME=cfg'] })), ['HOSTNAME=cfg']);
});

test('--user by name from the container, with its groups and home', async () => {
  const { out } = await capture(container(), { argv: ['sh', '-c', 'id; echo $HOME'], user: 'tester' });
  assert.is(out, 'uid=1000(tester) gid=1000(tester) groups=1001(extra)\n/home/tester\n');
});

test('USER from the config applies when --user is absent', async () => {
  const { out } = await capture(container({ User: 'nobody' }), { argv: ['id', '-u'] });
  assert.is(out.trim(), '65534');
});

test('exit code passes through; command not found is exit 127', async () => {
  assert.is((await runInWorkingContainer(container(), { argv: ['sh', '-c', 'exit 3'], stdio: 'ignore', forwardSignals: false }, ctx)).exitCode, 3);
  try {
    await runInWorkingContainer(container(), { argv: ['nonexistent-cmd'], stdio: 'ignore', forwardSignals: false }, ctx);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ExecutableNotFoundError);
    assert.is((e as Error).message, `run container c${n}-working-container: exec: "nonexistent-cmd": executable file not found in $PATH`);
  }
});

test('bad input is refused before anything runs, leaving no per-run files', async () => {
  const t = container();
  const bad: Array<[RunOptions, RegExp]> = [
    [{ argv: [] }, /missing command/],
    [{ argv: ['true'], user: 'ghost' }, /no user ghost in the container's \/etc\/passwd/],
    [{ argv: ['true'], network: 'weird' }, /parse --network "weird"/],
    [{ argv: ['true'], mounts: ['type=bogus,target=/x'] }, /unknown mount type bogus/],
    [{ argv: ['true'], capAdd: ['CAP_NOPE'] }, /unknown capability/],
    [{ argv: ['true'], isolation: 'vm' }, /parse --isolation "vm"/],
  ];
  for (const [o, re] of bad) {
    try {
      await runInWorkingContainer(t, { ...o, stdio: 'ignore' }, ctx);
      assert.unreachable(`accepted ${JSON.stringify(o)}`);
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  }
  assert.equal(existsSync(ctx.runDir) ? readdirSync(ctx.runDir) : [], []);
});

test('spec: default caps are buildah\'s, masks and read-only paths set, userns absent as root', async () => {
  const t = container();
  const { spec, scratchDir } = await buildRunSpec(t, { argv: ['true'], capDrop: ['CAP_KILL'] }, ctx);
  rmSync(scratchDir, { recursive: true });
  assert.equal(spec.capabilities, [0, 1, 3, 4, 6, 7, 8, 10, 18, 31]);
  assert.ok(spec.maskedPaths!.includes('/proc/kcore'));
  assert.is(spec.userNamespace, undefined);
  assert.is(spec.rootfs.kind, 'overlay');
  assert.is(spec.seccomp, true, 'the seccomp filter is on by default');
});

test('cache mounts persist between runs', async () => {
  const t = container();
  await runInWorkingContainer(t, { argv: ['sh', '-c', 'echo kept > /cache/f'], mounts: ['type=cache,target=/cache,id=k'], stdio: 'ignore', forwardSignals: false }, ctx);
  const { out } = await capture(container(), { argv: ['cat', '/cache/f'], mounts: ['type=cache,target=/cache,id=k'] });
  assert.is(out, 'kept\n');
  assert.not.ok(existsSync(join(t.layers.upperDir, 'cache/f')));
});

test('an overlay volume (-v …:O): the command changes what it sees, the host directory stays as it was', async () => {
  const host = mkdtempSync(join(base, 'ovl-'));
  writeFileSync(join(host, 'kept'), 'host\n');
  const t = container();
  const { out, exitCode } = await capture(t, {
    argv: ['sh', '-c', 'cat /data/kept && echo changed > /data/kept && echo new > /data/added && rm -f /data/gone && cat /data/kept /data/added && ls /data'],
    volumes: [`${host}:/data:O`],
  });
  assert.is(exitCode, 0);
  assert.is(out, 'host\nchanged\nnew\nadded\nkept\n');
  assert.equal(readdirSync(host), ['kept']);
  assert.is(readFileSync(join(host, 'kept'), 'utf8'), 'host\n');
  assert.not.ok(existsSync(join(t.layers.upperDir, 'data/added')), 'nothing reaches the container either');
  assert.equal(readdirSync(ctx.runDir).filter((n) => n.startsWith(`run-${process.pid}-`)), [], 'the upper directory went with the run');
});

test('kernel overlay that cannot mount falls back to fuse-overlayfs when nothing chose the driver', async () => {
  const t = container();
  // An option the kernel refuses (fuse-overlayfs ignores it) makes the kernel mount fail.
  const broken: RunContext = { ...ctx, driver: { driver: 'overlay', mountOptions: ['trowel_no_such_option'], isDefault: true } };
  const { out } = await capture(t, { argv: ['sh', '-c', 'grep " / " /proc/mounts | cut -d" " -f3'] }, broken);
  assert.is(out.trim(), 'fuse.fuse-overlayfs');
  const chosen: RunContext = { ...ctx, driver: { driver: 'overlay', mountOptions: ['trowel_no_such_option'], isDefault: false } };
  try {
    await runInWorkingContainer(t, { argv: ['true'], stdio: 'ignore', forwardSignals: false }, chosen);
    assert.unreachable('an explicitly chosen driver must not fall back');
  } catch (e) {
    assert.match((e as Error).message, /mount overlay on .*merged: Invalid argument/);
  }
});

test('a killed run leaves mount targets that the next run removes from the upper dir', async () => {
  const t = container();
  const noHosts = readdirSync(join(lower, 'etc')).includes('hosts');
  assert.not.ok(noHosts, 'fixture has no /etc/hosts');
  const child = (await import('node:child_process')).spawn(process.execPath, ['--input-type=module', '-e', `
    const { runInWorkingContainer } = await import(${JSON.stringify(new URL('./run-step.js', import.meta.url).href)});
    await runInWorkingContainer(${JSON.stringify(t)}, { argv: ['sleep', '60'], stdio: 'ignore' }, ${JSON.stringify(ctx)});
  `], { stdio: 'ignore' });
  const hosts = join(t.layers.upperDir, 'etc/hosts');
  const end = Date.now() + 15000;
  while (!existsSync(hosts) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.ok(existsSync(hosts), 'the killed run left its mount target');
  await runInWorkingContainer(t, { argv: ['true'], stdio: 'ignore', forwardSignals: false }, ctx);
  assert.not.ok(existsSync(hosts), 'removed by the next run');
  assert.not.ok(existsSync(join(t.layers.upperDir, 'proc')), 'created /proc removed too');
});

test('per-run directories of dead trowel processes are swept', () => {
  const dir = join(base, 'sweep');
  mkdirSync(join(dir, 'run-999999999-abc'), { recursive: true }); // no such pid
  mkdirSync(join(dir, `run-${process.pid}-def`), { recursive: true }); // this live process
  mkdirSync(join(dir, 'other'), { recursive: true });
  sweepDeadRunDirs(dir);
  assert.equal(readdirSync(dir).sort(), ['other', `run-${process.pid}-def`]);
});

test('tidy upper dir symlink escape: a parent made a symlink to a host dir is not followed', () => {
  const d = join(base, 'tidy');
  const upper = join(d, 'upper');
  const hostDir = join(d, 'host-dir');
  mkdirSync(upper, { recursive: true });
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'hosts'), ''); // empty host file the attack wants removed
  symlinkSync(hostDir, join(upper, 'etc'));
  mkdirSync(join(upper, 'proc'));
  tidyUpperDir({ lowerDirs: [lower], upperDir: upper, workDir: join(d, 'w'), target: join(d, 'm') }, ['/etc/hosts', '/proc']);
  assert.ok(existsSync(join(hostDir, 'hosts')), 'host file kept');
  assert.ok(existsSync(join(upper, 'proc')), 'proc exists in the lower layer, so it stays');
  mkdirSync(join(upper, 'only-here'));
  tidyUpperDir({ lowerDirs: [lower], upperDir: upper, workDir: join(d, 'w'), target: join(d, 'm') }, ['/only-here']);
  assert.not.ok(existsSync(join(upper, 'only-here')), 'an empty created dir is removed');
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
