/**
 * `trowel bud --ssh` and `RUN --mount=type=ssh`, against real ssh-agents (openssh-client): a
 * static agent-protocol client (testdata/ssh-agent-client/agent-list.c, built here with gcc)
 * runs inside the RUN and lists the identities it gets through the forwarded socket; the
 * image keeps no trace of the socket, its path or SSH_AUTH_SOCK.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrowelSandbox, mountsUnder, sh } from '../test/support/trowel.js';
import { makeTrowelBusyboxImage } from '../test/support/busybox-image.js';

const CLIENT_SOURCE = fileURLToPath(new URL('../../testdata/ssh-agent-client/agent-list.c', import.meta.url));

let t: TrowelSandbox;
let work = '';
let client = '';
let userAgent: ChildProcess | undefined;
let userSocket = '';
/** Key files: `user` is in the test's own agent, `file` is given to trowel as a key. */
const keys = { user: '', file: '' };

function makeKey(name: string): string {
  const path = join(work, name);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@trowel-test`, '-f', path]);
  return path;
}

/** `SHA256:…` of a public key line, as ssh-keygen prints it. */
function fingerprint(pubLine: string): string {
  const file = join(work, `fp-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, pubLine.trim() + '\n');
  return sh('ssh-keygen', ['-lf', file]).split(' ')[1]!;
}

/** A context holding the client and a Containerfile. */
function context(name: string, containerfile: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  sh('cp', [client, join(dir, 'agent-list')]);
  writeFileSync(join(dir, 'Containerfile'), containerfile);
  return dir;
}

/** Processes whose command line mentions `needle` (an agent trowel may have left running). */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

test.before(async () => {
  work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-bud-ssh-'));
  t = new TrowelSandbox('trowel-bud-ssh-store-');
  makeTrowelBusyboxImage(t);
  client = join(work, 'agent-list');
  sh('gcc', ['-static', '-Os', '-o', client, CLIENT_SOURCE]);
  keys.user = makeKey('user-key');
  keys.file = makeKey('file-key');
  userSocket = join(work, 'user-agent.sock');
  userAgent = spawn('ssh-agent', ['-D', '-a', userSocket], { stdio: 'ignore' });
  for (let i = 0; i < 250 && !existsSync(userSocket); i++) await new Promise((r) => setTimeout(r, 20));
  sh('env', [`SSH_AUTH_SOCK=${userSocket}`, 'ssh-add', '-q', keys.user]);
});

test.after(() => {
  userAgent?.kill('SIGTERM');
  t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('--ssh default forwards $SSH_AUTH_SOCK: RUN lists the key, and nothing of it stays in the image', () => {
  const dir = context('default', [
    'FROM busybox',
    'COPY agent-list /usr/bin/agent-list',
    'RUN --mount=type=ssh agent-list >&2 && echo "sock=$SSH_AUTH_SOCK" >&2',
    'RUN echo "later=${SSH_AUTH_SOCK:-unset}" >&2',
    '',
  ].join('\n'));
  const r = t.run(['bud', '--ssh', 'default', '-t', 'ssh-default', dir], { env: { SSH_AUTH_SOCK: userSocket } });
  assert.is(r.code, 0, r.stderr);
  const listed = r.stderr.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  assert.ok(listed, `the agent listed no key:\n${r.stderr}`);
  assert.is(fingerprint(listed!), fingerprint(readFileSync(`${keys.user}.pub`, 'utf8')));
  assert.match(r.stderr, /^sock=\/run\/buildkit\/ssh_agent\.0$/m);
  assert.match(r.stderr, /^later=unset$/m, 'SSH_AUTH_SOCK is set for the ssh RUN only');

  const info = t.ok(['inspect', '--type', 'image', 'ssh-default']);
  const parsed = JSON.parse(info) as { OCIv1: { config: { Env?: string[] }; history: { created_by: string }[] } };
  assert.ok(parsed.OCIv1.history.some((h) => h.created_by === '/bin/sh -c --mount=type=ssh agent-list >&2 && echo "sock=$SSH_AUTH_SOCK" >&2'),
    'history shows the instruction as buildah does');
  assert.not.ok((parsed.OCIv1.config.Env ?? []).some((e) => e.startsWith('SSH_AUTH_SOCK')));
  assert.not.match(info, /trowel-ssh-|user-agent\.sock|ssh_agent/);

  const out = join(work, 'default-out');
  assert.is(t.run(['bud', '--ssh', 'default', '--output', `type=local,dest=${out}`, dir], { env: { SSH_AUTH_SOCK: userSocket } }).code, 0);
  assert.not.ok(existsSync(join(out, 'run/buildkit')), 'the mount point is not in the layer');
  assert.is(sh('find', [out, '-type', 's']).trim(), '', 'no socket in the layer');
});

test('--ssh ID=KEY starts an agent with the key for the build, honours target/mode, and stops it', () => {
  const dir = context('keyfile', [
    'FROM busybox',
    'COPY agent-list /usr/bin/agent-list',
    'RUN --mount=type=ssh,id=deploy,target=/tmp/agent.sock,mode=0640,uid=1000 agent-list >&2 && stat -c "%a %u %n" /tmp/agent.sock >&2 && echo "sock=$SSH_AUTH_SOCK" >&2',
    '',
  ].join('\n'));
  const r = t.run(['bud', '--ssh', `deploy=${keys.file}`, '-t', 'ssh-keyfile', dir], { env: { SSH_AUTH_SOCK: '' } });
  assert.is(r.code, 0, r.stderr);
  const listed = r.stderr.split('\n').filter((l) => l.startsWith('ssh-ed25519 '));
  assert.is(listed.length, 1, r.stderr);
  assert.is(fingerprint(listed[0]!), fingerprint(readFileSync(`${keys.file}.pub`, 'utf8')));
  assert.match(r.stderr, /^640 1000 \/tmp\/agent\.sock$/m);
  assert.match(r.stderr, /^sock=\/tmp\/agent\.sock$/m);
  assert.not.match(t.ok(['inspect', '--type', 'image', 'ssh-keyfile']), new RegExp(`trowel-ssh-|${keys.file}`));
  assert.equal(processesMentioning('trowel-ssh-'), [], 'the build agent is stopped');
  assert.equal(mountsUnder(t.root), []);
});

test('with --userns-uid-map the mapped root reaches its socket (owned by the mapped ids)', () => {
  const dir = context('userns', [
    'FROM busybox',
    'COPY agent-list /usr/bin/agent-list',
    'RUN --mount=type=ssh agent-list >&2 && stat -c "%u:%g %a" "$SSH_AUTH_SOCK" >&2 && cat /proc/self/uid_map >&2',
    '',
  ].join('\n'));
  const r = t.run(['bud', '--userns=container', '--userns-uid-map', '0:100000:65536', '--ssh', `default=${keys.file}`, dir], { env: { SSH_AUTH_SOCK: '' } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\s+0\s+100000\s+65536$/m);
  const listed = r.stderr.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  assert.ok(listed, r.stderr);
  assert.is(fingerprint(listed!), fingerprint(readFileSync(`${keys.file}.pub`, 'utf8')));
  assert.match(r.stderr, /^0:0 600$/m);
});

test('required=true without --ssh fails naming the step, in one line', () => {
  const dir = context('required', 'FROM busybox\nRUN --mount=type=ssh,required=true true\n');
  const r = t.run(['bud', '-t', 'ssh-required', dir], { env: { SSH_AUTH_SOCK: userSocket } });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /error building at STEP "RUN --mount=type=ssh,required=true true" \(Containerfile:2\): mount ssh default: it is required but no --ssh default was given/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(t.ok(['images']), /ssh-required/);
});

test('an optional ssh mount without --ssh is skipped: no socket, no SSH_AUTH_SOCK', () => {
  const dir = context('optional', 'FROM busybox\nRUN --mount=type=ssh echo "sock=${SSH_AUTH_SOCK:-unset}" >&2 && test ! -e /run/buildkit\n');
  const r = t.run(['bud', dir], { env: { SSH_AUTH_SOCK: userSocket } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^sock=unset$/m);
});

test('bad --ssh values are refused in one line', () => {
  const dir = context('bad', 'FROM busybox\n');
  const noSock = t.run(['bud', '--ssh', 'default', dir], { env: { SSH_AUTH_SOCK: '' } });
  assert.is(noSock.code, 125);
  assert.match(noSock.stderr, /parse --ssh "default": \$SSH_AUTH_SOCK is not set/);
  const missing = t.run(['bud', '--ssh', `k=${join(work, 'no-such-key')}`, dir]);
  assert.match(missing.stderr, /parse --ssh "k=.*no-such-key": .*no such file or socket/);
  const unusable = t.run(['bud', '--ssh', `k=${dir}/Containerfile`, context('bad2', 'FROM busybox\nRUN --mount=type=ssh,id=k true\n')]);
  assert.is.not(unusable.code, 0);
  assert.match(unusable.stderr, /add ssh key .*Containerfile for --ssh k: /);
  assert.is(unusable.stderr.trim().split('\n').length, 1, unusable.stderr);
  assert.equal(processesMentioning('trowel-ssh-'), []);
});

test.run();
