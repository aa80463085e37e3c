import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, writeTestImage, skopeo, type TestRegistry } from '../test/support/registry.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-login-'));
const trowel = new URL('../../bin/trowel', import.meta.url).pathname;
let basic: TestRegistry;
let token: TestRegistry;

/** Runs trowel asynchronously (the token server lives in this process). */
function run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(trowel, args, { env: { ...process.env, XDG_RUNTIME_DIR: join(work, 'run'), ...opts.env }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

test.before(async () => {
  [basic, token] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startRegistry({ auth: 'token' })]);
});

test.after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('login with a wrong password: one line, exit 125, password not shown, nothing stored', async () => {
  const authfile = join(work, 'wrong.json');
  const r = await run(['login', '--authfile', authfile, '--tls-verify=false', '-u', 'alice', '-p', 'SECRETwrong', basic.host]);
  assert.is(r.code, 125);
  assert.is(r.stderr, `Error: log in to ${basic.host}: invalid username/password\n`);
  assert.not.match(r.stdout + r.stderr, 'SECRETwrong');
  assert.not.ok(existsSync(authfile));
});

test('login (htpasswd) stores credentials that skopeo accepts; --get-login; logout', async () => {
  const authfile = join(work, 'auth.json');
  const r = await run(['login', '--authfile', authfile, '--tls-verify=false', '-u', 'alice', '-p', 'wonderland', basic.host]);
  assert.is(r.stdout, 'Login Succeeded!\n', r.stderr);
  assert.is(statSync(authfile).mode & 0o777, 0o600);
  const image = await writeTestImage(join(work, 'image'));
  await skopeo(['copy', '--dest-tls-verify=false', '--authfile', authfile, `oci:${image.dir}:${image.tag}`, `docker://${basic.host}/login/app:v1`]);
  const got = await run(['login', '--authfile', authfile, '--get-login', basic.host]);
  assert.is(got.stdout, 'alice\n');
  const again = await run(['login', '--authfile', authfile, '--tls-verify=false', basic.host]);
  assert.is(again.stdout, `Authenticating with existing credentials for ${basic.host}\nExisting credentials are valid. Already logged in to ${basic.host}\n`);
  const out = await run(['logout', '--authfile', authfile, basic.host]);
  assert.is(out.stdout, `Removed login credentials for ${basic.host}\n`);
  const twice = await run(['logout', '--authfile', authfile, basic.host]);
  assert.is(twice.code, 125);
  assert.is(twice.stderr, `Error: log out of ${basic.host}: not logged in\n`);
  const none = await run(['login', '--authfile', authfile, '--get-login', basic.host]);
  assert.is(none.code, 125);
  assert.match(none.stderr, `not logged into ${basic.host}`);
});

test('login asks for user name and password, reading piped answers line by line', async () => {
  const authfile = join(work, 'prompted.json');
  const r = await run(['login', '--authfile', authfile, '--tls-verify=false', basic.host], { input: 'alice\nwonderland\n' });
  assert.is(r.stdout, 'Login Succeeded!\n', r.stderr);
  assert.is(r.stderr, 'Username: Password: ');
  const none = await run(['login', '--authfile', join(work, 'none.json'), '--tls-verify=false', basic.host], { input: 'alice\n' });
  assert.is(none.code, 125);
  assert.match(none.stderr, 'Error: read password: no input');
});

test('login (bearer) with --password-stdin writes ${XDG_RUNTIME_DIR}/containers/auth.json; logout --all', async () => {
  const r = await run(['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', `https://${token.host}/`], { input: 'wonderland\n' });
  assert.is(r.stdout, 'Login Succeeded!\n', r.stderr);
  const file = join(work, 'run', 'containers', 'auth.json');
  const content = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.is(content.auths[token.host]!.auth, Buffer.from('alice:wonderland').toString('base64'));
  const bad = await run(['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', token.host], { input: 'nope\n' });
  assert.is(bad.stderr, `Error: log in to ${token.host}: invalid username/password\n`);
  const all = await run(['logout', '--all']);
  assert.is(all.stdout, 'Removed login credentials for all registries\n');
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths, {});
});

test('login over TLS trusts the CA given with --cert-dir, and names the cause without it', async () => {
  const tls = await startRegistry({ tls: true, auth: 'htpasswd' });
  try {
    const authfile = join(work, 'tls-ok.json');
    const ok = await run(['login', '--authfile', authfile, '--cert-dir', tls.certs!.certDir, '-u', 'alice', '-p', 'wonderland', tls.host]);
    assert.is(ok.stdout, 'Login Succeeded!\n', ok.stderr);
    const bad = await run(['login', '--authfile', authfile, '-u', 'alice', '-p', 'wonderland', tls.host]);
    assert.is(bad.code, 125);
    assert.match(bad.stderr, `Error: log in to ${tls.host}: TLS handshake with ${tls.host} failed: `, bad.stderr);
    assert.match(bad.stderr, /certificate/, bad.stderr);
  } finally {
    await tls.stop();
  }
});

test('login over TLS checks the certificate: refused without --tls-verify=false against plain HTTP', async () => {
  const r = await run(['login', '--authfile', join(work, 'tls.json'), '-u', 'alice', '-p', 'wonderland', basic.host]);
  assert.is(r.code, 125);
  assert.match(r.stderr, `Error: log in to ${basic.host}: TLS handshake with ${basic.host} failed`);
  assert.is(r.stderr.split('\n').length, 2);
});

test.run();
