/**
 * `trowel bud` end to end, through the real CLI against temporary stores: multi-stage builds,
 * tags and iidfile, --target, the --layers cache, reproducible --timestamp builds, secrets, and
 * bad input (each: one clear line, non-zero exit, nothing tagged, no containers or mounts left).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TROWEL_BIN, TrowelSandbox, mountsUnder } from '../test/support/trowel.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { writeTree } from '../test/support/files.js';
import { makeTrowelBusyboxImage } from '../test/support/busybox-image.js';
import { startRegistry } from '../test/support/registry.js';
import { formatPlatform, hostPlatform } from '../oci/platform.js';

let t: TrowelSandbox;
let work = '';

/** A context directory under the work dir with `files` (path -> content); returns its path. */
function context(name: string, files: Record<string, string>): string {
  return writeTree(join(work, name), files);
}

function containers(): string[] {
  return t.ok(['containers', '-q']).split('\n').filter((l) => l !== '');
}

function imageNames(): string {
  return t.ok(['images', '--format', '{{.Name}}:{{.Tag}}']);
}

/** Checks the clean-up promise after a failed build. */
function assertNothingLeft(): void {
  assert.equal(containers(), [], 'no working containers are left');
  assert.equal(mountsUnder(t.root), [], 'no mounts are left');
}

test.before(() => {
  ({ t, work } = setUpBuildTest('bud'));
});

test.after(() => {
  tearDownBuildTest({ t, work });
});

test('multi-stage build: RUN, heredocs, COPY --from, then the image runs', () => {
  const dir = context('multi', {
    'app.txt': 'from the context\n',
    Containerfile: [
      'FROM busybox AS build',
      'RUN mkdir /out && echo built > /out/artifact',
      'RUN <<EOF',
      'echo heredoc >> /out/artifact',
      'EOF',
      'FROM busybox',
      'COPY --from=build /out/artifact /app/artifact',
      'COPY app.txt /app/',
      'COPY <<EOF /app/inline.txt',
      'inline body',
      'EOF',
      'CMD ["cat", "/app/artifact"]',
      '',
    ].join('\n'),
  });
  const r = t.run(['bud', '-t', 'multi', '--iidfile', join(work, 'iid'), dir]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const id = lines.at(-1)!;
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.is(readFileSync(join(work, 'iid'), 'utf8'), `sha256:${id}`);
  assert.ok(lines.includes('[1/2] STEP 1/3: FROM busybox AS build'), r.stdout);
  assert.ok(lines.includes('[2/2] STEP 2/5: COPY --from=build /out/artifact /app/artifact'), r.stdout);
  assert.ok(lines.includes('[2/2] COMMIT multi'), r.stdout);
  assert.ok(lines.includes('Successfully tagged localhost/multi:latest'), r.stdout);
  const c = t.ok(['from', 'multi']);
  const out = t.ok(['run', c, '--', 'cat', '/app/artifact', '/app/app.txt', '/app/inline.txt']);
  t.ok(['rm', c]);
  assert.is(out, 'built\nheredoc\nfrom the context\ninline body');
  assert.equal(containers(), []);
});

test('--target builds only the named stage and its dependencies', () => {
  const dir = context('target', {
    Containerfile: 'FROM busybox AS first\nRUN echo first > /f\nFROM busybox AS second\nRUN exit 7\n',
  });
  const r = t.run(['bud', '--target', 'first', '--platform', formatPlatform(hostPlatform()), '-t', 'first-only', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /RUN exit 7/);
  const cfg = JSON.parse(t.ok(['inspect', '--type', 'image', 'first-only'])) as { OCIv1: { history: { created_by: string }[] } };
  assert.is(cfg.OCIv1.history.at(-1)!.created_by, '/bin/sh -c echo first > /f');
});

test('--layers: an unchanged rebuild uses the cache for every step; a changed file invalidates from its COPY on', () => {
  const dir = context('layers', {
    'a.txt': 'one\n',
    Containerfile: 'FROM busybox\nENV A=1\nRUN echo run > /r\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy-of-a\n',
  });
  const first = t.run(['bud', '--layers', '-t', 'cached', dir]);
  assert.is(first.code, 0, first.stderr);
  assert.not.match(first.stdout, /Using cache/);
  const second = t.run(['bud', '--layers', '-t', 'cached', dir]);
  assert.is(second.code, 0, second.stderr);
  assert.is((second.stdout.match(/--> Using cache [0-9a-f]{64}/g) ?? []).length, 4, second.stdout);
  assert.is(second.stdout.trim().split('\n').at(-1), first.stdout.trim().split('\n').at(-1), 'same image id');
  writeFileSync(join(dir, 'a.txt'), 'two\n');
  const third = t.run(['bud', '--layers', '-t', 'cached', dir]);
  assert.is(third.code, 0, third.stderr);
  assert.is((third.stdout.match(/Using cache/g) ?? []).length, 2, third.stdout);
  const c = t.ok(['from', 'cached']);
  assert.is(t.ok(['run', c, '--', 'cat', '/copy-of-a']), 'two');
  t.ok(['rm', c]);
  const noCache = t.run(['bud', '--layers', '--no-cache', '-t', 'cached', dir]);
  assert.not.match(noCache.stdout, /Using cache/);
});

test('independent stages run at the same time; --jobs=1 runs them one after the other', () => {
  const stage = (n: string) => `FROM busybox AS ${n}\nRUN cut -d" " -f1 /proc/uptime > /start && sleep 1 && cut -d" " -f1 /proc/uptime > /end\n`;
  const dir = context('parallel', {
    Containerfile: `${stage('x')}${stage('y')}FROM busybox\nCOPY --from=x /start /x.start\nCOPY --from=x /end /x.end\nCOPY --from=y /start /y.start\nCOPY --from=y /end /y.end\n`,
  });
  const spans = (jobs: string) => {
    const tag = `parallel-${jobs}`;
    const r = t.run(['bud', '--jobs', jobs, '-t', tag, dir]);
    assert.is(r.code, 0, r.stderr);
    const c = t.ok(['from', tag]);
    const [xs, xe, ys, ye] = t.ok(['run', c, '--', 'cat', '/x.start', '/x.end', '/y.start', '/y.end']).split('\n').map(Number);
    t.ok(['rm', c]);
    return { overlap: xs! < ye! && ys! < xe! };
  };
  assert.ok(spans('2').overlap, 'with two jobs the builder stages overlap');
  assert.not.ok(spans('1').overlap, 'with one job they do not');
});

test('--timestamp: two builds in different stores give the same image id', () => {
  const dir = context('repro', {
    'f.txt': 'same\n',
    Containerfile: 'FROM localhost/busybox:fixed\nCOPY f.txt /f.txt\nRUN echo x > /x\nLABEL a=b\n',
  });
  const other = new TrowelSandbox('trowel-bud-repro-');
  try {
    const baseHere = makeTrowelBusyboxImage(t, 'localhost/busybox:fixed', { timestamp: 0 });
    const baseThere = makeTrowelBusyboxImage(other, 'localhost/busybox:fixed', { timestamp: 0 });
    assert.is(baseHere, baseThere, 'the same base image in both stores');
    const a = t.ok(['bud', '-q', '--timestamp', '1700000000', dir]);
    const b = other.ok(['bud', '-q', '--timestamp', '1700000000', dir]);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.is(b, a, 'byte-identical config, so the same id');
    const digest = (s: TrowelSandbox) => (JSON.parse(s.ok(['inspect', '--type', 'image', a])) as { FromImageDigest?: string; Manifest: string }).Manifest;
    assert.is(digest(other), digest(t), 'byte-identical manifests');
    const viaEnv = t.ok(['bud', '-q', dir], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.is(viaEnv, a, 'SOURCE_DATE_EPOCH gives the same digest as --timestamp');
  } finally {
    other.cleanup();
  }
});

test('--output writes the file system to a directory, a tar, or a tar on stdout', () => {
  const dir = context('output', { Containerfile: 'FROM busybox\nRUN mkdir /o && echo out > /o/file && chmod 600 /o/file\n' });
  const dest = join(work, 'out-dir');
  const tarFile = join(work, 'out.tar');
  assert.is(t.run(['bud', '--output', `type=local,dest=${dest}`, dir]).code, 0);
  assert.is(readFileSync(join(dest, 'o/file'), 'utf8'), 'out\n');
  assert.is(statSync(join(dest, 'o/file')).mode & 0o777, 0o600);
  assert.is(t.run(['bud', '-o', `type=tar,dest=${tarFile}`, dir]).code, 0);
  const listing = spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).stdout;
  assert.match(listing, /^o\/file$/m, 'entries are named as buildah names them, without ./');
  // `-`: the tar alone on stdout (progress and the image id go to stderr).
  const r = spawnSync(TROWEL_BIN, ['bud', '--output', '-', dir], { env: { ...process.env, TROWEL_ROOT: t.root }, maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr.toString());
  const fromStdout = spawnSync('tar', ['-t'], { input: r.stdout, encoding: 'utf8' });
  assert.is(fromStdout.status, 0, 'stdout is a tar and nothing else');
  assert.match(fromStdout.stdout, /^o\/file$/m);
  assert.match(r.stderr.toString(), /STEP 2\/2: RUN/);
  const bad = t.run(['bud', '--output', 'type=zip,dest=x', dir]);
  assert.match(bad.stderr, /parse --output "type=zip,dest=x": type must be local or tar/);
  assert.equal(containers(), []);
});

/** Runs the CLI without blocking this process (a test server here must keep answering). */
function runAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TROWEL_BIN, args, { env: { ...process.env, TROWEL_ROOT: t.root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

test('ADD of an http URL: fetched, checked against --checksum, copied as mode 0600, never extracted', async () => {
  const body = 'remote content\n';
  const server = createServer((req, res) => {
    if (req.url === '/files/data.txt') res.end(body);
    else {
      res.statusCode = 404;
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sum = createHash('sha256').update(body).digest('hex');
  try {
    const dir = context('add-url', {
      Containerfile: `FROM busybox\nADD --checksum=sha256:${sum} http://127.0.0.1:${port}/files/data.txt /d/\nRUN stat -c %a /d/data.txt > /mode\n`,
    });
    const ok = await runAsync(['bud', '-t', 'add-url', dir]);
    assert.is(ok.code, 0, ok.stderr);
    const c = t.ok(['from', 'add-url']);
    assert.is(t.ok(['run', c, '--', 'cat', '/d/data.txt', '/mode']), 'remote content\n600');
    t.ok(['rm', c]);
    const bad = context('add-url-bad', { Containerfile: `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/files/data.txt /d/\n` });
    const mismatch = await runAsync(['bud', bad]);
    assert.is(mismatch.code, 125);
    assert.match(mismatch.stderr, /checksum mismatch/);
    const missing = context('add-url-404', { Containerfile: `FROM busybox\nADD http://127.0.0.1:${port}/nothing /n\n` });
    const notFound = await runAsync(['bud', missing]);
    assert.match(notFound.stderr, /add http:\/\/127\.0\.0\.1:\d+\/nothing: the server answered 404/);
    assertNothingLeft();
  } finally {
    server.close();
  }
});

test('bud -v DIR:DEST:O: RUN sees DIR and may change it; DIR and the image keep none of it', () => {
  const host = context('overlay-volume-host', { 'dep.txt': 'cached dependency\n' });
  const dir = context('overlay-volume', { Containerfile: 'FROM busybox\nRUN cp /cache/dep.txt /dep.txt && echo more > /cache/more && rm /cache/dep.txt\n' });
  const r = t.run(['bud', '-q', '-t', 'overlay-volume', '-v', `${host}:/cache:O`, dir]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(host).sort(), ['dep.txt']);
  const c = t.ok(['from', 'overlay-volume']);
  assert.is(t.ok(['run', c, '--', 'sh', '-c', 'cat /dep.txt; ls -A /cache 2>/dev/null | wc -l']), 'cached dependency\n0');
  t.ok(['rm', c]);
});

test('RUN settings and final-image flags: --from, --no-hosts, --http-proxy, --security-opt, --device, --os-version, --os-feature', () => {
  const dir = context('run-settings', {
    Containerfile: 'FROM nothing-here AS first\nRUN (test -e /etc/hosts && echo hosts || echo no-hosts) > /r; echo "proxy=$http_proxy" >> /r; grep NoNewPrivs /proc/self/status | tr -d "\\t" >> /r; (test -c /dev/trowel-null && echo dev || echo no-dev) >> /r\n',
  });
  const flags = ['--from', 'busybox', '--no-hosts', '--security-opt', 'no-new-privileges', '--device', '/dev/null:/dev/trowel-null',
    '--os-version', '10.0.1', '--os-feature', 'win32k', '--compress', '--disable-content-trust', '--runtime', 'runc'];
  const r = t.run(['bud', '-q', '-t', 'run-settings', ...flags, dir], { env: { http_proxy: 'http://proxy.invalid:3128' } });
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', 'run-settings']);
  assert.is(t.ok(['run', c, '--', 'cat', '/r']), 'no-hosts\nproxy=http://proxy.invalid:3128\nNoNewPrivs:1\ndev');
  t.ok(['rm', c]);
  const config = JSON.parse(t.ok(['inspect', '--type', 'image', '--format', '{{json .OCIv1}}', 'run-settings'])) as { 'os.version'?: string; 'os.features'?: string[]; config: { Env?: string[] }; history: { created_by?: string }[] };
  assert.is(config['os.version'], '10.0.1');
  assert.equal(config['os.features'], ['win32k']);
  assert.not.match(JSON.stringify(config), /proxy\.invalid/, 'the proxy is the RUN\'s alone');
  const off = t.run(['bud', '-q', '-t', 'no-proxy', '--from', 'busybox', '--http-proxy=false', dir], { env: { http_proxy: 'http://proxy.invalid:3128' } });
  assert.is(off.code, 0, off.stderr);
  const c2 = t.ok(['from', 'no-proxy']);
  assert.is(t.ok(['run', c2, '--', 'cat', '/r']), 'hosts\nproxy=\nNoNewPrivs:0\nno-dev');
  t.ok(['rm', c2]);
  const badDevice = t.run(['bud', '--device', '/dev/no-such-device', dir]);
  assert.is(badDevice.code, 125);
  assert.is(badDevice.stderr.trim().split('\n').length, 1, badDevice.stderr);
});

test('--dns, --dns-search, --dns-option shape the resolv.conf RUN steps (and runs of a `from --dns` container) see', () => {
  const dir = context('dns', { Containerfile: 'FROM busybox\nRUN cat /etc/resolv.conf > /seen; (test -e /etc/resolv.conf || echo none) >> /seen\n' });
  const r = t.run(['bud', '-q', '-t', 'dns', '--dns', '192.0.2.53', '--dns-search', 'corp.test', '--dns-option', 'ndots:3', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', '--dns', '198.51.100.7', '--dns-option', 'timeout:1', 'dns']);
  try {
    assert.match(t.ok(['run', c, '--', 'cat', '/seen']), /^nameserver 192\.0\.2\.53\nsearch corp\.test\noptions ndots:3(\n|$)/);
    assert.match(t.ok(['run', c, '--', 'cat', '/etc/resolv.conf']), /^nameserver 198\.51\.100\.7\noptions timeout:1(\n|$)/);
  } finally {
    t.ok(['rm', c]);
  }
  const none = t.run(['bud', '-q', '-t', 'dns-none', '--dns', 'none', dir]);
  assert.is(none.code, 0, none.stderr);
  const c2 = t.ok(['from', 'dns-none']);
  try {
    assert.is(t.ok(['run', c2, '--', 'cat', '/seen']), 'none', 'the image has no resolv.conf, and none was made');
  } finally {
    t.ok(['rm', c2]);
  }
  const bad = t.run(['bud', '--dns', 'resolver.example', dir]);
  assert.is(bad.code, 125);
  assert.is(bad.stderr, 'Error: parse --dns "resolver.example": not an IP address\n');
});

test('trowel run passes the proxy variables as buildah run does, unless from --http-proxy=false; the image\'s ENV wins', () => {
  const env = { HTTPS_PROXY: 'http://proxy.invalid:8080', no_proxy: 'internal.test' };
  const show = ['sh', '-c', 'echo "$HTTPS_PROXY|$no_proxy"'];
  const c = t.ok(['from', 'busybox']);
  const off = t.ok(['from', '--http-proxy=false', 'busybox']);
  try {
    assert.is(t.ok(['run', c, '--', ...show], { env }), 'http://proxy.invalid:8080|internal.test');
    assert.is(t.ok(['run', off, '--', ...show], { env }), '|');
    t.ok(['config', '--env', 'no_proxy=from-image', c]);
    assert.is(t.ok(['run', c, '--', ...show], { env }), 'http://proxy.invalid:8080|from-image');
  } finally {
    t.ok(['rm', c, off]);
  }
});

test('--stdin: RUN steps read the build\'s standard input; without it they read nothing', () => {
  const dir = context('stdin-run', { Containerfile: 'FROM busybox\nRUN cat > /got\n' });
  const withStdin = t.run(['bud', '-q', '-t', 'stdin-run', '--stdin', dir], { input: 'typed in\n' });
  assert.is(withStdin.code, 0, withStdin.stderr);
  const without = t.run(['bud', '-q', '-t', 'no-stdin-run', dir], { input: 'typed in\n' });
  assert.is(without.code, 0, without.stderr);
  const c = t.ok(['from', 'stdin-run']);
  const c2 = t.ok(['from', 'no-stdin-run']);
  try {
    assert.is(t.ok(['run', c, '--', 'cat', '/got']), 'typed in');
    assert.is(t.ok(['run', c2, '--', 'wc', '-c', '/got']), '0 /got');
  } finally {
    t.ok(['rm', c, c2]);
  }
});

test('--shm-size sizes /dev/shm for RUN steps, and for runs of a `from --shm-size` container', () => {
  const dir = context('shm', { Containerfile: 'FROM busybox\nRUN df -k /dev/shm | tail -n 1 | awk \'{print $2}\' > /shm\n' });
  const r = t.run(['bud', '-q', '-t', 'shm', '--shm-size', '16m', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', '--shm-size', '8m', 'shm']);
  const plain = t.ok(['from', 'shm']);
  try {
    assert.is(t.ok(['run', c, '--', 'cat', '/shm']), '16384');
    assert.is(t.ok(['run', c, '--', 'sh', '-c', "df -k /dev/shm | tail -n 1 | awk '{print $2}'"]), '8192');
    assert.is(t.ok(['run', plain, '--', 'sh', '-c', "df -k /dev/shm | tail -n 1 | awk '{print $2}'"]), '65536', 'the default stays 64m');
  } finally {
    t.ok(['rm', c, plain]);
  }
  const bad = t.run(['bud', '--shm-size', 'lots', dir]);
  assert.is(bad.code, 125);
  assert.is(bad.stderr, 'Error: parse --shm-size "lots": want a size such as 64m or 1g\n');
});

test('a Containerfile named *.in goes through cpp: #include from the context, --cpp-flag defines', () => {
  const dir = context('cpp', {
    'Containerfile.in': 'FROM scratch\n#include "labels.inc"\n#ifdef FLAVOR\nLABEL flavor=FLAVOR\n#endif\n',
    'labels.inc': 'LABEL included=yes\n',
  });
  const r = t.run(['bud', '-q', '-t', 'cpp', '-f', join(dir, 'Containerfile.in'), '--cpp-flag', '-DFLAVOR=mint', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(t.ok(['inspect', '--type', 'image', '--format', '{{.OCIv1.Config.Labels}}', 'cpp']), /^map\[flavor:mint included:yes\]$/);
  const bad = t.run(['bud', '-f', join(dir, 'Containerfile.in'), '--cpp-flag', '-include', '--cpp-flag', 'missing.h', dir]);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^Error: build image: preprocess .*Containerfile\.in: .*missing\.h/);
  assert.is(bad.stderr.split('\n').length, 2, bad.stderr);
});

test('--logsplit: with --logfile, each platform\'s output goes to LOGFILE_OS_ARCH', () => {
  const dir = context('logsplit', { Containerfile: 'FROM scratch\nCOPY f /f\n', f: 'x' });
  const logfile = join(work, 'split.log');
  const r = t.run(['bud', '--platform', 'linux/amd64,linux/arm64', '--logfile', logfile, '--logsplit', dir]);
  assert.is(r.code, 0, r.stderr);
  for (const arch of ['amd64', 'arm64']) {
    const text = readFileSync(`${logfile}_linux_${arch}`, 'utf8');
    assert.match(text, /^STEP 1\/2: FROM scratch\nSTEP 2\/2: COPY f \/f\nCOMMIT\n/m, arch);
    assert.not.match(text, /\[linux\//, 'no platform prefix in a platform\'s own file');
  }
  const bad = t.run(['bud', '--logsplit', dir]);
  assert.is(bad.code, 125);
  assert.is(bad.stderr, 'Error: build image: --logsplit needs --logfile\n');
});

test('context from stdin: a tar, or just a Containerfile', () => {
  const dir = context('stdin', { 'in.txt': 'from the tar\n', Containerfile: 'FROM busybox\nCOPY in.txt /in.txt\n' });
  const tarBytes = spawnSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 24 }).stdout;
  const fromTar = spawnSync(TROWEL_BIN, ['bud', '-q', '-t', 'stdin-tar', '-'], { input: tarBytes, env: { ...process.env, TROWEL_ROOT: t.root }, encoding: 'utf8' });
  assert.is(fromTar.status, 0, fromTar.stderr);
  const c = t.ok(['from', 'stdin-tar']);
  assert.is(t.ok(['run', c, '--', 'cat', '/in.txt']), 'from the tar');
  t.ok(['rm', c]);
  const fromText = t.run(['bud', '-q', '-t', 'stdin-text', '-'], { input: 'FROM busybox\nLABEL via=stdin\n' });
  assert.is(fromText.code, 0, fromText.stderr);
  assert.match(t.ok(['inspect', '--type', 'image', '--format', '{{.OCIv1.Config.Labels}}', 'stdin-text']), /via:stdin/);
});

test('final-image flags: --label, --env, --unsetenv, --unsetlabel, --annotation, --squash, --omit-history, --format, --logfile', () => {
  const dir = context('flags', { Containerfile: 'FROM busybox\nENV KEEP=1 DROP=2\nLABEL keep=1 drop=2\nRUN echo layer > /l\n' });
  const logfile = join(work, 'build.log');
  const r = t.run(['bud', '-t', 'flags', '--label', 'added=yes', '--env', 'NEW=3', '--unsetenv', 'DROP', '--unsetlabel', 'drop',
    '--annotation', 'org.example.note=hi', '--squash', '--omit-history', '--format', 'docker', '--logfile', logfile, dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(readFileSync(logfile, 'utf8'), /STEP 4\/4: RUN echo layer > \/l/);
  assert.not.match(r.stdout, /STEP/, 'progress went to the log file');
  const info = JSON.parse(t.ok(['inspect', '--type', 'image', 'flags'])) as { Docker: { config: { Env: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] }; history?: unknown[] }; Manifest: string };
  assert.equal(info.Docker.config.Labels, { keep: '1', added: 'yes' });
  assert.ok(info.Docker.config.Env.includes('NEW=3') && info.Docker.config.Env.includes('KEEP=1'));
  assert.not.ok(info.Docker.config.Env.some((e) => e.startsWith('DROP=')));
  assert.is(info.Docker.rootfs.diff_ids.length, 1, 'squashed to one layer');
  assert.is(info.Docker.history, undefined);
  const manifest = JSON.parse(info.Manifest) as { mediaType: string };
  assert.is(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
});

test('COPY --exclude leaves out matching paths, relative to the source directory', () => {
  const dir = context('exclude', {
    'src/a.txt': 'a', 'src/b.log': 'b', 'src/sub/x': 'x', 'src/keep/c.log': 'c',
    Containerfile: 'FROM busybox\nCOPY --exclude=*.log --exclude=sub src /d/\n',
  });
  assert.is(t.run(['bud', '-t', 'excluded', dir]).code, 0);
  const c = t.ok(['from', 'excluded']);
  const listing = t.ok(['run', c, '--', 'find', '/d']).split('\n').sort();
  t.ok(['rm', c]);
  assert.equal(listing, ['/d', '/d/a.txt', '/d/keep', '/d/keep/c.log']);
});

test('RUN --mount=type=secret: the secret is readable in RUN and absent from the image', () => {
  const secret = join(work, 'secret.txt');
  writeFileSync(secret, 'hunter2\n');
  const dir = context('secret', {
    Containerfile: 'FROM busybox\nRUN --mount=type=secret,id=pw cat /run/secrets/pw > /tmp/len && wc -c < /run/secrets/pw > /len\n',
  });
  const r = t.run(['bud', '--secret', `id=pw,src=${secret}`, '-t', 'secret', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', 'secret']);
  const out = t.ok(['run', c, '--', 'sh', '-c', 'cat /len; ls /run/secrets 2>&1; cat /tmp/len']);
  t.ok(['rm', c]);
  assert.match(out, /^8/);
  assert.not.match(out.split('\n').slice(1).join('\n'), /^pw$/m);
  assert.match(out, /hunter2/, 'what RUN wrote itself is kept');
});

test('secrets from the environment (--secret env=), and as a variable of one RUN (--mount …,env=): never in the image', () => {
  const dir = context('secret-env', {
    Containerfile: [
      'FROM busybox',
      // env= alone: a variable, no file; env= with a target: both.
      'RUN --mount=type=secret,id=tok,env=TOKEN sh -c \'echo "${#TOKEN}" > /len; test ! -e /run/secrets/tok && echo nofile > /file\'',
      'RUN --mount=type=secret,id=tok,env=TOKEN,target=/t sh -c \'printf %s "$TOKEN" | cmp -s /t - && echo same > /both\'',
      'RUN echo "after: [${TOKEN}]" > /after',
      '',
    ].join('\n'),
  });
  const r = t.run(['bud', '--secret', 'id=tok,env=MY_BUILD_TOKEN', '-t', 'secret-env', dir], { env: { MY_BUILD_TOKEN: 'sekrit-value-42' } });
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', 'secret-env']);
  const out = t.ok(['run', c, '--', 'sh', '-c', 'cat /len /file /after; cat /both 2>&1']);
  t.ok(['rm', c]);
  assert.equal(out.split('\n'), ['15', 'nofile', 'after: []', 'same']);
  const inspect = t.ok(['inspect', 'secret-env']);
  assert.not.match(inspect, /sekrit/, 'the value is in no config or history');
  assert.not.match(r.stdout + r.stderr, /sekrit/, 'nor in the output');
  assert.equal(readdirSync(join(t.root, 'tmp')).filter((n) => n.startsWith('build-secrets-')), [], 'the file made for it is gone');
  const missing = t.run(['bud', '--secret', 'id=tok,env=NO_SUCH_VARIABLE_HERE', dir]);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /NO_SUCH_VARIABLE_HERE/);
});

test('--skip-unused-stages=false builds the stages the target does not need (up to it), numbered as buildah numbers them', () => {
  const dir = context('unused-stages', {
    Containerfile: 'FROM busybox AS unused\nRUN echo built-unused\nFROM scratch AS b\nCOPY Containerfile /b\nFROM b AS after\nCOPY Containerfile /c\nFROM scratch AS later\nCOPY Containerfile /l\n',
  });
  const skipped = t.run(['bud', '--target', 'after', dir]);
  assert.is(skipped.code, 0, skipped.stderr);
  assert.not.match(skipped.stdout, /built-unused/);
  assert.ok(skipped.stdout.split('\n').includes('[2/3] STEP 1/2: FROM scratch AS b'), skipped.stdout);
  const all = t.run(['bud', '--skip-unused-stages=false', '--target', 'after', dir]);
  assert.is(all.code, 0, all.stderr);
  const lines = all.stdout.split('\n');
  assert.ok(lines.includes('[1/3] STEP 2/2: RUN echo built-unused'), all.stdout);
  assert.ok(lines.includes('built-unused'), 'its RUN ran');
  assert.not.match(all.stdout, /AS later/, 'a stage after the target is never built');
  assert.equal(containers(), []);
});

test('RUN --mount=type=cache: kept between builds by id, made with its uid and mode, never in the image', () => {
  const dir = context('cache-mount', {
    Containerfile: 'FROM busybox\nRUN --mount=type=cache,target=/cache,id=counter,uid=1000,mode=0750 sh -c \'stat -c "%u %a" /cache > /owner; echo run >> /cache/runs; wc -l < /cache/runs > /count\'\n',
  });
  for (const expected of ['1', '2']) {
    const r = t.run(['bud', '--no-cache', '-t', 'cache-mount', dir]);
    assert.is(r.code, 0, r.stderr);
    const c = t.ok(['from', 'cache-mount']);
    const out = t.ok(['run', c, '--', 'sh', '-c', 'cat /owner /count; ls -A /cache | wc -l']);
    t.ok(['rm', c]);
    assert.equal(out.split('\n').map((l) => l.trim()), ['1000 750', expected, '0'], `build ${expected}: ${out}`);
  }
});

test('a failing RUN: exit status, the step and line in one message, nothing tagged or left', () => {
  const dir = context('fail', { Containerfile: 'FROM busybox\nRUN echo ok\nRUN exit 3\nRUN echo never\n' });
  const r = t.run(['bud', '-t', 'failed', dir]);
  assert.is(r.code, 3);
  assert.match(r.stderr, /error building at STEP "RUN exit 3" \(Containerfile:3\): .*exit status 3/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.not.match(imageNames(), /failed/);
  assertNothingLeft();
});

test('--rm=false keeps the working containers of a failed build only with --force-rm=false', () => {
  const dir = context('keep', { Containerfile: 'FROM busybox\nRUN exit 1\n' });
  const r = t.run(['bud', '--rm=false', '--force-rm=false', dir]);
  assert.is(r.code, 1);
  const left = containers();
  assert.is(left.length, 1);
  for (const c of left) t.ok(['rm', c]);
});

test('bad input: missing context, missing Containerfile, bad --build-arg, unknown flag', () => {
  const missing = t.run(['bud', join(work, 'does-not-exist')]);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /context directory .*does-not-exist: no such directory/);
  const empty = context('empty', { 'x.txt': 'x' });
  const noFile = t.run(['bud', empty]);
  assert.is(noFile.code, 125);
  assert.match(noFile.stderr, /no Containerfile or Dockerfile in/);
  const namedMissing = t.run(['bud', '-f', 'Nope', empty]);
  assert.match(namedMissing.stderr, /read Containerfile Nope: no such file/);
  const badArg = t.run(['bud', '--build-arg', '1BAD=x', empty]);
  assert.is(badArg.code, 125);
  assert.match(badArg.stderr, /parse --build-arg "1BAD=x"/);
  const unknown = t.run(['bud', '--not-a-buildah-flag', empty]);
  assert.not.equal(unknown.code, 0);
  assert.match(unknown.stderr, /not-a-buildah-flag/);
  const badPlatform = t.run(['bud', '--platform', 'linux/s390', empty]);
  assert.is(badPlatform.code, 125);
  assert.match(badPlatform.stderr, /parse platform "linux\/s390": unknown architecture/);
  const notYet = t.run(['bud', '--memory', '1g', empty]);
  assert.match(notYet.stderr, /--memory is not supported yet/);
  for (const r of [missing, noFile, namedMissing, badArg, notYet, badPlatform]) assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assertNothingLeft();
});

test('bad input: COPY outside the context or of a missing file names the source', () => {
  context('outside-secret', { 'secret.txt': 'do not copy' });
  const dir = context('outside', { Containerfile: 'FROM busybox\nCOPY ../outside-secret/secret.txt /s\n' });
  const out = t.run(['bud', '-t', 'outside', dir]);
  assert.is(out.code, 125);
  assert.match(out.stderr, /COPY \.\.\/outside-secret\/secret\.txt.*outside the build context/);
  const dir2 = context('notfound', { Containerfile: 'FROM busybox\nCOPY nothing-here.txt /n\n' });
  const nf = t.run(['bud', dir2]);
  assert.match(nf.stderr, /Containerfile:2\): copy nothing-here\.txt: no such file or directory/);
  assert.not.match(imageNames(), /outside/);
  assertNothingLeft();
});

test('symlink escape: a context link pointing outside is never followed out of the context', () => {
  const outside = join(work, 'host-secret');
  writeFileSync(outside, 'host secret\n');
  const dir = context('escape', { Containerfile: 'FROM busybox\nCOPY dir /dir/\n', 'dir/ok.txt': 'ok' });
  symlinkSync(outside, join(dir, 'dir', 'link'));
  const r = t.run(['bud', '-t', 'escape', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', 'escape']);
  const out = t.ok(['run', c, '--', 'sh', '-c', `readlink /dir/link; cat /dir/link 2>/dev/null || echo unreadable`]);
  t.ok(['rm', c]);
  assert.is(out, `${outside}\nunreadable`);
  const top = context('escape-top', { Containerfile: 'FROM busybox\nCOPY link /l\n' });
  symlinkSync(outside, join(top, 'link'));
  const r2 = t.run(['bud', top]);
  assert.is(r2.code, 125);
  assert.not.match(r2.stderr, /host secret/);
  assertNothingLeft();
});

test('symlink escape: a directory copied onto a link an earlier source of the same COPY made lands inside the root', () => {
  // x/d is a link to a host directory; y/d is a directory with a file. COPY x y /dest/ copies
  // the link first, then y/d onto it: written through the link, the host file would be replaced.
  const victim = join(work, 'victim');
  writeTree(victim, { file: 'original\n' });
  const dir = context('escape-merge', { Containerfile: 'FROM busybox\nCOPY x y /dest/\n', 'x/keep': 'k', 'y/d/file': 'pwned\n' });
  symlinkSync(victim, join(dir, 'x', 'd'));
  const r = t.run(['bud', '-t', 'escape-merge', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(join(victim, 'file'), 'utf8'), 'original\n', 'the host file is untouched');
  const c = t.ok(['from', 'escape-merge']);
  const out = t.ok(['run', c, '--', 'sh', '-c', 'test -d /dest/d && ! test -L /dest/d && cat /dest/d/file']);
  t.ok(['rm', c]);
  assert.is(out, 'pwned', 'y/d replaced the link with a directory, as buildah does');
});

test('FROM an image on a registry: pulled with --tls-verify=false, then built on', async () => {
  const reg = await startRegistry();
  const fresh = new TrowelSandbox('trowel-bud-pull-');
  try {
    t.ok(['push', '--tls-verify=false', 'localhost/busybox:latest', `docker://${reg.host}/base/busybox:1`]);
    const dir = context('pulled', { Containerfile: `FROM ${reg.host}/base/busybox:1\nRUN echo pulled > /p\n` });
    const r = fresh.run(['bud', '--tls-verify=false', '-t', 'on-pulled', dir]);
    assert.is(r.code, 0, r.stderr);
    const c = fresh.ok(['from', 'on-pulled']);
    assert.is(fresh.ok(['run', c, '--', 'cat', '/p']), 'pulled');
    fresh.ok(['rm', c]);
    assert.match(fresh.ok(['images']), new RegExp(`${reg.host}/base/busybox`));
  } finally {
    fresh.cleanup();
    await reg.stop();
  }
});

test('bad input: an unreachable base image is one line naming it', () => {
  const dir = context('unreachable', { Containerfile: 'FROM 127.0.0.1:1/nothing/here:latest\nRUN true\n' });
  const r = t.run(['bud', dir]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /resolve base image 127\.0\.0\.1:1\/nothing\/here:latest/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  const never = context('never', { Containerfile: 'FROM localhost/not-here\n' });
  const r2 = t.run(['bud', '--pull=never', never]);
  assert.match(r2.stderr, /--pull=never/);
  assertNothingLeft();
});

test('Ctrl-C mid-build: non-zero exit, nothing tagged, no containers or mounts left', async () => {
  const dir = context('interrupt', { Containerfile: 'FROM busybox\nRUN echo started && sleep 30\nRUN echo never\n' });
  const child = spawn(TROWEL_BIN, ['bud', '-t', 'interrupted', dir], {
    env: { ...process.env, TROWEL_ROOT: t.root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`RUN never started: ${stdout} ${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('started')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGINT');
  const code = await exited;
  assert.ok(code !== 0, `exit ${code}`);
  assert.not.match(stdout, /never/);
  assert.not.match(imageNames(), /interrupted/);
  assertNothingLeft();
});

test.run();
