import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../storage/store.js';
import { normalizeImageName } from '../../storage/lookup.js';
import { TrowelError } from '../../oci/error.js';
import { formatPlatform, hostPlatform } from '../../oci/platform.js';
import { buildStageGraph, parseContainerfile } from '../../parser/index.js';
import { commitContainer } from '../commit.js';
import { addToManifestList, createManifestList } from '../manifest-list.js';
import { createWorkingContainer, updateContainer } from '../working-container.js';
import { basePlatforms } from './base-platforms.js';

let root = '';
let store: Store;

/** A layerless local image for `arch`. */
async function image(name: string, arch: string): Promise<void> {
  const c = await createWorkingContainer(store, {});
  await updateContainer(store, c.id, (r) => { r.config.architecture = arch; r.config.os = 'linux'; delete r.config.variant; });
  await commitContainer(store, c.id, { names: [normalizeImageName(name)], format: 'oci', compression: 'none', rm: true });
}

/** A local list of one image per architecture. */
async function list(name: string, archs: string[]): Promise<void> {
  await createManifestList(store, name);
  for (const arch of archs) {
    await image(`${name}-${arch}`, arch);
    await addToManifestList(store, name, `${name}-${arch}`);
  }
}

function platformsOf(containerfile: string): Promise<string[]> {
  const parsed = parseContainerfile(containerfile, { filename: 'Containerfile' });
  const graph = buildStageGraph(parsed, { buildArgs: {}, platforms: { build: hostPlatform() } });
  return basePlatforms(store, graph).then((ps) => ps.map(formatPlatform));
}

async function refused(containerfile: string, message: RegExp): Promise<void> {
  try {
    await platformsOf(containerfile);
  } catch (e) {
    assert.instance(e, TrowelError);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable('should have thrown');
}

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'trowel-base-platforms-'));
  store = Store.open({ root });
  await list('base-a', ['arm64', 'amd64', 's390x']);
  await list('base-b', ['s390x', 'amd64']);
  await list('base-c', ['riscv64']);
  await image('single', 'ppc64le');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a local list gives its platforms, in its order', async () => {
  assert.equal(await platformsOf('FROM base-a\n'), ['linux/arm64', 'linux/amd64', 'linux/s390x']);
});

test('several bases: the platforms all of them offer, in the first one\'s order', async () => {
  assert.equal(await platformsOf('FROM base-a AS one\nFROM base-b\nCOPY --from=one / /\n'), ['linux/amd64', 'linux/s390x']);
});

test('a local image (not pulled from anywhere) gives its own platform', async () => {
  assert.equal(await platformsOf('FROM single\n'), ['linux/ppc64le']);
});

test('a stage with its own --platform does not limit the targets; stages and scratch are skipped', async () => {
  assert.equal(await platformsOf('FROM --platform=$BUILDPLATFORM base-c AS tools\nFROM scratch AS empty\nFROM empty AS again\nFROM base-b\nCOPY --from=tools / /\n'), ['linux/s390x', 'linux/amd64']);
});

test('nothing to take platforms from, or nothing in common, is refused with one line', async () => {
  await refused('FROM scratch AS a\nFROM a\n', /--all-platforms needs a base image other than scratch/);
  await refused('FROM base-a AS x\nFROM base-c\nCOPY --from=x / /\n', /--all-platforms: the base images base-a, base-c have no platform in common/);
});

test.run();
