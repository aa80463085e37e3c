import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox, type RunResult } from '../test/support/trowel.js';
import { startFaultProxy, startRegistry, skopeo, type FaultProxy, type TestRegistry } from '../test/support/registry.js';

const test = suite('push: --compression-format zstd checked by skopeo, --retry against a failing registry');
const t = new TrowelSandbox();
let reg: TestRegistry;
let proxy: FaultProxy;

function trowel(args: string[]): Promise<RunResult> {
  return t.runAsync(args);
}

test.before(async () => {
  reg = await startRegistry();
  proxy = await startFaultProxy(reg.url);
  const c = t.ok(['from', 'scratch']);
  writeFileSync(join(t.root, 'payload'), 'zstd me\n'.repeat(1000));
  t.ok(['copy', c, join(t.root, 'payload'), '/payload']);
  t.ok(['commit', '-q', '--rm', c, 'localhost/zimg']);
});

test.after(async () => {
  await proxy?.stop();
  await reg?.stop();
  t.cleanup();
});

test('--compression-format zstd pushes zstd layers that skopeo reads back intact', async () => {
  const r = await trowel(['push', '-q', '--tls-verify=false', '--compression-format', 'zstd', 'localhost/zimg', `docker://${reg.host}/z/img:1`]);
  assert.is(r.code, 0, r.stderr);
  const manifest = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/z/img:1`]));
  assert.equal(manifest.layers.map((l: { mediaType: string }) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd']);
  // skopeo copies it to a layout, verifying every blob's digest on the way.
  const dir = mkdtempSync(join(tmpdir(), 'trowel-zstd-'));
  try {
    await skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${reg.host}/z/img:1`, `oci:${dir}:x`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--retry 0 gives up on a 503, --retry 2 gets through it', async () => {
  proxy.add({ method: 'PUT', path: /\/manifests\//, times: 1, action: { kind: 'status', status: 503 } });
  const failed = await trowel(['push', '-q', '--tls-verify=false', '--retry', '0', 'localhost/zimg', `docker://${proxy.host}/r/img:1`]);
  assert.is(failed.code, 125);
  assert.match(failed.stderr, /503/);
  assert.is(failed.stderr.trim().split('\n').length, 1, failed.stderr);
  proxy.add({ method: 'PUT', path: /\/manifests\//, times: 2, action: { kind: 'status', status: 503 } });
  const ok = await trowel(['push', '-q', '--tls-verify=false', '--retry', '2', '--retry-delay', '10ms', 'localhost/zimg', `docker://${proxy.host}/r/img:1`]);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(proxy.log.filter((e) => e.method === 'PUT' && /\/manifests\//.test(e.url) && e.fault).length, 3);
  await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/r/img:1`]);
});

test('a layer corrupted on its way from the registry fails the pull and leaves nothing in the store', async () => {
  const pushed = await trowel(['push', '-q', '--tls-verify=false', '--compression-format', 'gzip', 'localhost/zimg', `docker://${reg.host}/c/img:1`]);
  assert.is(pushed.code, 0, pushed.stderr);
  const puller = new TrowelSandbox();
  try {
    proxy.add({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'corrupt' } });
    const r = await puller.runAsync(['pull', '-q', '--tls-verify=false', '--retry', '0', `docker://${proxy.host}/c/img:1`]);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /digest mismatch/i);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.is(puller.ok(['images', '-q']).trim(), '');
    const manifest = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/c/img:1`])) as { layers: Array<{ digest: string }> };
    for (const l of manifest.layers) assert.not.ok(existsSync(join(puller.root, 'blobs/sha256', l.digest.slice(7))), `${l.digest} stored`);
    assert.equal(readdirSync(join(puller.root, 'tmp')), []);
  } finally {
    proxy.clear();
    puller.cleanup();
  }
});

test('a bad --retry-delay is one clear line', async () => {
  const r = await trowel(['push', '--retry-delay', 'soon', 'localhost/zimg', `docker://${reg.host}/r/img:2`]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /^Error: parse --retry-delay "soon"/);
});

test.run();
