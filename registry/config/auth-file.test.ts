import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFileSearchPath, defaultAuthFile, findCredentials, normalizeAuthKey, removeCredentials, storeCredentials } from './auth-file.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-authfile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const home = join(dir, 'home');
const run = join(dir, 'run');
const env = { XDG_RUNTIME_DIR: run, PATH: `${join(dir, 'bin')}:${process.env.PATH}` };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('login file: --authfile, then REGISTRY_AUTH_FILE, then XDG_RUNTIME_DIR/containers/auth.json', () => {
  assert.is(defaultAuthFile({ env }), join(run, 'containers', 'auth.json'));
  assert.is(defaultAuthFile({ env: { ...env, REGISTRY_AUTH_FILE: '/x/auth.json' } }), '/x/auth.json');
  assert.is(defaultAuthFile({ env, authFile: '/y.json' }), '/y.json');
  assert.equal(authFileSearchPath({ env, home }), [join(run, 'containers', 'auth.json'), join(home, '.config', 'containers', 'auth.json'), join(home, '.docker', 'config.json'), join(home, '.dockercfg')]);
});

test('store writes 0600 in a 0700 directory and keeps other keys; find reads it back', async () => {
  const file = join(run, 'containers', 'auth.json');
  mkdirSync(join(run, 'containers'), { recursive: true });
  writeFileSync(file, JSON.stringify({ auths: { 'other.example': { auth: b64('o:p') } }, credHelpers: {} }));
  await storeCredentials('registry.example', 'alice', 'pa:ss', { env, home });
  assert.is(statSync(file).mode & 0o777, 0o600);
  const content = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.is(content.auths['registry.example']!.auth, b64('alice:pa:ss'));
  assert.ok(content.auths['other.example']);
  const found = await findCredentials('registry.example', 'a/b', { env, home });
  assert.equal(found?.credentials, { username: 'alice', password: 'pa:ss' });
  assert.is(found?.file, file);
});

test('namespace-scoped entries: the most specific key wins', async () => {
  const f = join(dir, 'scoped.json');
  writeFileSync(f, JSON.stringify({ auths: { 'reg.example': { auth: b64('host:1') }, 'reg.example/team': { auth: b64('team:2') }, 'reg.example/team/app': { auth: b64('app:3') } } }));
  assert.is((await findCredentials('reg.example', 'team/app', { authFile: f }))?.credentials.username, 'app');
  assert.is((await findCredentials('reg.example', 'team/other', { authFile: f }))?.credentials.username, 'team');
  assert.is((await findCredentials('reg.example', 'solo', { authFile: f }))?.credentials.username, 'host');
  assert.is(await findCredentials('else.example', 'x', { authFile: f }), undefined);
});

test("Docker's config.json: legacy https:// keys, identity tokens, found after the containers files", async () => {
  mkdirSync(join(home, '.docker'), { recursive: true });
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') }, 'tok.example': { auth: b64('u:'), identitytoken: 'refresh-123' } } }));
  assert.equal((await findCredentials('docker.io', 'library/busybox', { env, home }))?.credentials, { username: 'hubuser', password: 'hubpass' });
  assert.is((await findCredentials('tok.example', undefined, { env, home }))?.credentials.identityToken, 'refresh-123');
  assert.is(normalizeAuthKey('http://r.example:5000/'), 'r.example:5000');
  writeFileSync(join(home, '.dockercfg'), JSON.stringify({ 'https://legacy.example/v1/': { auth: b64('old:timer'), email: 'x@y' } }));
  assert.equal((await findCredentials('legacy.example', 'a', { env, home }))?.credentials, { username: 'old', password: 'timer' });
});

test('credential helpers: credHelpers per registry and credsStore, via docker-credential-* on PATH', async () => {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const helper = join(dir, 'bin', 'docker-credential-testing');
  writeFileSync(helper, `#!/bin/sh\nread host\ncase "$host" in\n  helped.example) echo '{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-secret"}' ;;\n  token.example) echo '{"Username":"<token>","Secret":"id-token"}' ;;\n  *) echo "credentials not found in native keychain"; exit 1 ;;\nesac\n`);
  chmodSync(helper, 0o755);
  const f = join(dir, 'helpers.json');
  writeFileSync(f, JSON.stringify({ credHelpers: { 'helped.example': 'testing' }, credsStore: 'testing' }));
  const viaCredHelpers = await findCredentials('helped.example', undefined, { authFile: f, env });
  assert.equal(viaCredHelpers?.credentials, { username: 'helper-user', password: 'helper-secret' });
  assert.is(viaCredHelpers?.source, 'docker-credential-testing');
  assert.equal((await findCredentials('token.example', undefined, { authFile: f, env }))?.credentials, { identityToken: 'id-token' });
  assert.is(await findCredentials('unknown.example', undefined, { authFile: f, env }), undefined);
  writeFileSync(f, JSON.stringify({ credsStore: 'missing' }));
  await findCredentials('x.example', undefined, { authFile: f, env }).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, 'docker-credential-missing for x.example: not found on PATH'));
});

test('remove: one registry, then a clear error when not logged in; --all empties', async () => {
  const f = join(dir, 'remove.json');
  await storeCredentials('a.example', 'u', 'p', { authFile: f });
  await storeCredentials('b.example', 'u', 'p', { authFile: f });
  await removeCredentials('a.example', { authFile: f });
  assert.equal(Object.keys((JSON.parse(readFileSync(f, 'utf8')) as { auths: object }).auths), ['b.example']);
  await removeCredentials('a.example', { authFile: f }).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'log out of a.example: not logged in'));
  await removeCredentials(undefined, { authFile: f, all: true });
  assert.equal((JSON.parse(readFileSync(f, 'utf8')) as { auths: object }).auths, {});
});

test('login and logout go through the credential helper the file names (store, get, erase)', async () => {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const vault = join(dir, 'vault');
  mkdirSync(vault, { recursive: true });
  // A helper that keeps one JSON file per host: the real protocol over stdin/stdout.
  const helper = join(dir, 'bin', 'docker-credential-filevault');
  writeFileSync(helper, `#!/bin/sh\ncase "$1" in\n  store) cat > "${vault}/tmp"; host=$(sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/' "${vault}/tmp"); mv "${vault}/tmp" "${vault}/$host" ;;\n  get) read host; if [ -f "${vault}/$host" ]; then cat "${vault}/$host"; else echo "credentials not found in native keychain"; exit 1; fi ;;\n  erase) read host; if [ -f "${vault}/$host" ]; then rm "${vault}/$host"; else echo "credentials not found in native keychain"; exit 1; fi ;;\nesac\n`);
  chmodSync(helper, 0o755);
  const f = join(dir, 'with-helper.json');
  writeFileSync(f, JSON.stringify({ credsStore: 'filevault' }));
  const where = await storeCredentials('vault.example', 'vuser', 'vsecret', { authFile: f, env });
  assert.is(where, 'docker-credential-filevault');
  assert.not.match(readFileSync(f, 'utf8'), 'vsecret');
  assert.equal((await findCredentials('vault.example', undefined, { authFile: f, env }))?.credentials, { username: 'vuser', password: 'vsecret' });
  await removeCredentials('vault.example', { authFile: f, env });
  assert.is(await findCredentials('vault.example', undefined, { authFile: f, env }), undefined);
  await removeCredentials('vault.example', { authFile: f, env }).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'log out of vault.example: not logged in'));
});

test('a malformed auth file is one line naming it', async () => {
  const f = join(dir, 'bad.json');
  writeFileSync(f, '{"auths": ');
  await findCredentials('x', undefined, { authFile: f }).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, `read auth file ${f}:`));
});

test.run();
