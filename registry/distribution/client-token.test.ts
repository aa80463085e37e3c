import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startFaultProxy, startRegistry, writeTestImage, skopeo, type TestRegistry, type TestImage } from '../../test/support/registry.js';
import { RegistryClient } from './client.js';
import { RegistryAuthError } from './errors.js';
import { MediaType } from '../../oci/media-types.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-token-'));
let reg: TestRegistry;
let image: TestImage;
const clients: RegistryClient[] = [];

function client(opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ registry: reg.host, insecure: true, retry: { baseDelayMs: 10 }, ...opts });
  clients.push(c);
  return c;
}

const ALICE = { username: 'alice', password: 'wonderland' };

test.before(async () => {
  // bob may only pull; anonymous users may pull `public/*`.
  reg = await startRegistry({
    auth: 'token', users: { alice: 'wonderland', bob: 'builder' },
    token: { permit: (account, repo) => (account === 'alice' ? ['*'] : account === 'bob' || repo.startsWith('public/') ? ['pull'] : []) },
  });
  image = await writeTestImage(join(work, 'image'), { layerSizes: [1000] });
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wonderland', `oci:${image.dir}:${image.tag}`, `docker://${reg.host}/private/app:v1`]);
  await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wonderland', `oci:${image.dir}:${image.tag}`, `docker://${reg.host}/public/app:v1`]);
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('bearer: password credentials fetch a pull token by GET with the repository scope', async () => {
  const before = reg.tokenServer!.requests.length;
  const c = client({ credentials: ALICE });
  const m = await c.getManifest('private/app', 'v1');
  assert.ok(m.bytes.length > 0);
  await c.getManifest('private/app', m.digest);
  const asked = reg.tokenServer!.requests.slice(before);
  assert.equal(asked.map((r) => [r.method, r.scopes, r.account]), [['GET', ['repository:private/app:pull'], 'alice']], 'one token, reused');
});

test('bearer: anonymous pull of a public repository, refused on a private one', async () => {
  const c = client();
  assert.ok((await c.getManifest('public/app', 'v1')).bytes.length > 0);
  try {
    await c.getManifest('private/app', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryAuthError);
    assert.match((err as Error).message, `pull manifest ${reg.host}/private/app:v1: 401 Unauthorized`);
  }
});

test('bearer: an identity token is exchanged by POST grant_type=refresh_token', async () => {
  // Obtain a refresh token the way `login` would: GET with offline_token=true.
  const res = await fetch(`${reg.tokenServer!.realm}?service=${reg.tokenServer!.service}&offline_token=true`, { headers: { authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` } });
  const refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
  const before = reg.tokenServer!.requests.length;
  const c = client({ credentials: { identityToken: refresh } });
  assert.ok((await c.getManifest('private/app', 'v1')).bytes.length > 0);
  const asked = reg.tokenServer!.requests.slice(before);
  assert.equal(asked.map((r) => [r.method, r.grantType, r.account]), [['POST', 'refresh_token', 'alice']]);
});

test('bearer: wrong password is one clear line without the password', async () => {
  const c = client({ credentials: { username: 'alice', password: 'hunter2-secret' } });
  try {
    await c.getManifest('private/app', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryAuthError);
    assert.is((err as Error).message, `authenticate to ${reg.host}: 401 invalid username/password`);
    assert.not.match(String((err as Error).stack), 'hunter2');
  }
});

test('bearer: a burst of concurrent 401s costs one new token, not one each', async () => {
  const proxy = await startFaultProxy(reg.url);
  const c = new RegistryClient({ registry: proxy.host, insecure: true, credentials: ALICE, retry: { baseDelayMs: 10 } });
  try {
    const layer = image.layers[0]!;
    await c.hasBlob('private/app', layer.digest);
    const before = reg.tokenServer!.requests.length;
    proxy.add({ method: 'HEAD', path: /blobs/, times: 4, action: { kind: 'status', status: 401, body: '' } });
    const all = await Promise.all([1, 2, 3, 4].map(() => c.hasBlob('private/app', layer.digest)));
    assert.equal(all, [true, true, true, true]);
    assert.is(reg.tokenServer!.requests.length, before + 1);
  } finally {
    await c.close();
    await proxy.stop();
  }
});

test('debug log lines name requests but never the password or the token', async () => {
  const lines: string[] = [];
  const c = client({ credentials: ALICE, log: (l) => lines.push(l) });
  await c.getManifest('private/app', 'v1');
  assert.ok(lines.some((l) => l.startsWith(`GET ${reg.tokenServer!.url}/token (token) -> 200`)), lines.join('\n'));
  assert.ok(lines.some((l) => l === `GET http://${reg.host}/v2/private/app/manifests/v1 -> 200`), lines.join('\n'));
  const all = lines.join('\n');
  assert.not.match(all, 'wonderland');
  assert.not.match(all, /ey[A-Za-z0-9_-]{20,}/, 'no JWT');
});

test('bearer: missing push scope is reported as such', async () => {
  const c = client({ credentials: { username: 'bob', password: 'builder' } });
  c.willPush('private/app');
  try {
    await c.putManifest('private/app', 'v2', { bytes: image.manifest, mediaType: MediaType.ociManifest });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryAuthError);
    assert.match((err as Error).message, `push manifest ${reg.host}/private/app:v2: 401 Unauthorized`);
    assert.match((err as Error).message, 'insufficient_scope');
  }
});

test('bearer: a push token asks pull,push; a mount adds pull on the source repository', async () => {
  const c = client({ credentials: ALICE });
  const before = reg.tokenServer!.requests.length;
  const layer = image.layers[0]!;
  const how = await c.putBlob('other/app', { mediaType: 'x', digest: layer.digest, size: layer.blob.length }, async () => Readable.from([layer.blob]), { mountFrom: 'private/app' });
  assert.is(how, 'mounted');
  c.willPush('third/app');
  await c.putBlob('third/app', { mediaType: 'x', digest: layer.digest, size: layer.blob.length }, async () => Readable.from([layer.blob]));
  const scopes = reg.tokenServer!.requests.slice(before).map((r) => r.scopes.sort());
  assert.equal(scopes, [['repository:other/app:pull,push', 'repository:private/app:pull'], ['repository:third/app:pull,push']]);
});

test('bearer: a token past its expires_in is fetched again', async () => {
  const short = await startRegistry({ auth: 'token', token: { ttlSeconds: 1 } });
  const c = new RegistryClient({ registry: short.host, insecure: true, credentials: ALICE, retry: { baseDelayMs: 10 } });
  try {
    c.willPush('ttl/app');
    const layer = image.layers[0]!;
    await c.putBlob('ttl/app', { mediaType: 'x', digest: layer.digest, size: layer.blob.length }, async () => Readable.from([layer.blob]));
    const fetched = short.tokenServer!.requests.length;
    assert.ok(await c.hasBlob('ttl/app', layer.digest));
    assert.is(short.tokenServer!.requests.length, fetched, 'token reused while fresh');
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok(await c.hasBlob('ttl/app', layer.digest));
    assert.is(short.tokenServer!.requests.length, fetched + 1, 'a new token once expired');
  } finally {
    await c.close();
    await short.stop();
  }
});

test('bearer: a 401 on a request with a cached token fetches a fresh token once and retries', async () => {
  const proxy = await startFaultProxy(reg.url);
  const c = new RegistryClient({ registry: proxy.host, insecure: true, credentials: ALICE, retry: { baseDelayMs: 10 } });
  try {
    await c.getManifest('private/app', 'v1');
    const before = reg.tokenServer!.requests.length;
    proxy.add({ method: 'GET', path: /manifests/, action: { kind: 'status', status: 401 } });
    assert.ok((await c.getManifest('private/app', 'v1')).bytes.length > 0);
    assert.is(reg.tokenServer!.requests.length, before + 1);
  } finally {
    await c.close();
    await proxy.stop();
  }
});

test.run();
