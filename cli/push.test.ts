import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

test('a bad --retry-delay is one clear line', async () => {
  const r = await trowel(['push', '--retry-delay', 'soon', 'localhost/zimg', `docker://${reg.host}/r/img:2`]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /^Error: parse --retry-delay "soon"/);
});

test.run();
