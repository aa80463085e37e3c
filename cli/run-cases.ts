/**
 * The `trowel run` CLI cases shared by the root and the rootless test files: each is run once
 * per storage driver (kernel overlay, fuse-overlayfs as mount program).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxContainer, trowelAsync, trowelSync } from '../test/support/trowel-cli.js';

/** Flags that choose each driver. */
export const DRIVERS: Record<string, string[]> = {
  overlay: [],
  'fuse-overlayfs': ['--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs'],
};

function processesWhere(match: (cmdline: string) => boolean): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return match(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }).map(Number);
}

/** Pids whose command line contains `marker` (trowel's own, which names the command, included). */
export function processesWith(marker: string): number[] {
  return processesWhere((cmdline) => cmdline.includes(marker));
}

/**
 * Pids running exactly `argv` (not trowel, whose command line also holds it after `--`): the
 * container's command has started.
 */
export function processesRunning(argv: string[]): number[] {
  const line = argv.join('\0') + '\0';
  return processesWhere((cmdline) => cmdline === line);
}

/** Polls `cond` until it holds or `ms` pass; its last value. */
export async function waitFor(cond: () => boolean, ms = 15000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

/**
 * Registers the cases; `expectUidMap` is the first line /proc/self/uid_map should show, and
 * `hostUid` the id on disk of a container uid.
 */
export function registerRunCases(root: string, expectUidMap: RegExp, hostUid: (containerUid: number) => number): void {
  let marker = 4242000 + (process.getuid?.() ?? 0);
  for (const [driver, flags] of Object.entries(DRIVERS)) {
    const run = (args: string[]) => trowelSync(root, ['run', ...flags, ...args]);

    test(`${driver}: id, hostname, pid and uid_map`, () => {
      const c = makeBusyboxContainer(root);
      const r = run([c.name, '--', 'sh', '-c', 'id; hostname; echo $$; head -n1 /proc/self/uid_map']);
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.is(lines[0], 'uid=0(root) gid=0(root)');
      assert.is(lines[1], c.id.slice(0, 12));
      const pid = Number(lines[2]);
      assert.ok(pid >= 2 && pid < 10, `pid ${pid}: a child of the reaping init`);
      assert.match(lines[3] ?? '', expectUidMap);
    });

    test(`${driver}: host files are invisible, writes land in the upper dir, /etc files stay out of it`, () => {
      const c = makeBusyboxContainer(root);
      const hostFile = join(root, 'containers');
      const r = run([c.name, '--', 'sh', '-c', `test -e ${hostFile} && echo visible || echo invisible; echo made > /root/made; cat /etc/hostname`]);
      assert.is(r.status, 0, r.stderr);
      assert.equal(r.stdout.split('\n').slice(0, 2), ['invisible', c.id.slice(0, 12)]);
      assert.is(readFileSync(join(c.upper, 'root/made'), 'utf8'), 'made\n');
      assert.not.ok(existsSync(join(c.upper, 'etc/hostname')));
      assert.not.ok(existsSync(join(c.upper, 'etc/hosts')));
    });

    test(`${driver}: an overlay volume (-v DIR:DEST:O) takes changes that never reach DIR`, () => {
      const c = makeBusyboxContainer(root);
      const host = mkdtempSync(join(root, 'overlay-volume-'));
      writeFileSync(join(host, 'seen'), 'from the host\n');
      const r = run(['-v', `${host}:/data:O`, c.name, '--', 'sh', '-c', 'cat /data/seen; echo changed > /data/seen; touch /data/new; rm /data/seen; ls -A /data']);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout, 'from the host\nnew\n');
      assert.equal(readdirSync(host), ['seen']);
      assert.is(readFileSync(join(host, 'seen'), 'utf8'), 'from the host\n');
      assert.not.ok(existsSync(join(c.upper, 'data/new')));
    });

    test(`${driver}: a U volume (-v DIR:DEST:U) is given to the command's user first`, () => {
      const c = makeBusyboxContainer(root);
      const host = mkdtempSync(join(root, 'chown-volume-'));
      chmodSync(host, 0o755); // still readable here once it belongs to another uid
      writeFileSync(join(host, 'f'), 'x');
      const r = run(['--user', 'tester', '-v', `${host}:/data:U`, c.name, '--', 'sh', '-c', 'stat -c %u:%g /data/f && echo made > /data/made']);
      const owners = ['', 'f', 'made'].map((name) => lstatSync(join(host, name), { throwIfNoEntry: false })?.uid);
      // Rootless, the directory now belongs to a sub-uid: give it back so it can be removed.
      trowelSync(root, ['unshare', 'chown', '-R', '0:0', host]);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout, '1000:1000\n');
      assert.equal(owners, [hostUid(1000), hostUid(1000), hostUid(1000)]);
    });

    test(`${driver}: the command's exit code is trowel's`, () => {
      const c = makeBusyboxContainer(root);
      const r = run([c.name, '--', 'sh', '-c', 'exit 9']);
      assert.is(r.status, 9);
      assert.is(r.stderr, 'Error: exit status 9\n');
    });

    test(`${driver}: command not found is exit 127 with buildah's message`, () => {
      const c = makeBusyboxContainer(root);
      const r = run([c.name, '--', 'no-such-cmd']);
      assert.is(r.status, 127);
      assert.is(r.stderr, `Error: run container ${c.name}: exec: "no-such-cmd": executable file not found in $PATH\n`);
    });

    test(`${driver}: a killed trowel leaves no mounts and no processes`, async () => {
      const c = makeBusyboxContainer(root);
      const m = String(++marker);
      const child = trowelAsync(root, ['run', ...flags, c.name, '--', 'sleep', m]);
      assert.ok(await waitFor(() => processesRunning(['sleep', m]).length > 0), 'command started');
      child.kill('SIGKILL');
      assert.ok(await waitFor(() => processesWith(m).length === 0), `left: ${processesWith(m)}`);
      assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), c.id);
    });

    test(`${driver}: --pid=host: a killed trowel still leaves no processes and no mounts`, async () => {
      const c = makeBusyboxContainer(root);
      const m = String(++marker);
      // No pid namespace dies with the run here: the helper's init has to kill what is left.
      const child = trowelAsync(root, ['run', ...flags, '--pid=host', c.name, '--', 'sh', '-c', `sleep ${m} & setsid sh -c "sleep ${m} &"; sleep ${m}`]);
      assert.ok(await waitFor(() => processesRunning(['sleep', m]).length >= 3), 'all three sleeps started');
      child.kill('SIGKILL');
      assert.ok(await waitFor(() => processesWith(m).length === 0), `left: ${processesWith(m)}`);
      assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), c.id);
    });

    test(`${driver}: SIGTERM stops the whole tree`, async () => {
      const c = makeBusyboxContainer(root);
      const m = String(++marker);
      const child = trowelAsync(root, ['run', ...flags, c.name, '--', 'sh', '-c', `sleep ${m} & sleep ${m}; wait`]);
      const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      assert.ok(await waitFor(() => processesRunning(['sleep', m]).length >= 2), 'both sleeps started');
      child.kill('SIGTERM');
      assert.is(await closed, 143);
      assert.ok(await waitFor(() => processesWith(m).length === 0), `left: ${processesWith(m)}`);
      assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), c.id);
    });
  }

  test("buildah's run flags reach the command", () => {
    const c = makeBusyboxContainer(root);
    const vol = mkdtempSync(join(tmpdir(), 'trowel-cli-vol-'));
    chmodSync(vol, 0o755);
    writeFileSync(join(vol, 'in'), 'from-volume\n');
    try {
      const r = trowelSync(root, [
        'run', '--env', 'FOO=bar', '--workingdir', '/srv', '--user', 'tester', '--hostname', 'myhost',
        '-v', `${vol}:/data:ro`, '--mount', 'type=tmpfs,target=/scratch', '--cap-drop', 'ALL', '--ulimit', 'nofile=100:200',
        '--security-opt', 'no-new-privileges', c.name, '--',
        'sh', '-c', 'echo $FOO; pwd; id -u; hostname; cat /data/in; touch /data/x 2>/dev/null || echo ro; grep -c " /scratch " /proc/mounts; grep CapBnd /proc/self/status; ulimit -n; grep NoNewPrivs /proc/self/status',
      ]);
      assert.is(r.status, 0, r.stderr);
      assert.equal(r.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ')), ['bar', '/srv', '1000', 'myhost', 'from-volume', 'ro', '1', 'CapBnd: 0000000000000000', '100', 'NoNewPrivs: 1', '']);
    } finally {
      rmSync(vol, { recursive: true, force: true });
    }
  });

  test("--pid=host, --ipc=host and --uts=host share the host's namespaces, and what the command leaves running is stopped", () => {
    const c = makeBusyboxContainer(root);
    const m = String(++marker);
    const shmName = `trowel-ipc-${process.pid}-${m}`;
    try {
      const r = trowelSync(root, [
        'run', '--pid=host', '--ipc=host', '--uts=host', c.name, '--', 'sh', '-c',
        `echo $$; for ns in pid ipc uts; do readlink /proc/self/ns/$ns; done; hostname; cat /etc/hostname; ` +
        `test -d /proc/${process.pid} && echo sees-the-test-process; echo shared > /dev/shm/${shmName}; sleep ${m} & setsid sh -c "sleep ${m} &"`,
      ]);
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.ok(Number(lines[0]) > 2, `the command's pid ${lines[0]} is a host pid`);
      assert.equal(lines.slice(1, 4), ['pid', 'ipc', 'uts'].map((ns) => readlinkSync(`/proc/self/ns/${ns}`)));
      assert.equal(lines.slice(4), [hostname(), hostname(), 'sees-the-test-process']);
      assert.is(readFileSync(`/dev/shm/${shmName}`, 'utf8'), 'shared\n', "the host's /dev/shm");
      assert.equal(processesRunning(['sleep', m]), [], 'background processes are stopped with the command');
      // The default stays private: other namespaces, pid 2 under the reaping init.
      const own = trowelSync(root, ['run', c.name, '--', 'sh', '-c', 'echo $$; readlink /proc/self/ns/pid; test -e /dev/shm/' + shmName + ' || echo own-shm']);
      assert.is(own.status, 0, own.stderr);
      const [pid, pidNs, shm] = own.stdout.trim().split('\n');
      assert.ok(Number(pid) < 10, `pid ${pid}`);
      assert.is.not(pidNs, readlinkSync('/proc/self/ns/pid'));
      assert.is(shm, 'own-shm');
    } finally {
      rmSync(`/dev/shm/${shmName}`, { force: true });
    }
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), c.id);
  });

  test('network none cannot reach a loopback server on the host while host can', async () => {
    const server = createServer((_q, res) => res.end('pong'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const c = makeBusyboxContainer(root);
      const probe = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 ${port} 2>/dev/null | tail -n 1 | grep pong || echo unreachable`;
      // The server lives in this process, so run trowel without blocking the event loop.
      const go = (net: string) => new Promise<string>((res) => {
        const ch = trowelAsync(root, ['run', '--network', net, c.name, '--', 'sh', '-c', probe]);
        let out = '';
        ch.stdout!.on('data', (d) => (out += d));
        ch.on('close', () => res(out.trim()));
      });
      assert.is(await go('host'), 'pong');
      assert.is(await go('none'), 'unreachable');
    } finally {
      server.close();
    }
  });

  test('bad input: one line, exit 125, nothing left behind', () => {
    const c = makeBusyboxContainer(root);
    const cases: Array<[string[], string]> = [
      [['no-such-container', '--', 'true'], 'Error: no-such-container: container not known\n'],
      [[c.name], `Error: run container ${c.name}: missing command\n`],
      [['--user', 'ghost', c.name, '--', 'true'], `Error: resolve user "ghost": no user ghost in the container's /etc/passwd\n`],
      [['--mount', 'type=bind,src=/nonexistent-src,dst=/x', c.name, '--', 'true'], 'Error: parse --mount "type=bind,src=/nonexistent-src,dst=/x": source /nonexistent-src: no such file or directory\n'],
      [['--network', 'bogus', c.name, '--', 'true'], 'Error: parse --network "bogus": want host, none or private\n'],
      [['--security-opt', 'seccomp=/profile.json', c.name, '--', 'true'], 'Error: seccomp profiles from a file (--security-opt seccomp=FILE) is not supported yet\n'],
      [['--uts=host', '--hostname', 'other', c.name, '--', 'true'], `Error: run container ${c.name}: cannot set the hostname when the UTS namespace is the host's (--uts=host)\n`],
      [['--pid', '/proc/self/ns/pid', c.name, '--', 'true'], 'Error: joining the pid namespace /proc/self/ns/pid (--pid=PATH) is not supported yet\n'],
      [['--ipc', 'bogus', c.name, '--', 'true'], 'Error: parse --ipc "bogus": want private, host or the path of a namespace\n'],
    ];
    for (const [args, message] of cases) {
      const r = trowelSync(root, ['run', ...args]);
      assert.is(r.stderr, message);
      assert.is(r.status, 125);
    }
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), root);
  });
}
