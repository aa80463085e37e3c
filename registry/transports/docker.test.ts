import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { startFaultProxy, startRegistry, writeTestImage, skopeo, type TestRegistry, type TestImage } from '../../test/support/registry.js';
import { loadRegistriesConf } from '../config/registries-conf.js';
import { storeCredentials } from '../config/auth-file.js';
import { openDockerDestination, openDockerSource, type DockerImageDestination, type DockerImageSource } from './docker.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-docker-'));
let plain: TestRegistry;
let mirror: TestRegistry;
let secured: TestRegistry;
let image: TestImage;

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function conf(text: string) {
  const f = join(work, `registries-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(f, text);
  return loadRegistriesConf({ file: f });
}

/** Copies the test image from its OCI layout to a destination, all blobs at once. */
async function pushLayout(dst: DockerImageDestination, hint?: { registry: string; repository: string }): Promise<void> {
  const m = JSON.parse(image.manifest.toString()) as { config: Descriptor; layers: Descriptor[] };
  const blob = (d: Descriptor) => async (): Promise<Readable> => createReadStream(join(image.dir, 'blobs', 'sha256', d.digest.slice(7)));
  await Promise.all([...m.layers, m.config].map(async (d) => {
    if (!(await dst.hasBlob(d))) await dst.putBlob(d, blob(d), hint);
  }));
  await dst.putManifest({ bytes: image.manifest, mediaType: MediaType.ociManifest, digest: image.manifestDigest }, { top: true });
  await dst.commit();
}

async function readImage(src: DockerImageSource): Promise<Buffer[]> {
  const top = await src.getManifest();
  const m = JSON.parse(top.bytes.toString()) as { config: Descriptor; layers: Descriptor[] };
  return Promise.all([...m.layers, m.config].map(async (d) => readAll(await src.getBlob(d))));
}

test.before(async () => {
  [plain, mirror, secured] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ auth: 'token' })]);
  image = await writeTestImage(join(work, 'image'), { layerSizes: [3000, 70_000, 500] });
});

test.after(async () => {
  await Promise.all([plain?.stop(), mirror?.stop(), secured?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('source: reads what skopeo pushed, digest-verified', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${plain.host}/src/app:v1`]);
  const src = await openDockerSource(`docker://${plain.host}/src/app:v1`, { tlsVerify: false, registriesConf: conf('') });
  try {
    assert.is(src.name, `docker://${plain.host}/src/app:v1`);
    const blobs = await readImage(src);
    assert.equal(blobs.slice(0, 3).map((b) => b.length), image.layers.map((l) => l.blob.length));
    assert.ok(blobs[3]!.equals(image.config));
  } finally {
    await src.close();
  }
});

test('destination: concurrent blob puts, tag written at commit, skopeo reads it back', async () => {
  const dst = await openDockerDestination(`docker://${plain.host}/dst/app:v2`, { tlsVerify: false, registriesConf: conf('') });
  try {
    await pushLayout(dst);
    assert.is(dst.manifestDigest, image.manifestDigest);
  } finally {
    await dst.close();
  }
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/dst/app:v2`]);
  assert.is(raw, image.manifest.toString());
});

test('destination: nothing is tagged when the push fails before commit', async () => {
  const dst = await openDockerDestination(`${plain.host}/dst/failed:v1`, { tlsVerify: false, registriesConf: conf('') });
  try {
    await dst.putManifest({ bytes: image.manifest, mediaType: MediaType.ociManifest, digest: image.manifestDigest }, { top: true });
  } finally {
    await dst.close();
  }
  await skopeo(['inspect', '--tls-verify=false', `docker://${plain.host}/dst/failed:v1`]).then(() => assert.unreachable('tag exists'), (err: Error) => assert.match(err.message, /manifest unknown|not found/i));
});

test('destination: a blob hint on the same registry mounts instead of uploading', async () => {
  const proxy = await startFaultProxy(plain.url);
  try {
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${proxy.host}/mount/from:v1`]);
    proxy.log.length = 0;
    const dst = await openDockerDestination(`${proxy.host}/mount/to:v1`, { tlsVerify: false, registriesConf: conf('') });
    try {
      await pushLayout(dst, { registry: proxy.host, repository: 'mount/from' });
    } finally {
      await dst.close();
    }
    const posts = proxy.log.filter((e) => e.method === 'POST');
    assert.is(posts.length, 4);
    assert.ok(posts.every((e) => e.url.includes('mount=') && e.url.includes('from=mount%2Ffrom') && e.status === 201), JSON.stringify(posts.map((p) => [p.url, p.status])));
    assert.not.ok(proxy.log.some((e) => e.method === 'PUT' && e.url.includes('/blobs/')), 'no blob uploaded');
  } finally {
    await proxy.stop();
  }
});

test('short names resolve through unqualified-search-registries; insecure from registries.conf', async () => {
  const c = conf(`unqualified-search-registries = ["${plain.host}"]\n[[registry]]\nlocation = "${plain.host}"\ninsecure = true\n`);
  const src = await openDockerSource('src/app:v1', { registriesConf: c });
  try {
    assert.is(src.name, `docker://${plain.host}/src/app:v1`);
    assert.is((await src.getManifest()).digest.length, 71);
  } finally {
    await src.close();
  }
});

test('mirrors are tried first and fall back to the registry', async () => {
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${mirror.host}/mirrored/src/app:only-on-mirror`]);
  const c = conf(`[[registry]]\nlocation = "${plain.host}"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.host}/mirrored"\ninsecure = true\n`);
  const trying: string[] = [];
  const viaMirror = await openDockerSource(`${plain.host}/src/app:only-on-mirror`, { registriesConf: c, onTrying: (r) => trying.push(r) });
  assert.equal(trying, [`${mirror.host}/mirrored/src/app:only-on-mirror`]);
  assert.is(viaMirror.registry, mirror.host);
  assert.is(viaMirror.repository, 'mirrored/src/app');
  await readImage(viaMirror);
  await viaMirror.close();
  trying.length = 0;
  const fallback = await openDockerSource(`${plain.host}/src/app:v1`, { registriesConf: c, onTrying: (r) => trying.push(r) });
  assert.equal(trying, [`${mirror.host}/mirrored/src/app:v1`, `${plain.host}/src/app:v1`]);
  assert.is(fallback.registry, plain.host);
  await fallback.close();
  await openDockerSource(`${plain.host}/src/app:nowhere`, { registriesConf: c }).then(() => assert.unreachable(), (err: Error) => {
    assert.is((err as { code?: string }).code, 'IMAGE_NOT_FOUND');
    assert.match(err.message, `pull ${plain.host}/src/app:nowhere: not found in any of: ${mirror.host}/mirrored/src/app:nowhere (404 Not Found`);
  });
});

test('a mirror that is down or refuses us falls back to the registry', async () => {
  const c = conf(`[[registry]]\nlocation = "${plain.host}"\ninsecure = true\n[[registry.mirror]]\nlocation = "127.0.0.1:1/down"\ninsecure = true\n[[registry.mirror]]\nlocation = "${secured.host}/needs-auth"\ninsecure = true\n`);
  const src = await openDockerSource(`${plain.host}/src/app:v1`, { registriesConf: c, client: { retry: { retries: 1, baseDelayMs: 5 } } });
  assert.is(src.registry, plain.host);
  await src.close();
  await openDockerSource(`${plain.host}/src/app:gone`, { registriesConf: c, client: { retry: { retries: 0 } } }).then(() => assert.unreachable(), (err: Error) => {
    assert.is((err as { code?: string }).code, 'REGISTRY_ERROR');
    assert.match(err.message, `pull ${plain.host}/src/app:gone: no source could serve it: 127.0.0.1:1/down/src/app:gone (cannot reach 127.0.0.1:1`);
    assert.match(err.message, `${secured.host}/needs-auth/src/app:gone (401 Unauthorized`);
    assert.not.match(err.message, '\n');
  });
});

test('blocked registries are refused for pull and push', async () => {
  const c = conf(`[[registry]]\nlocation = "${plain.host}"\nblocked = true\n`);
  await openDockerSource(`${plain.host}/src/app:v1`, { registriesConf: c }).then(() => assert.unreachable(), (err: Error) => assert.is((err as { code?: string }).code, 'REGISTRY_BLOCKED'));
  await openDockerDestination(`${plain.host}/x:v1`, { registriesConf: c }).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, 'blocked in registries.conf'));
});

test('credentials come from --authfile or --creds', async () => {
  const authFile = join(work, 'auth.json');
  await storeCredentials(secured.host, 'alice', 'wonderland', { authFile });
  const dst = await openDockerDestination(`${secured.host}/private/app:v1`, { authFile, tlsVerify: false, registriesConf: conf('') });
  try {
    await pushLayout(dst);
  } finally {
    await dst.close();
  }
  const src = await openDockerSource(`${secured.host}/private/app:v1`, { creds: 'alice:wonderland', tlsVerify: false, registriesConf: conf('') });
  try {
    assert.is((await src.getManifest()).digest, image.manifestDigest as Digest);
  } finally {
    await src.close();
  }
  await openDockerSource(`${secured.host}/private/app:v1`, { tlsVerify: false, registriesConf: conf('') }).then(() => assert.unreachable(), (err: Error) => assert.is((err as { code?: string }).code, 'REGISTRY_UNAUTHORIZED'));
  assert.ok(readFileSync(authFile, 'utf8').includes(Buffer.from('alice:wonderland').toString('base64')));
});

test.run();
