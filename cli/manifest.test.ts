import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TrowelSandbox, type RunResult } from '../test/support/trowel.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';

const test = suite('manifest lists through a real registry (docker-registry), skopeo as oracle');
const t = new TrowelSandbox();
let reg: TestRegistry;
const ids: Record<string, string> = {};
const digests: Record<string, string> = {};

/** Runs trowel without blocking the event loop. */
function trowel(args: string[], sandbox = t): Promise<RunResult> {
  return sandbox.runAsync(args);
}

/** A one-file image for `arch`, made with from scratch + config --arch + commit (no emulator). */
function makeImage(name: string, arch: string): void {
  const c = t.ok(['from', 'scratch']);
  const mnt = t.ok(['mount', c]);
  mkdirSync(join(mnt, 'etc'));
  writeFileSync(join(mnt, 'etc/arch'), `${arch}\n`);
  t.ok(['umount', c]);
  t.ok(['config', '--arch', arch, '--os', 'linux', c]);
  ids[name] = t.ok(['commit', '-q', '--rm', c, name]);
  digests[name] = JSON.parse(t.ok(['images', '--json', name]))[0].digest;
}

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const oneLine = (s: string) => s.trim().split('\n').length === 1;

test.before(async () => {
  reg = await startRegistry();
  makeImage('localhost/app-amd64', 'amd64');
  makeImage('localhost/app-arm64', 'arm64');
});

test.after(async () => {
  await reg?.stop();
  t.cleanup();
});

test('create, add two platforms, inspect prints the index', () => {
  const id = t.ok(['manifest', 'create', 'app:multi']);
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.is(t.ok(['manifest', 'add', 'app:multi', 'localhost/app-amd64']), `${id}: ${digests['localhost/app-amd64']}`);
  t.ok(['manifest', 'add', '--variant', 'v8', '--annotation', 'team=blue', 'app:multi', 'localhost/app-arm64']);
  const index = JSON.parse(t.ok(['manifest', 'inspect', 'app:multi']));
  assert.is(index.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(index.manifests.map((m: { platform: unknown }) => m.platform), [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ]);
  assert.equal(index.manifests.map((m: { digest: string }) => m.digest), [digests['localhost/app-amd64'], digests['localhost/app-arm64']]);
  assert.equal(index.manifests[1].annotations, { team: 'blue' });
  // Listed by images under its name, with the id create printed.
  assert.match(t.ok(['images']), new RegExp(`localhost/app\\s+multi\\s+${id.slice(0, 12)}`));
});

test('annotate changes an entry; adding the same image again replaces it', () => {
  t.ok(['manifest', 'annotate', '--os-version', '1.0', '--os-features', 'f1', 'app:multi', digests['localhost/app-amd64']!]);
  t.ok(['manifest', 'add', '--variant', 'v8', '--annotation', 'team=blue', 'app:multi', 'localhost/app-arm64']);
  const index = JSON.parse(t.ok(['manifest', 'inspect', 'app:multi']));
  assert.is(index.manifests.length, 2);
  assert.equal(index.manifests[0].platform, { architecture: 'amd64', os: 'linux', 'os.version': '1.0', 'os.features': ['f1'] });
});

test('push --all sends both images with compressed layers and an index naming them (skopeo --raw)', async () => {
  const digestFile = join(t.root, 'list.digest');
  const r = await trowel(['manifest', 'push', '--all', '--tls-verify=false', '--digestfile', digestFile, 'app:multi', `docker://${reg.host}/team/app:multi`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /Copying 2 of 2 images in list/);
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:multi`]);
  assert.is(readFileSync(digestFile, 'utf8'), sha(raw));
  const index = JSON.parse(raw);
  assert.equal(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['amd64', 'arm64']);
  for (const entry of index.manifests) {
    // Each child is there under the digest the index names, with gzip layers (the local ones are uncompressed).
    const child = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app@${entry.digest}`]);
    assert.is(sha(child), entry.digest);
    assert.is(Buffer.byteLength(child), entry.size);
    assert.ok(JSON.parse(child).layers.every((l: { mediaType: string }) => l.mediaType.endsWith('+gzip')));
  }
  assert.is.not(index.manifests[0].digest, digests['localhost/app-amd64']);
  // inspect of a name not stored locally shows the registry's list.
  const remote = await trowel(['manifest', 'inspect', '--tls-verify=false', `docker://${reg.host}/team/app:multi`]);
  assert.is(remote.code, 0, remote.stderr);
  assert.equal(JSON.parse(remote.stdout), index);
});

test('pull --platform picks the right child of the pushed list', async () => {
  const other = new TrowelSandbox();
  try {
    for (const arch of ['arm64', 'amd64']) {
      const r = await trowel(['pull', '-q', '--policy', 'always', '--tls-verify=false', '--platform', `linux/${arch}`, `${reg.host}/team/app:multi`], other);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.trim(), ids[`localhost/app-${arch}`]);
    }
    const c = other.ok(['from', '--pull', 'never', `${reg.host}/team/app:multi`]);
    const mnt = other.ok(['mount', c]);
    assert.is(readFileSync(join(mnt, 'etc/arch'), 'utf8'), 'amd64\n');
    other.ok(['umount', c]);
  } finally {
    other.cleanup();
  }
});

test('push without --all sends the index alone: fine where the images are, one clear line where they are not', async () => {
  const same = await trowel(['manifest', 'push', '-q', '--tls-verify=false', 'app:multi', `docker://${reg.host}/team/app:again`]);
  assert.is(same.code, 0, same.stderr);
  const a = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:again`]);
  const b = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:multi`]);
  assert.is(a, b);
  const elsewhere = await trowel(['manifest', 'push', '-q', '--tls-verify=false', 'app:multi', `docker://${reg.host}/other/app:multi`]);
  assert.is(elsewhere.code, 125);
  assert.ok(oneLine(elsewhere.stderr), elsewhere.stderr);
  assert.match(elsewhere.stderr, /--all/);
  const landed = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/other/app:multi`]).then(() => true, () => false);
  assert.is(landed, false, 'nothing is tagged after a refused push');
});

test('registry images added with docker:// are copied from the registry by push --all', async () => {
  t.ok(['manifest', 'create', 'remote:list']);
  const refused = await trowel(['manifest', 'add', '--tls-verify=false', 'remote:list', `docker://${reg.host}/team/app:multi`]);
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /manifest list; use --all/);
  const added = await trowel(['manifest', 'add', '--all', '--tls-verify=false', 'remote:list', `docker://${reg.host}/team/app:multi`]);
  assert.is(added.code, 0, added.stderr);
  const r = await trowel(['manifest', 'push', '--all', '-q', '--tls-verify=false', 'remote:list', `docker://${reg.host}/mirror/app:multi`]);
  assert.is(r.code, 0, r.stderr);
  const source = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:multi`]));
  const mirror = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/mirror/app:multi`]));
  assert.equal(mirror.manifests, source.manifests);
  const arm = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${reg.host}/mirror/app:multi`]));
  assert.is(arm.Architecture, 'arm64');
});

test('push --format oci --compression-format zstd --rm: an OCI index of zstd images, and the local list is gone', async () => {
  t.ok(['manifest', 'create', 'zstd:list', 'localhost/app-amd64', 'localhost/app-arm64']);
  const r = await trowel(['manifest', 'push', '--all', '-q', '--rm', '--format', 'oci', '--compression-format', 'zstd', '--tls-verify=false', 'zstd:list', `docker://${reg.host}/team/zstd:list`]);
  assert.is(r.code, 0, r.stderr);
  const index = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/zstd:list`]));
  assert.is(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  for (const entry of index.manifests) {
    const child = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/zstd@${entry.digest}`]));
    assert.ok(child.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+zstd'));
  }
  assert.is(t.run(['manifest', 'exists', 'zstd:list']).code, 1);
});

test('remove drops an entry; rm removes the list and exists says so', () => {
  const id = t.ok(['manifest', 'create', 'tmp:list', 'localhost/app-arm64']);
  assert.is(t.ok(['manifest', 'remove', 'tmp:list', digests['localhost/app-arm64']!]), `${id}: ${digests['localhost/app-arm64']}`);
  assert.equal(JSON.parse(t.ok(['manifest', 'inspect', 'tmp:list'])).manifests, []);
  assert.is(t.run(['manifest', 'exists', 'tmp:list']).code, 0);
  assert.is(t.run(['manifest', 'exists', 'localhost/app-arm64']).code, 1, 'an image is not a list');
  assert.is(t.ok(['manifest', 'rm', 'tmp:list']), `untagged: localhost/tmp:list\n${id}`);
  assert.is(t.run(['manifest', 'exists', 'tmp:list']).code, 1);
  assert.not.match(t.ok(['images']), /localhost\/tmp/);
  assert.ok(t.ok(['images', '-q', 'localhost/app-arm64']), 'the images of a removed list stay');
});

test('bad input: one line each, and the list is left as it was', async () => {
  const before = t.ok(['manifest', 'inspect', 'app:multi']);
  const cases: Array<[string[], RegExp]> = [
    [['manifest', 'add', 'no-such-list', 'localhost/app-arm64'], /no-such-list: image not known/],
    [['manifest', 'inspect', '--retry', '0', 'localhost/no-such-list'], /localhost/],
    [['manifest', 'add', 'app:multi', 'app:multi'], /manifest list; use --all/],
    [['manifest', 'add', 'localhost/app-arm64', 'localhost/app-amd64'], /not a manifest list/],
    [['manifest', 'add', '--tls-verify=false', 'app:multi', `docker://${reg.host}/team/nothing:here`], /team\/nothing/],
    [['manifest', 'remove', 'app:multi', 'sha256:' + '0'.repeat(64)], /no such image in the list/],
    [['manifest', 'create', 'localhost/app-amd64'], /already used/],
    [['manifest', 'push', '--format', 'v1', 'app:multi', `docker://${reg.host}/x/y:z`], /oci or v2s2/],
  ];
  for (const [args, re] of cases) {
    const r = await trowel(args);
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^Error: /);
    assert.match(r.stderr, re);
  }
  assert.is(t.ok(['manifest', 'inspect', 'app:multi']), before);
});

test('pushing a list whose image was removed fails before anything is sent', async () => {
  makeImage('localhost/doomed', 'arm64');
  t.ok(['manifest', 'create', 'doomed:list', 'localhost/doomed', 'localhost/app-amd64']);
  t.ok(['rmi', 'localhost/doomed']);
  const r = await trowel(['manifest', 'push', '--all', '-q', '--tls-verify=false', 'doomed:list', `docker://${reg.host}/team/doomed:list`]);
  assert.is(r.code, 125);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, new RegExp(`${digests['localhost/doomed']}.*not in local storage`));
  const tags = await skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/team/doomed`]).catch((e: Error) => e.message);
  assert.not.match(tags, /"list"/);
});

test.run();
