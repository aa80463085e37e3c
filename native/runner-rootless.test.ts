// The helper as an unprivileged user with sub-id ranges: a user namespace mapped through
// newuidmap/newgidmap, with kernel overlay (userxattr) and fuse-overlayfs roots.
import { reexecAsRootlessUser } from '../test/support/rootless-user.js';
reexecAsRootlessUser(import.meta.url);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxRootfs } from '../test/support/busybox-rootfs.js';
import { runInContainer, startRun, type HelperRunSpec, type RootfsSpec, type UserNamespaceSpec } from './runner.js';

const me = userInfo();
function subRange(file: string): { start: number; count: number } {
  const line = readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === me.username || f[0] === String(me.uid));
  if (!line) throw new Error(`no ${file} range for ${me.username}`);
  return { start: Number(line[1]), count: Number(line[2]) };
}
const subuid = subRange('/etc/subuid');
const subgid = subRange('/etc/subgid');
const userns: UserNamespaceSpec = {
  uidMappings: [{ containerId: 0, hostId: me.uid, size: 1 }, { containerId: 1, hostId: subuid.start, size: subuid.count }],
  gidMappings: [{ containerId: 0, hostId: me.gid, size: 1 }, { containerId: 1, hostId: subgid.start, size: subgid.count }],
  newuidmap: '/usr/bin/newuidmap',
  newgidmap: '/usr/bin/newgidmap',
};

const base = mkdtempSync(join(tmpdir(), 'trowel-rootless-runner-'));
const lower = writeBusyboxRootfs(join(base, 'lower'));
let counter = 0;

function freshRoot(driver: 'overlay' | 'fuse-overlayfs'): { rootfs: RootfsSpec; upper: string; target: string } {
  const d = join(base, `c${++counter}`);
  const upper = join(d, 'upper'), work = join(d, 'work'), target = join(d, 'merged');
  for (const x of [upper, work, target]) mkdirSync(x, { recursive: true });
  if (driver === 'overlay') return { rootfs: { kind: 'overlay', target, lowerDirs: [lower], upperDir: upper, workDir: work, options: ['userxattr'] }, upper, target };
  return { rootfs: { kind: 'program', target, argv: ['/usr/bin/fuse-overlayfs', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target] }, upper, target };
}

function spec(rootfs: RootfsSpec, argv: string[], extra: Partial<HelperRunSpec> = {}): HelperRunSpec {
  return { rootfs, argv, env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], cwd: '/', uid: 0, gid: 0, hostname: 'rootless1', network: 'none', userNamespace: userns, ...extra };
}

async function capture(s: HelperRunSpec): Promise<{ out: string; exitCode: number }> {
  const h = startRun(s, { what: 'run', stdio: ['ignore', 'pipe', 'inherit'], forwardSignals: false });
  let out = '';
  h.stdout!.setEncoding('utf8');
  h.stdout!.on('data', (d: string) => (out += d));
  const { exitCode } = await h.done;
  return { out, exitCode };
}

function processesWith(marker: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker); } catch { return false; }
  }).map(Number);
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (cond()) return true; await new Promise((r) => setTimeout(r, 25)); }
  return cond();
}

test('running unprivileged', () => {
  assert.is.not(process.getuid?.(), 0);
});

for (const driver of ['overlay', 'fuse-overlayfs'] as const) {
  test(`${driver}: container root is the user, 1..N the sub-range`, async () => {
    const { out, exitCode } = await capture(spec(freshRoot(driver).rootfs, ['sh', '-c', 'id; hostname; echo pid=$$; cat /proc/self/uid_map']));
    assert.is(exitCode, 0);
    const lines = out.split('\n');
    assert.is(lines[0], 'uid=0(root) gid=0(root)');
    assert.is(lines[1], 'rootless1');
    assert.ok(Number(/pid=(\d+)/.exec(out)?.[1]) >= 2);
    assert.match(out, new RegExp(`^\\s*0\\s+${me.uid}\\s+1$`, 'm'));
    assert.match(out, new RegExp(`^\\s*1\\s+${subuid.start}\\s+${subuid.count}$`, 'm'));
  });

  test(`${driver}: files made by uid 1000 in the container belong to the sub-uid on disk`, async () => {
    const { rootfs, upper } = freshRoot(driver);
    const { exitCode } = await capture(spec(rootfs, ['sh', '-c', 'echo x > /tmp/by-tester'], { uid: 1000, gid: 1000 }));
    assert.is(exitCode, 0);
    const st = lstatSync(join(upper, 'tmp/by-tester'));
    assert.is(st.uid, subuid.start + 999);
    assert.is(st.gid, subgid.start + 999);
    assert.not.ok(existsSync(join(lower, 'tmp/by-tester')));
  });

  test(`${driver}: exit code and a killed run leaves no processes or mounts`, async () => {
    assert.is((await runInContainer(spec(freshRoot(driver).rootfs, ['sh', '-c', 'exit 7']), { what: 'run', stdio: 'ignore', forwardSignals: false })).exitCode, 7);
    const marker = String(700000 + counter);
    const h = startRun(spec(freshRoot(driver).rootfs, ['sleep', marker]), { what: 'run', stdio: 'ignore', forwardSignals: false });
    assert.ok(await waitFor(() => processesWith(marker).length > 0));
    h.child.kill('SIGKILL');
    await h.done.catch(() => undefined);
    assert.ok(await waitFor(() => processesWith(marker).length === 0), 'no process left');
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), base);
  });
}

test('network private via slirp4netns has an interface besides lo', async () => {
  const { out, exitCode } = await capture(spec(freshRoot('overlay').rootfs, ['sh', '-c', 'ip -o link | cut -d: -f2'], { network: 'private' }));
  assert.is(exitCode, 0);
  assert.equal(out.trim().split('\n').map((s) => s.trim()).sort(), ['lo', 'tap0']);
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
