import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { startRegistry, skopeo, type TestRegistry } from '../test/support/registry.js';

const test = suite('push over TLS: a self-signed CA trusted through NODE_EXTRA_CA_CERTS, --cert-dir, or not at all');
const t = new TrowelSandbox();
let reg: TestRegistry;

test.before(async () => {
  reg = await startRegistry({ tls: true });
  const c = t.ok(['from', 'scratch']);
  writeFileSync(join(t.root, 'payload'), 'over tls\n');
  t.ok(['copy', c, join(t.root, 'payload'), '/payload']);
  t.ok(['commit', '-q', '--rm', c, 'localhost/tlsimg']);
});

test.after(async () => {
  await reg?.stop();
  t.cleanup();
});

/** The image's layer digests as the registry serves them under `repo:tag`. */
async function layersAt(repo: string): Promise<string[]> {
  const m = JSON.parse(await skopeo(['inspect', '--raw', '--cert-dir', reg.certs!.certDir, `docker://${reg.host}/${repo}:1`])) as { layers: Array<{ digest: string }> };
  return m.layers.map((l) => l.digest);
}

test('an untrusted certificate fails in one line naming the registry, and nothing is pushed', async () => {
  const r = await t.runAsync(['push', '-q', 'localhost/tlsimg', `docker://${reg.host}/untrusted/img:1`], { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.is.not(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, reg.host);
  assert.match(lines[0]!, /certificate/i);
  await skopeo(['inspect', '--raw', '--cert-dir', reg.certs!.certDir, `docker://${reg.host}/untrusted/img:1`]).then(
    () => assert.unreachable('the image reached the registry'), () => undefined);
});

test('the CA named by NODE_EXTRA_CA_CERTS is trusted, as Node programs trust it', async () => {
  const r = await t.runAsync(['push', '-q', 'localhost/tlsimg', `docker://${reg.host}/extra/img:1`], { env: { NODE_EXTRA_CA_CERTS: reg.certs!.caFile } });
  assert.is(r.code, 0, r.stderr);
  assert.is((await layersAt('extra/img')).length, 1);
});

test('the system CA bundle is trusted, as buildah trusts it (SSL_CERT_FILE names it, as for Go)', async () => {
  const r = await t.runAsync(['push', '-q', 'localhost/tlsimg', `docker://${reg.host}/system/img:1`], { env: { NODE_EXTRA_CA_CERTS: '', SSL_CERT_FILE: reg.certs!.caFile } });
  assert.is(r.code, 0, r.stderr);
  assert.is((await layersAt('system/img')).length, 1);
});

test('SSL_CERT_DIR adds a directory of CA certificates, as for Go', async () => {
  const r = await t.runAsync(['push', '-q', 'localhost/tlsimg', `docker://${reg.host}/certsdir/img:1`], { env: { NODE_EXTRA_CA_CERTS: '', SSL_CERT_DIR: reg.certs!.certDir } });
  assert.is(r.code, 0, r.stderr);
  assert.is((await layersAt('certsdir/img')).length, 1);
});

test('an unreadable NODE_EXTRA_CA_CERTS file is skipped with a warning, and verification still applies', async () => {
  const missing = join(reg.dir, 'no-such-ca.pem');
  const r = await t.runAsync(['push', '-q', 'localhost/tlsimg', `docker://${reg.host}/missing/img:1`], { env: { NODE_EXTRA_CA_CERTS: missing } });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, `Warning: ignoring extra certificates from ${missing}: ENOENT`);
  assert.match(r.stderr, /certificate/i);
});

test('--cert-dir trusts the registry CA', async () => {
  const r = await t.runAsync(['push', '-q', '--cert-dir', reg.certs!.certDir, 'localhost/tlsimg', `docker://${reg.host}/certdir/img:1`], { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.is(r.code, 0, r.stderr);
  assert.is((await layersAt('certdir/img')).length, 1);
});

test('a client certificate that cannot be read fails in one line naming the registry', async () => {
  const bad = join(reg.dir, 'bad-certs');
  mkdirSync(bad);
  writeFileSync(join(bad, 'client.cert'), '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  writeFileSync(join(bad, 'client.key'), 'not a key\n');
  const r = await t.runAsync(['push', '-q', '--cert-dir', bad, 'localhost/tlsimg', `docker://${reg.host}/bad/img:1`], { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.is.not(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, `load TLS certificates for ${reg.host}`);
});

test('--tls-verify=false talks TLS without verifying, and pushes the same layer', async () => {
  const r = await t.runAsync(['push', '-q', '--tls-verify=false', 'localhost/tlsimg', `docker://${reg.host}/insecure/img:1`], { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.is(r.code, 0, r.stderr);
  assert.equal(await layersAt('insecure/img'), await layersAt('certdir/img'));
});

test.run();
