// The helper as root with every root driver: kernel overlay, fuse-overlayfs, plain directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { writeBusyboxRootfs } from '../test/support/busybox-rootfs.js';
import {
  encodeRunSpec,
  ExecutableNotFoundError,
  runInContainer,
  startRun,
  type HelperRunSpec,
  type RootfsSpec,
} from './runner.js';

const base = mkdtempSync(join(tmpdir(), 'trowel-runner-'));
const lower = writeBusyboxRootfs(join(base, 'lower'));
const PATH_ENV = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';
let counter = 0;

type Driver = 'overlay' | 'fuse-overlayfs' | 'directory';

function freshRoot(driver: Driver): { rootfs: RootfsSpec; upper: string; target: string } {
  const d = join(base, `c${++counter}`);
  const upper = join(d, 'upper');
  const work = join(d, 'work');
  const target = join(d, 'merged');
  for (const x of [upper, work, target]) mkdirSync(x, { recursive: true });
  if (driver === 'overlay') return { rootfs: { kind: 'overlay', target, lowerDirs: [lower], upperDir: upper, workDir: work }, upper, target };
  if (driver === 'fuse-overlayfs') {
    return {
      rootfs: { kind: 'program', target, argv: ['/usr/bin/fuse-overlayfs', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target] },
      upper,
      target,
    };
  }
  writeBusyboxRootfs(upper);
  return { rootfs: { kind: 'directory', path: upper }, upper, target: upper };
}

function spec(rootfs: RootfsSpec, argv: string[], extra: Partial<HelperRunSpec> = {}): HelperRunSpec {
  return { rootfs, argv, env: [PATH_ENV], cwd: '/', uid: 0, gid: 0, hostname: 'c0ffee', network: 'host', ...extra };
}

/** Runs and captures stdout (stderr passes through for diagnosis). */
async function capture(s: HelperRunSpec): Promise<{ out: string; exitCode: number }> {
  const h = startRun(s, { what: 'run test container', stdio: ['ignore', 'pipe', 'inherit'], forwardSignals: false });
  let out = '';
  h.stdout!.setEncoding('utf8');
  h.stdout!.on('data', (d: string) => (out += d));
  const r = await h.done;
  return { out, exitCode: r.exitCode };
}

function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(path));
}

function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

test('the spec is NUL-separated records with field counts', () => {
  const b = encodeRunSpec(spec({ kind: 'directory', path: '/r' }, ['sh', '-c', 'true']));
  const fields = b.toString('utf8').split('\0');
  const i = fields.indexOf('argv');
  assert.ok(i >= 0);
  assert.equal(fields.slice(i, i + 5), ['argv', '3', 'sh', '-c', 'true']);
  assert.equal(fields.slice(0, 3), ['mode', '1', 'run']);
});

test('host namespaces are one host-ns record naming them', () => {
  const b = encodeRunSpec({ ...spec({ kind: 'directory', path: '/r' }, ['true']), hostNamespaces: ['pid', 'uts'] });
  const fields = b.toString('utf8').split('\0');
  const i = fields.indexOf('host-ns');
  assert.equal(fields.slice(i, i + 4), ['host-ns', '2', 'pid', 'uts']);
  assert.not.ok(encodeRunSpec(spec({ kind: 'directory', path: '/r' }, ['true'])).toString('utf8').split('\0').includes('host-ns'));
});

test('a NUL byte in an argument is refused', () => {
  assert.throws(() => encodeRunSpec(spec({ kind: 'directory', path: '/r' }, ['a\0b'])), /NUL/);
});

for (const driver of ['overlay', 'fuse-overlayfs', 'directory'] as Driver[]) {
  test(`${driver}: id, hostname, pid, uid_map`, async () => {
    const { rootfs } = freshRoot(driver);
    const { out, exitCode } = await capture(spec(rootfs, ['sh', '-c', 'id; hostname; echo pid=$$; cat /proc/self/uid_map']));
    assert.is(exitCode, 0);
    const lines = out.split('\n');
    assert.is(lines[0], 'uid=0(root) gid=0(root)');
    assert.is(lines[1], 'c0ffee');
    // pid 1 is the reaping init; the command is its child.
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    assert.ok(pid >= 2 && pid < 10, `pid ${pid}`);
    assert.match(out, /^\s*0\s+0\s+4294967295$/m);
  });

  test(`${driver}: host files are invisible and writes land in the upper dir only`, async () => {
    const { rootfs, upper } = freshRoot(driver);
    const hostMarker = join(base, `host-only-${driver}`);
    writeFileSync(hostMarker, 'secret');
    const { out, exitCode } = await capture(
      spec(rootfs, ['sh', '-c', `test -e ${hostMarker} && echo visible || echo invisible; echo data > /root/new-file; rm /etc/group`]),
    );
    assert.is(exitCode, 0);
    assert.is(out.trim(), 'invisible');
    assert.is(readFileSync(join(upper, 'root/new-file'), 'utf8'), 'data\n');
    assert.not.ok(existsSync(join(lower, 'root/new-file')));
    assert.ok(existsSync(join(lower, 'etc/group')), 'lower dir untouched');
  });

  test(`${driver}: a failing command's exit code comes back`, async () => {
    const { rootfs } = freshRoot(driver);
    const r = await runInContainer(spec(rootfs, ['sh', '-c', 'exit 42']), { what: 'run', stdio: 'ignore', forwardSignals: false });
    assert.is(r.exitCode, 42);
  });

  test(`${driver}: a killed run leaves no mounts and no processes`, async () => {
    const { rootfs, target } = freshRoot(driver);
    const marker = String(900000 + counter);
    const h = startRun(spec(rootfs, ['sleep', marker]), { what: 'run', stdio: 'ignore', forwardSignals: false });
    assert.ok(await waitFor(() => processesWith(marker).length > 0), 'command started');
    h.child.kill('SIGKILL');
    await h.done.catch(() => undefined);
    assert.ok(await waitFor(() => processesWith(marker).length === 0), `processes left: ${processesWith(marker)}`);
    assert.equal(mountsUnder(target), []);
  });
}

test('SIGTERM stops the whole tree and reports the signal', async () => {
  const { rootfs, target } = freshRoot('overlay');
  const marker = '123321';
  const h = startRun(spec(rootfs, ['sh', '-c', `sleep ${marker} & sleep ${marker}1; wait`]), { what: 'run', stdio: 'ignore', forwardSignals: false });
  assert.ok(await waitFor(() => processesWith(`${marker}1`).length > 0));
  h.kill('SIGTERM');
  const r = await h.done;
  assert.is(r.signal, 'SIGTERM');
  assert.is(r.exitCode, 143);
  assert.ok(await waitFor(() => processesWith(marker).length === 0), 'background sleep killed with its namespace');
  assert.equal(mountsUnder(target), []);
});

test('SIGTERM to trowel reaches every run in progress through one handler', async () => {
  const before = process.listenerCount('SIGTERM');
  const runs = Array.from({ length: 12 }, () => startRun(spec(freshRoot('directory').rootfs, ['sleep', '30']), { what: 'run', stdio: 'ignore' }));
  assert.is(process.listenerCount('SIGTERM'), before + 1);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(process.pid, 'SIGTERM');
  const outcomes = await Promise.all(runs.map((h) => h.done));
  assert.ok(outcomes.every((o) => o.signal === 'SIGTERM'), JSON.stringify(outcomes));
  assert.is(process.listenerCount('SIGTERM'), before);
});

test('command not found: executable file not found in $PATH, exit 127', async () => {
  const { rootfs } = freshRoot('overlay');
  try {
    await runInContainer(spec(rootfs, ['no-such-command']), { what: 'run container x', stdio: 'ignore', forwardSignals: false });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, ExecutableNotFoundError);
    assert.is((e as ExecutableNotFoundError).exitCode, 127);
    assert.is((e as Error).message, 'run container x: exec: "no-such-command": executable file not found in $PATH');
  }
});

test('user, groups, working directory and environment', async () => {
  const { rootfs } = freshRoot('overlay');
  const { out } = await capture(spec(rootfs, ['sh', '-c', 'id; pwd; echo $GREETING'], { uid: 1000, gid: 1000, additionalGids: [1001], cwd: '/home/tester/sub', env: [PATH_ENV, 'GREETING=hello there'] }));
  assert.equal(out.split('\n').slice(0, 3), ['uid=1000(tester) gid=1000(tester) groups=1001(extra)', '/home/tester/sub', 'hello there']);
});

test('capabilities: bounding and effective sets are the given ones', async () => {
  const { rootfs } = freshRoot('overlay');
  const caps = [0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 31]; // buildah's default set
  const { out } = await capture(spec(rootfs, ['sh', '-c', 'grep -E "^Cap(Bnd|Eff)" /proc/self/status'], { capabilities: caps }));
  assert.match(out, /CapBnd:\s+00000000800405fb/);
  assert.match(out, /CapEff:\s+00000000800405fb/);
  const asUser = await capture(spec(rootfs, ['sh', '-c', 'grep -E "^CapEff" /proc/self/status'], { capabilities: caps, uid: 1000, gid: 1000 }));
  assert.match(asUser.out, /CapEff:\s+0000000000000000/);
});

test('rlimits and no_new_privs', async () => {
  const { rootfs } = freshRoot('overlay');
  const { out } = await capture(spec(rootfs, ['sh', '-c', 'ulimit -n; grep NoNewPrivs /proc/self/status'], { rlimits: [{ type: 'nofile', soft: 321, hard: 654 }], noNewPrivileges: true }));
  assert.match(out, /^321$/m);
  assert.match(out, /NoNewPrivs:\s+1/);
});

test('seccomp: new user namespaces and keyrings refused, ordinary work unaffected', async () => {
  const { rootfs } = freshRoot('overlay');
  const probe = ['sh', '-c', 'unshare -U true 2>/dev/null && echo userns-ok || echo userns-refused; unshare -u true && echo uts-ok; (sh -c "echo child") ']; 
  const on = await capture(spec(rootfs, probe, { seccomp: true }));
  assert.equal(on.out.trim().split('\n'), ['userns-refused', 'uts-ok', 'child']);
  const off = await capture(spec(freshRoot('overlay').rootfs, probe, { seccomp: false }));
  assert.equal(off.out.trim().split('\n'), ['userns-ok', 'uts-ok', 'child']);
});

test('bind-mounted /etc/hosts is visible but never reaches the upper dir', async () => {
  const { rootfs, upper } = freshRoot('overlay');
  const hosts = join(base, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n10.1.2.3 c0ffee\n');
  const { out } = await capture(
    spec(rootfs, ['cat', '/etc/hosts'], { mounts: [{ type: 'bind', source: hosts, target: '/etc/hosts', file: true, readonly: true }] }),
  );
  assert.match(out, /10\.1\.2\.3 c0ffee/);
  assert.not.ok(existsSync(join(upper, 'etc/hosts')), 'created mount target removed after the run');
});

test('tmpfs mounts and read-only binds', async () => {
  const { rootfs } = freshRoot('overlay');
  const vol = join(base, 'vol');
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, 'f'), 'from host');
  const { out } = await capture(
    spec(rootfs, ['sh', '-c', 'cat /vol/f; touch /vol/g 2>/dev/null && echo writable || echo readonly; mount | grep " /scratch "'], {
      mounts: [
        { type: 'bind', source: vol, target: '/vol', readonly: true },
        { type: 'tmpfs', source: 'tmpfs', target: '/scratch', data: 'size=1m' },
      ],
    }),
  );
  assert.match(out, /from host/);
  assert.match(out, /readonly/);
  assert.match(out, /tmpfs on \/scratch type tmpfs/);
});

test('mount target symlink escape: a symlinked /etc in the image cannot redirect a bind onto the host', async () => {
  const d = join(base, 'escape');
  const root = writeBusyboxRootfs(join(d, 'root'));
  const victim = join(d, 'victim');
  mkdirSync(victim);
  rmSync(join(root, 'etc'), { recursive: true });
  symlinkSync(victim, join(root, 'etc')); // absolute link to a host directory
  const hosts = join(base, 'hosts2');
  writeFileSync(hosts, '127.0.0.1 localhost\n');
  await capture(spec({ kind: 'directory', path: root }, ['true'], { mounts: [{ type: 'bind', source: hosts, target: '/etc/hosts', file: true }] })).catch(() => undefined);
  assert.not.ok(existsSync(join(victim, 'hosts')), 'nothing created in the host directory');
});

test('network none cannot reach a loopback server on the host while host can', async () => {
  const server: Server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const cmd = ['sh', '-c', `printf 'GET / HTTP/1.0\r\n\r\n' | nc 127.0.0.1 ${port} 2>/dev/null | tail -n 1 | grep pong || echo unreachable`];
    const host = await capture(spec(freshRoot('overlay').rootfs, cmd, { network: 'host' }));
    assert.is(host.out.trim(), 'pong');
    const none = await capture(spec(freshRoot('overlay').rootfs, [...cmd.slice(0, 2), `${cmd[2]}; ip -o link | cut -d: -f2`], { network: 'none' }));
    assert.equal(none.out.trim().split('\n').map((s) => s.trim()), ['unreachable', 'lo']);
  } finally {
    server.close();
  }
});

test('network private (slirp4netns) as root: tap0 besides lo, with an address', async () => {
  const { out, exitCode } = await capture(spec(freshRoot('overlay').rootfs, ['sh', '-c', 'ip -o link | cut -d: -f2; ip -o -4 addr show tap0 | grep -o "inet [0-9.]*"'], { network: 'private' }));
  assert.is(exitCode, 0);
  assert.equal(out.trim().split('\n').map((s) => s.trim()), ['lo', 'tap0', 'inet 10.0.2.100']);
});

test('orphans are reparented to the init and reaped: no zombies', async () => {
  const { rootfs } = freshRoot('overlay');
  // The subshell exits at once, orphaning `sleep 0.1`, which exits while the command still runs.
  const { out } = await capture(spec(rootfs, ['sh', '-c', '(sleep 0.1 &); sleep 0.6; ps -o stat,comm | grep -c "^Z" || true']));
  assert.is(out.trim(), '0');
});

test('tty: the command gets a fresh pseudo-terminal', async () => {
  const { rootfs } = freshRoot('overlay');
  const { out } = await capture(spec(rootfs, ['tty'], { tty: true }));
  assert.match(out, /\/dev\/pts\/0/);
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

test.run();
