import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startFaultProxy, startRegistry, writeTestImage, skopeo, type FaultProxy, type TestRegistry, type TestImage } from '../../test/support/registry.js';
import { RegistryClient } from './client.js';
import { RegistryError, RegistryTimeoutError, UnsupportedManifestError } from './errors.js';
import { MediaType } from '../../oci/media-types.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-faults-'));
let reg: TestRegistry;
let proxy: FaultProxy;
let image: TestImage;
const clients: RegistryClient[] = [];
const BIG = 400_000;

function client(opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ registry: proxy.host, insecure: true, retry: { baseDelayMs: 10 }, ...opts });
  clients.push(c);
  return c;
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const bigLayer = (): { mediaType: string; digest: `sha256:${string}`; size: number } =>
  ({ mediaType: MediaType.ociLayerGzip, digest: image.layers[1]!.digest, size: image.layers[1]!.blob.length });

test.before(async () => {
  reg = await startRegistry();
  proxy = await startFaultProxy(reg.url);
  image = await writeTestImage(join(work, 'image'), { layerSizes: [1000, BIG] });
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${reg.host}/faults/app:v1`]);
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.stop();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

test.before.each(() => {
  proxy.clear();
  proxy.log.length = 0;
});

test('500 twice, then the manifest: retried', async () => {
  const c = client();
  await c.ping();
  proxy.add({ path: /manifests/, times: 2, action: { kind: 'status', status: 500 } });
  const m = await c.getManifest('faults/app', 'v1');
  assert.is(m.digest, image.manifestDigest);
  assert.is(proxy.log.filter((e) => e.url.includes('/manifests/')).length, 3);
});

test('429 with Retry-After: waits as asked before retrying', async () => {
  const c = client();
  await c.ping();
  proxy.add({ path: /manifests/, action: { kind: 'status', status: 429, retryAfter: '1', body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } });
  const t0 = Date.now();
  await c.getManifest('faults/app', 'v1');
  assert.ok(Date.now() - t0 >= 950, `waited ${Date.now() - t0} ms`);
});

test('429 forever: bounded retries end in one clear line', async () => {
  const c = client({ retry: { retries: 2, baseDelayMs: 5 } });
  await c.ping();
  proxy.add({ path: /manifests/, times: Infinity, action: { kind: 'status', status: 429, retryAfter: '0', body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } });
  try {
    await c.getManifest('faults/app', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryError);
    assert.is((err as Error).message, `pull manifest ${proxy.host}/faults/app:v1: 429 Too Many Requests: TOOMANYREQUESTS: slow down`);
    assert.is((err as RegistryError).status, 429);
  }
  assert.is(proxy.log.filter((e) => e.url.includes('/manifests/')).length, 3);
});

test('connection dropped mid-blob: resumed with a Range request, bytes verified', async () => {
  const c = client();
  proxy.add({ method: 'GET', path: /blobs\/sha256/, action: { kind: 'drop-response', afterBytes: 100_000 } });
  const bytes = await readAll(await c.getBlob('faults/app', bigLayer()));
  assert.ok(bytes.equals(image.layers[1]!.blob));
  const gets = proxy.log.filter((e) => e.method === 'GET' && e.url.includes('/blobs/'));
  assert.is(gets.length, 2);
  assert.is(gets[1]!.headers.range, 'bytes=100000-');
});

test('a manifest whose connection drops mid-body is fetched again', async () => {
  const c = client();
  await c.ping();
  proxy.add({ method: 'GET', path: /manifests/, action: { kind: 'drop-response', afterBytes: 100 } });
  assert.is((await c.getManifest('faults/app', 'v1')).digest, image.manifestDigest);
  assert.is(proxy.log.filter((e) => e.url.includes('/manifests/')).length, 2);
});

test('a manifest body that stalls for good: one timeout line', async () => {
  const c = client({ timeouts: { bodyMs: 200 }, retry: { retries: 1, baseDelayMs: 5 } });
  await c.ping();
  proxy.add({ method: 'GET', path: /manifests/, times: Infinity, action: { kind: 'stall-response', afterBytes: 10 } });
  await c.getManifest('faults/app', 'v1').then(() => assert.unreachable(), (err: Error) => {
    assert.instance(err, RegistryTimeoutError);
    assert.is(err.message, `pull manifest ${proxy.host}/faults/app:v1: timed out waiting for body from ${proxy.host}`);
  });
});

test('a blob that stalls mid-body: body timeout, then resumed with a Range request', async () => {
  const c = client({ timeouts: { bodyMs: 300 } });
  proxy.add({ method: 'GET', path: /blobs\/sha256/, action: { kind: 'stall-response', afterBytes: 150_000 } });
  const t0 = Date.now();
  const bytes = await readAll(await c.getBlob('faults/app', bigLayer()));
  assert.ok(bytes.equals(image.layers[1]!.blob));
  assert.ok(Date.now() - t0 < 5000);
  const gets = proxy.log.filter((e) => e.method === 'GET' && e.url.includes('/blobs/'));
  assert.is(gets[1]?.headers.range, 'bytes=150000-');
});

test('a blob that stalls for good: one timeout error naming the blob', async () => {
  const c = client({ timeouts: { bodyMs: 200 }, retry: { retries: 1, baseDelayMs: 5 } });
  proxy.add({ method: 'GET', path: /blobs\/sha256/, times: Infinity, action: { kind: 'stall-response', afterBytes: 1000 } });
  try {
    await readAll(await c.getBlob('faults/app', bigLayer()));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryTimeoutError);
    assert.is((err as Error).message, `pull blob ${proxy.host}/faults/app@${image.layers[1]!.digest}: timed out waiting for body from ${proxy.host}`);
  }
});

test('digest mismatch: a proxy that corrupts a blob makes the stream fail, naming the blob', async () => {
  const c = client({ retry: { retries: 0 } });
  proxy.add({ method: 'GET', path: /blobs\/sha256/, action: { kind: 'corrupt' } });
  try {
    await readAll(await c.getBlob('faults/app', bigLayer()));
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'DIGEST_MISMATCH');
    assert.match((err as Error).message, `verify blob ${proxy.host}/faults/app@${image.layers[1]!.digest}: digest mismatch`);
  }
});

test('digest mismatch: a manifest whose bytes do not match the digest asked for', async () => {
  const c = client({ retry: { retries: 0 } });
  proxy.add({ method: 'GET', path: /manifests\/sha256/, action: { kind: 'corrupt' } });
  try {
    await c.getManifest('faults/app', image.manifestDigest);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'DIGEST_MISMATCH');
  }
});

test('a server that hangs: timeout error after bounded retries', async () => {
  const c = client({ timeouts: { headersMs: 300 }, retry: { retries: 1, baseDelayMs: 5 } });
  await c.ping();
  proxy.add({ path: /manifests/, times: Infinity, action: { kind: 'hang' } });
  const t0 = Date.now();
  try {
    await c.getManifest('faults/app', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryTimeoutError);
    assert.is((err as Error).message, `pull manifest ${proxy.host}/faults/app:v1: timed out waiting for response from ${proxy.host}`);
  }
  assert.ok(Date.now() - t0 < 5000);
});

test('an HTML error page instead of JSON still gives one clean line', async () => {
  const c = client({ retry: { retries: 0 } });
  await c.ping();
  proxy.add({ path: /manifests/, action: { kind: 'status', status: 502, contentType: 'text/html', body: '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1>\n<p>nginx</p></body></html>' } });
  try {
    await c.getManifest('faults/app', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, `pull manifest ${proxy.host}/faults/app:v1: 502 Bad Gateway: HTML error page "502 Bad Gateway"`);
  }
});

test('Docker schema 1 manifests are refused clearly', async () => {
  const c = client();
  await c.ping();
  const schema1 = JSON.stringify({ schemaVersion: 1, name: 'faults/app', tag: 'old', architecture: 'amd64', fsLayers: [], history: [] });
  proxy.add({ path: /manifests/, action: { kind: 'status', status: 200, contentType: MediaType.dockerManifestSchema1Signed, body: schema1 } });
  try {
    await c.getManifest('faults/app', 'old');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UnsupportedManifestError);
    assert.match((err as Error).message, `pull manifest ${proxy.host}/faults/app:old: Docker schema 1 manifests are not supported`);
  }
});

test('monolithic upload: a connection broken mid-PUT restarts the upload', async () => {
  const c = client();
  c.willPush('faults/mono');
  proxy.add({ method: 'PUT', path: /blobs\/uploads/, action: { kind: 'drop-request', afterBytes: 50_000 } });
  let opened = 0;
  const d = bigLayer();
  await c.putBlob('faults/mono', d, async () => { opened++; return Readable.from([image.layers[1]!.blob]); });
  assert.is(opened, 2);
  assert.ok((await readAll(await c.getBlob('faults/mono', d))).equals(image.layers[1]!.blob));
});

test('chunked upload: a connection broken mid-chunk is resumed or restarted, and the blob arrives whole', async () => {
  const c = client({ chunkedUploadThreshold: 100_000, chunkSize: 128 * 1024 });
  c.willPush('faults/chunked');
  proxy.add({ method: 'PATCH', path: /blobs\/uploads/, action: { kind: 'drop-request', afterBytes: 60_000 } });
  const d = bigLayer();
  await c.putBlob('faults/chunked', d, async () => Readable.from([image.layers[1]!.blob]));
  assert.ok((await readAll(await c.getBlob('faults/chunked', d))).equals(image.layers[1]!.blob));
  assert.ok(proxy.log.some((e) => e.fault === 'drop-request'));
});

test('chunked upload: a chunk cut before any byte arrived is resumed at the offset the registry reports', async () => {
  const c = client({ chunkedUploadThreshold: 100_000, chunkSize: 128 * 1024 });
  c.willPush('faults/resume');
  proxy.add({ method: 'PATCH', path: /blobs\/uploads/, after: 1, action: { kind: 'drop-request', afterBytes: 0 } });
  let opened = 0;
  const d = bigLayer();
  await c.putBlob('faults/resume', d, async () => { opened++; return Readable.from([image.layers[1]!.blob]); });
  assert.is(opened, 1, 'no restart');
  const patches = proxy.log.filter((e) => e.method === 'PATCH').map((e) => e.headers['content-range']);
  assert.equal(patches.slice(0, 3), ['0-131071', '131072-262143', '131072-262143']);
  assert.ok(proxy.log.some((e) => e.method === 'GET' && e.url.includes('/uploads/') && e.status === 204), 'asked the registry for the upload status');
  assert.ok((await readAll(await c.getBlob('faults/resume', d))).equals(image.layers[1]!.blob));
});

test('chunked upload: 503 on a chunk is retried', async () => {
  const c = client({ chunkedUploadThreshold: 100_000, chunkSize: 128 * 1024 });
  c.willPush('faults/chunked503');
  proxy.add({ method: 'PATCH', path: /blobs\/uploads/, times: 2, action: { kind: 'status', status: 503 } });
  const d = bigLayer();
  await c.putBlob('faults/chunked503', d, async () => Readable.from([image.layers[1]!.blob]));
  assert.ok(await c.hasBlob('faults/chunked503', d.digest));
});

test('redirect to blob storage on another host: followed, without the Authorization header', async () => {
  const basic = await startRegistry({ auth: 'htpasswd' });
  const front = await startFaultProxy(basic.url);
  // The "storage" origin authorizes by itself, like a pre-signed URL.
  const storage = await startFaultProxy(basic.url, { hostname: 'localhost', setHeaders: { authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` } });
  const c = new RegistryClient({ registry: front.host, insecure: true, credentials: { username: 'alice', password: 'wonderland' }, retry: { baseDelayMs: 10 } });
  try {
    const layer = image.layers[0]!;
    const d = { mediaType: 'x', digest: layer.digest, size: layer.blob.length };
    c.willPush('redirect/app');
    await c.putBlob('redirect/app', d, async () => Readable.from([layer.blob]));
    front.add({ method: 'GET', path: /blobs\/sha256/, action: { kind: 'redirect', to: storage.url } });
    assert.ok((await readAll(await c.getBlob('redirect/app', d))).equals(layer.blob));
    const atFront = front.log.filter((e) => e.method === 'GET' && e.url.includes('/blobs/'));
    assert.ok(atFront[0]!.headers.authorization, 'the registry itself gets credentials');
    const atStorage = storage.log.filter((e) => e.url.includes('/blobs/'));
    assert.is(atStorage.length, 1);
    assert.is(atStorage[0]!.headers.authorization, undefined);
  } finally {
    await c.close();
    await front.stop();
    await storage.stop();
    await basic.stop();
  }
});

test.run();
