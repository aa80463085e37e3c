import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCertDir, tlsForHost } from './cert-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-certdir-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('*.crt are CAs, name.cert + name.key a client pair', () => {
  const d = join(dir, 'one');
  mkdirSync(d);
  writeFileSync(join(d, 'ca.crt'), 'CA1');
  writeFileSync(join(d, 'extra.crt'), 'CA2');
  writeFileSync(join(d, 'client.cert'), 'CERT');
  writeFileSync(join(d, 'client.key'), 'KEY');
  const t = readCertDir(d);
  assert.equal(t.ca?.map(String), ['CA1', 'CA2']);
  assert.is(String(t.cert), 'CERT');
  assert.is(String(t.key), 'KEY');
});

test('a client certificate without its key is an error naming the file', () => {
  const d = join(dir, 'two');
  mkdirSync(d);
  writeFileSync(join(d, 'client.cert'), 'CERT');
  assert.throws(() => readCertDir(d), /client.cert: missing key client.key/);
});

test('per-host directories under the system bases; --cert-dir replaces them', () => {
  const base = join(dir, 'certs.d');
  mkdirSync(join(base, 'reg.example:5000'), { recursive: true });
  writeFileSync(join(base, 'reg.example:5000', 'ca.crt'), 'HOSTCA');
  assert.equal(tlsForHost('reg.example:5000', { systemDirs: [base] }).ca?.map(String), ['HOSTCA']);
  assert.equal(tlsForHost('other.example', { systemDirs: [base] }), {});
  assert.equal(tlsForHost('reg.example:5000', { systemDirs: [base], certDir: join(dir, 'one') }).ca?.map(String), ['CA1', 'CA2']);
});

test.run();
