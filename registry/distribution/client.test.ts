import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startFaultProxy, startRegistry, writeTestImage, skopeo, type TestRegistry, type TestImage } from '../../test/support/registry.js';
import { RegistryClient } from './client.js';
import { RegistryAuthError, RegistryConnectionError, RegistryNotFoundError } from './errors.js';
import { MediaType } from '../../oci/media-types.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-client-'));
let plain: TestRegistry;
let tls: TestRegistry;
let basic: TestRegistry;
let image: TestImage;
const clients: RegistryClient[] = [];

function client(opts: ConstructorParameters<typeof RegistryClient>[0]): RegistryClient {
  const c = new RegistryClient({ retry: { baseDelayMs: 10 }, ...opts });
  clients.push(c);
  return c;
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Pushes the test image's blobs and manifest with the client. */
async function pushImage(c: RegistryClient, repo: string, tag: string): Promise<void> {
  c.willPush(repo);
  const config = JSON.parse(image.manifest.toString()) as { config: { digest: `sha256:${string}`; size: number } };
  const blobs = [...image.layers.map((l) => ({ bytes: l.blob, digest: l.digest })), { bytes: image.config, digest: config.config.digest }];
  await Promise.all(blobs.map((b) => c.putBlob(repo, { mediaType: 'application/octet-stream', digest: b.digest, size: b.bytes.length }, async () => Readable.from([b.bytes]))));
  await c.putManifest(repo, tag, { bytes: image.manifest, mediaType: MediaType.ociManifest });
}

test.before(async () => {
  [plain, tls, basic] = await Promise.all([startRegistry(), startRegistry({ tls: true }), startRegistry({ auth: 'htpasswd' })]);
  image = await writeTestImage(join(work, 'image'), { layerSizes: [2000, 150_000] });
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([plain?.stop(), tls?.stop(), basic?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('pulls what skopeo pushed, every blob verified', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${plain.host}/oracle/pushed:v1`]);
  const c = client({ registry: plain.host, insecure: true });
  const m = await c.getManifest('oracle/pushed', 'v1');
  // skopeo may rewrite the manifest (it keeps OCI here); the digest it reports is the oracle.
  const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${plain.host}/oracle/pushed:v1`])) as { Digest: string; Layers: string[] };
  assert.is(m.digest, inspected.Digest);
  const doc = JSON.parse(m.bytes.toString()) as { layers: Array<{ digest: `sha256:${string}`; size: number; mediaType: string }> };
  assert.equal(doc.layers.map((l) => l.digest), inspected.Layers);
  for (const [i, l] of doc.layers.entries()) {
    const bytes = await readAll(await c.getBlob('oracle/pushed', l));
    assert.ok(bytes.equals(image.layers[i]!.blob), `layer ${i} bytes`);
  }
  const byDigest = await c.getManifest('oracle/pushed', m.digest);
  assert.ok(byDigest.bytes.equals(m.bytes));
});

test('pushes an image skopeo can read back, and lists its tags', async () => {
  const c = client({ registry: plain.host, insecure: true });
  await pushImage(c, 'trowel/pushed', 'v2');
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/trowel/pushed:v2`]);
  assert.is(raw, image.manifest.toString());
  const copied = join(work, 'copied');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${plain.host}/trowel/pushed:v2`, `oci:${copied}:x`]);
  assert.ok(readFileSync(join(copied, 'blobs', 'sha256', image.layers[1]!.digest.slice(7))).equals(image.layers[1]!.blob));
  assert.equal(await c.listTags('trowel/pushed'), ['v2']);
  assert.ok(await c.hasBlob('trowel/pushed', image.layers[0]!.digest));
  assert.is((await c.headManifest('trowel/pushed', 'v2'))?.digest, image.manifestDigest);
  assert.is(await c.headManifest('trowel/pushed', 'nope'), undefined);
});

test('Docker schema 2 (skopeo --format v2s2) and a Docker manifest list are negotiated and verified', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', `oci:${image.dir}:${image.tag}`, `docker://${plain.host}/oracle/docker:v1`]);
  const c = client({ registry: plain.host, insecure: true });
  const m = await c.getManifest('oracle/docker', 'v1');
  assert.is(m.mediaType, MediaType.dockerManifest);
  const doc = JSON.parse(m.bytes.toString()) as { config: { digest: `sha256:${string}`; size: number } };
  const config = await readAll(await c.getBlob('oracle/docker', { mediaType: MediaType.dockerConfig, ...doc.config }));
  assert.is(JSON.parse(config.toString()).os, 'linux');
  // A Docker manifest list over it comes back as one, and skopeo agrees on its digest.
  c.willPush('oracle/docker');
  const list = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.dockerManifestList,
    manifests: [{ mediaType: MediaType.dockerManifest, digest: m.digest, size: m.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }],
  }));
  const listDigest = await c.putManifest('oracle/docker', 'list', { bytes: list, mediaType: MediaType.dockerManifestList });
  const back = await c.getManifest('oracle/docker', 'list');
  assert.is(back.mediaType, MediaType.dockerManifestList);
  const inspected = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/oracle/docker:list`])) as { manifests: Array<{ digest: string }> };
  assert.is(inspected.manifests[0]!.digest, m.digest);
  assert.is(back.digest, listDigest);
});

test('an OCI index and its children pushed by digest: skopeo copies them all back', async () => {
  const c = client({ registry: plain.host, insecure: true });
  await pushImage(c, 'multi/app', image.manifestDigest);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifest.length, platform: { os: 'linux', architecture: 'amd64' } }],
  }));
  const digest = await c.putManifest('multi/app', 'list', { bytes: index, mediaType: MediaType.ociIndex });
  const back = await c.getManifest('multi/app', 'list');
  assert.is(back.mediaType, MediaType.ociIndex);
  assert.is(back.digest, digest);
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/multi/app:list`]);
  assert.is(raw, index.toString());
  const out = join(work, 'multi');
  await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${plain.host}/multi/app:list`, `oci:${out}:list`]);
  assert.ok(readFileSync(join(out, 'blobs', 'sha256', image.manifestDigest.slice(7))).equals(image.manifest));
});

test('tags are listed across Link-paginated pages', async () => {
  // docker-registry 2.8 answers tags/list in one page, so the proxy serves a first page with a Link.
  const proxy = await startFaultProxy(plain.url);
  const c = client({ registry: proxy.host, insecure: true });
  try {
    await pushImage(c, 'paged/app', 'b1');
    await c.putManifest('paged/app', 'b2', { bytes: image.manifest, mediaType: MediaType.ociManifest });
    proxy.add({
      method: 'GET', path: /tags\/list\?n=2$/,
      action: { kind: 'status', status: 200, body: JSON.stringify({ name: 'paged/app', tags: ['a1', 'a2'] }), headers: { link: '</v2/paged/app/tags/list?last=a2&n=2>; rel="next"' } },
    });
    assert.equal(await c.listTags('paged/app', { pageSize: 2 }), ['a1', 'a2', 'b1', 'b2']);
    assert.equal(proxy.log.filter((e) => e.url.includes('/tags/list')).map((e) => e.url), ['/v2/paged/app/tags/list?n=2', '/v2/paged/app/tags/list?last=a2&n=2']);
    await c.listTags('paged/none').then(() => assert.unreachable(), (err: Error) => {
      assert.instance(err, RegistryNotFoundError);
      assert.match(err.message, `list tags ${proxy.host}/paged/none: 404 Not Found: NAME_UNKNOWN`);
    });
  } finally {
    await proxy.stop();
  }
});

test('cross-repository mount lends a blob without uploading it', async () => {
  const c = client({ registry: plain.host, insecure: true });
  await pushImage(c, 'mount/source', 'v1');
  const layer = image.layers[1]!;
  let opened = 0;
  const how = await c.putBlob('mount/target', { mediaType: 'x', digest: layer.digest, size: layer.blob.length }, async () => { opened++; return Readable.from([layer.blob]); }, { mountFrom: 'mount/source' });
  assert.is(how, 'mounted');
  assert.is(opened, 0);
  assert.ok(await c.hasBlob('mount/target', layer.digest));
  assert.not.ok(await c.mountBlob('mount/target2', 'sha256:' + '0'.repeat(64) as `sha256:${string}`, 'mount/source'));
});

test('a chunked upload carries a blob larger than the threshold', async () => {
  const c = client({ registry: plain.host, insecure: true, chunkedUploadThreshold: 10_000, chunkSize: 32_768 });
  await pushImage(c, 'chunked/image', 'v1');
  const bytes = await readAll(await c.getBlob('chunked/image', { mediaType: 'x', digest: image.layers[1]!.digest, size: image.layers[1]!.blob.length }));
  assert.ok(bytes.equals(image.layers[1]!.blob));
});

test('an upload whose bytes do not match the descriptor is refused before the registry keeps it', async () => {
  const c = client({ registry: plain.host, insecure: true, retry: { retries: 0 } });
  const layer = image.layers[0]!;
  const wrong = Buffer.from(layer.blob);
  wrong[10] = wrong[10]! ^ 1;
  try {
    await c.putBlob('bad/upload', { mediaType: 'x', digest: layer.digest, size: layer.blob.length }, async () => Readable.from([wrong]));
    assert.unreachable('upload of corrupt bytes succeeded');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'DIGEST_MISMATCH');
  }
  assert.not.ok(await c.hasBlob('bad/upload', layer.digest));
});

test('unknown tag and unknown repository name registry, repository and status', async () => {
  const c = client({ registry: plain.host, insecure: true });
  await pushImage(c, 'known/repo', 'v1');
  try {
    await c.getManifest('known/repo', 'missing');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryNotFoundError);
    assert.is((err as Error).message, `pull manifest ${plain.host}/known/repo:missing: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown`);
  }
  try {
    await c.getBlob('no/such-repo', { mediaType: 'x', digest: image.layers[0]!.digest, size: 1 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryNotFoundError);
    assert.match((err as Error).message, `pull blob ${plain.host}/no/such-repo@${image.layers[0]!.digest}: 404 Not Found`);
  }
});

test('TLS: a registry with a private CA is trusted with the CA, refused without it', async () => {
  const good = client({ registry: tls.host, tls: { ca: [readFileSync(tls.certs!.caFile)] } });
  await pushImage(good, 'tls/image', 'v1');
  const m = await good.getManifest('tls/image', 'v1');
  assert.is(m.digest, image.manifestDigest);
  const bad = client({ registry: tls.host, retry: { retries: 0 } });
  try {
    await bad.getManifest('tls/image', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryConnectionError);
    assert.match((err as Error).message, `pull manifest ${tls.host}/tls/image:v1: TLS handshake with ${tls.host} failed`);
    assert.not.match((err as Error).message, '\n');
  }
  const insecure = client({ registry: tls.host, insecure: true });
  assert.is((await insecure.getManifest('tls/image', 'v1')).digest, image.manifestDigest);
});

test('htpasswd: right password works, wrong one fails without showing it, anonymous is refused', async () => {
  const ok = client({ registry: basic.host, insecure: true, credentials: { username: 'alice', password: 'wonderland' } });
  await pushImage(ok, 'basic/image', 'v1');
  assert.is((await ok.getManifest('basic/image', 'v1')).digest, image.manifestDigest);
  const wrong = client({ registry: basic.host, insecure: true, credentials: { username: 'alice', password: 'not-the-password-s3cr3t' } });
  try {
    await wrong.getManifest('basic/image', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryAuthError);
    assert.match((err as Error).message, `pull manifest ${basic.host}/basic/image:v1: 401 Unauthorized`);
    assert.not.match((err as Error).message, 's3cr3t');
    assert.not.match(String((err as Error).stack), 's3cr3t');
  }
  const anon = client({ registry: basic.host, insecure: true });
  try {
    await anon.getManifest('basic/image', 'v1');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RegistryAuthError);
  }
});

test.run();
