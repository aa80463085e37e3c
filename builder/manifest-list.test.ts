import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../storage/store.js';
import { removeImage } from '../storage/image-ops.js';
import { findImage, normalizeImageName } from '../storage/lookup.js';
import { sha256 } from '../oci/digest.js';
import { TrowelError } from '../oci/error.js';
import { createWorkingContainer, updateContainer } from './working-container.js';
import { commitContainer } from './commit.js';
import {
  addToManifestList, annotateManifestList, createManifestList, findManifestList, manifestListExists,
  pushManifestList, readManifestList, removeFromManifestList, removeManifestList,
} from './manifest-list.js';
import { resolveImage } from './resolve-image.js';
import type { ImageDestination, ManifestBlob } from '../registry/transports/types.js';
import type { Descriptor } from '../oci/descriptor.js';

const test = suite('manifest lists in the local store');
let root: string;
let store: Store;

/** A layerless image for `arch` (from scratch, config edited, committed). */
async function image(name: string, arch: string): Promise<string> {
  const c = await createWorkingContainer(store, {});
  await updateContainer(store, c.id, (r) => { r.config.architecture = arch; delete r.config.variant; });
  const img = await commitContainer(store, c.id, { names: [normalizeImageName(name)], format: 'oci', compression: 'none', rm: true });
  return img.digest;
}

/** A destination that records what it is given and never fails. */
class RecordingDestination implements ImageDestination {
  readonly name = 'memory';
  blobs: Descriptor[] = [];
  manifests: Array<ManifestBlob & { top: boolean }> = [];
  committed = false;
  async hasBlob(): Promise<boolean> { return false; }
  async putBlob(desc: Descriptor, open: () => Promise<NodeJS.ReadableStream>): Promise<void> {
    for await (const _ of await open()) { /* drain */ }
    this.blobs.push(desc);
  }
  async putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> { this.manifests.push({ ...m, top: opts.top }); }
  async commit(): Promise<void> { this.committed = true; }
  async close(): Promise<void> {}
}

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'trowel-list-'));
  store = Store.open({ root });
});

test.after.each(() => {
  rmSync(root, { recursive: true, force: true });
});

test('a list keeps its id across edits while its digest follows the index blob', async () => {
  const list = await createManifestList(store, 'multi');
  assert.is(list.kind, 'index');
  assert.equal(list.names, ['localhost/multi:latest']);
  const d = await image('localhost/a', 'arm64');
  const { list: after } = await addToManifestList(store, 'multi', 'localhost/a');
  assert.is(after.id, list.id);
  assert.is.not(after.digest, list.digest);
  assert.is(sha256(store.blobs.readBytes(after.digest)), after.digest);
  assert.equal(readManifestList(store, after).manifests.map((m) => [m.digest, m.platform?.architecture]), [[d, 'arm64']]);
  assert.ok(manifestListExists(store, list.id.slice(0, 12)));
  assert.not.ok(store.blobs.has(list.digest), 'the replaced index blob is removed');
  // Two empty lists share one index blob: editing one leaves the other's in place.
  const a = await createManifestList(store, 'empty-a');
  const b = await createManifestList(store, 'empty-b');
  assert.is(a.digest, b.digest);
  await addToManifestList(store, 'empty-a', 'localhost/a');
  assert.ok(store.blobs.has(b.digest));
  assert.equal(readManifestList(store, findManifestList(store, 'empty-b')).manifests, []);
});

test('concurrent adds all land (edits happen under the store lock)', async () => {
  await createManifestList(store, 'multi');
  const arches = ['amd64', 'arm64', 's390x', 'ppc64le', 'riscv64'];
  const digests = [];
  for (const a of arches) digests.push(await image(`localhost/img-${a}`, a));
  await Promise.all(arches.map((a) => addToManifestList(store, 'multi', `localhost/img-${a}`)));
  const got = readManifestList(store, findManifestList(store, 'multi')).manifests.map((m) => m.digest).sort();
  assert.equal(got, [...digests].sort());
});

test('annotate and remove accept a digest or an image in the list, and refuse others', async () => {
  await createManifestList(store, 'multi');
  const d = await image('localhost/a', 'arm64');
  await addToManifestList(store, 'multi', 'localhost/a');
  await annotateManifestList(store, 'multi', 'localhost/a', { variant: 'v8', annotations: { k: 'v' } });
  const entry = readManifestList(store, findManifestList(store, 'multi')).manifests[0]!;
  assert.equal(entry.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  assert.equal(entry.annotations, { k: 'v' });
  await image('localhost/b', 'amd64');
  try {
    await removeFromManifestList(store, 'multi', 'localhost/b');
    assert.unreachable();
  } catch (e) {
    assert.is((e as TrowelError).code, 'MANIFEST_LIST');
  }
  assert.is((await removeFromManifestList(store, 'multi', d)).digest, d);
  assert.equal(readManifestList(store, findManifestList(store, 'multi')).manifests, []);
});

test('push --all sends every image, then the index naming what was sent, then commits', async () => {
  await createManifestList(store, 'multi');
  await image('localhost/a', 'arm64');
  await addToManifestList(store, 'multi', 'localhost/a');
  const dst = new RecordingDestination();
  const digest = await pushManifestList(store, 'multi', dst, { all: true, compression: 'gzip' });
  assert.ok(dst.committed);
  const top = dst.manifests.at(-1)!;
  assert.ok(top.top);
  assert.is(top.digest, digest);
  const sentIndex = JSON.parse(top.bytes.toString('utf8'));
  assert.equal(sentIndex.manifests.map((m: { digest: string }) => m.digest), dst.manifests.filter((m) => !m.top).map((m) => m.digest));
});

test('a list whose image was removed fails to push before anything is sent; rm keeps the images', async () => {
  await createManifestList(store, 'multi');
  const gone = await image('localhost/gone', 'arm64');
  await image('localhost/kept', 'amd64');
  await addToManifestList(store, 'multi', 'localhost/kept');
  await addToManifestList(store, 'multi', 'localhost/gone');
  await removeImage(store, 'localhost/gone');
  const dst = new RecordingDestination();
  try {
    await pushManifestList(store, 'multi', dst, { all: true });
    assert.unreachable();
  } catch (e) {
    assert.is((e as TrowelError).code, 'MANIFEST_LIST');
    assert.match((e as Error).message, gone);
  }
  assert.equal(dst.blobs, []);
  assert.equal(dst.manifests, []);
  assert.not.ok(dst.committed);
  const r = await removeManifestList(store, 'multi');
  assert.ok(r.removed);
  assert.not.ok(manifestListExists(store, 'multi'));
  assert.ok(findImage(store.images(), 'localhost/kept'));
});

test('a local list stands for its image for the platform when resolved (from, FROM)', async () => {
  await createManifestList(store, 'multi');
  const arm = await image('localhost/arm', 'arm64');
  const s390 = await image('localhost/s390', 's390x');
  await addToManifestList(store, 'multi', 'localhost/arm');
  await addToManifestList(store, 'multi', 'localhost/s390');
  assert.is((await resolveImage(store, 'multi', { platform: { os: 'linux', architecture: 'arm64' } })).digest, arm);
  assert.is((await resolveImage(store, 'multi', { pull: 'never', platform: { os: 'linux', architecture: 's390x' } })).digest, s390);
  try {
    await resolveImage(store, 'multi', { platform: { os: 'linux', architecture: 'mips64le' } });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /no image in local storage for linux\/mips64le/);
  }
});

test('replacePlatform: an image for a platform already listed takes that entry\'s place', async () => {
  await createManifestList(store, 'multi');
  const amd = await image('app-amd64', 'amd64');
  const arm = await image('app-arm64', 'arm64');
  const s390 = await image('app-s390x', 's390x');
  await addToManifestList(store, 'multi', 'app-amd64');
  await addToManifestList(store, 'multi', 'app-arm64');
  await addToManifestList(store, 'multi', 'app-s390x');
  // Without the option a second amd64 image is simply added.
  const amd2 = await image('app-amd64-v2', 'amd64');
  assert.is.not(amd2, amd);
  const digests = () => readManifestList(store, findManifestList(store, 'multi')).manifests.map((m) => m.digest);
  const { list: added } = await addToManifestList(store, 'multi', 'app-amd64-v2');
  assert.equal(digests(), [amd, arm, s390, amd2]);
  assert.is(added.kind, 'index');
  // With it, the newest amd64 image replaces both amd64 entries, in the place of the first.
  const amd3 = await image('app-amd64-v3', 'amd64');
  await addToManifestList(store, 'multi', 'app-amd64-v3', { replacePlatform: true });
  assert.equal(digests(), [amd3, arm, s390]);
  // A variant is a different platform: added beside, not in place of.
  const armV7 = await image('app-arm', 'arm');
  await addToManifestList(store, 'multi', 'app-arm', { replacePlatform: true, variant: 'v7' });
  assert.equal(digests(), [amd3, arm, s390, armV7]);
});

test('create refuses a name an image has, and amend reuses an existing list', async () => {
  await image('localhost/a', 'arm64');
  try {
    await createManifestList(store, 'localhost/a');
    assert.unreachable();
  } catch (e) {
    assert.is((e as TrowelError).code, 'CONFLICT');
  }
  const first = await createManifestList(store, 'multi');
  assert.is((await createManifestList(store, 'multi', { amend: true })).id, first.id);
});

test.run();
