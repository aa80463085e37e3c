import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTRA_CA_CERTS_ENV } from '../config/host-environment.js';
import { registrySecureContext, trustedCertificates } from './trust.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-trust-'));
const extraFile = join(work, 'extra.pem');
writeFileSync(extraFile, '-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n');
const noWarnings = (line: string) => assert.unreachable(`unexpected warning: ${line}`);

test.after(() => rmSync(work, { recursive: true, force: true }));

const systemFile = join(work, 'system-bundle.pem');
writeFileSync(systemFile, '-----BEGIN CERTIFICATE-----\nsystem\n-----END CERTIFICATE-----\n');
/** No system bundle: Node's bundled roots are the roots. */
const noSystem = { systemBundles: [] as string[] };

test('without a system bundle and nothing to add, Node keeps its default store', () => {
  assert.is(trustedCertificates({ ...noSystem }, {}, noWarnings), undefined);
});

test('the system bundle replaces Node\'s bundled roots, as Go (and buildah) read it', () => {
  assert.equal(trustedCertificates({ systemBundles: [join(work, 'absent.pem'), systemFile] }, {}, noWarnings)?.map(String), [String(readFileSync(systemFile))]);
  assert.equal(trustedCertificates({ ...noSystem }, { SSL_CERT_FILE: systemFile }, noWarnings)?.map(String), [String(readFileSync(systemFile))]);
});

test('SSL_CERT_DIR: the PEM certificates of each directory\'s files join the roots; other files are skipped', () => {
  const a = join(work, 'certs-a');
  const b = join(work, 'certs-b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, '1.pem'), 'junk before\n-----BEGIN CERTIFICATE-----\none\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\ntwo\n-----END CERTIFICATE-----\n');
  writeFileSync(join(a, 'README'), 'not a certificate');
  writeFileSync(join(b, 'x.crt'), '-----BEGIN CERTIFICATE-----\nthree\n-----END CERTIFICATE-----\n');
  mkdirSync(join(b, 'subdir'));
  const got = trustedCertificates({ ...noSystem }, { SSL_CERT_DIR: `${a}:${join(work, 'absent')}:${b}` }, noWarnings)!.map(String);
  assert.equal(got.slice(rootCertificates.length), [
    '-----BEGIN CERTIFICATE-----\none\n-----END CERTIFICATE-----',
    '-----BEGIN CERTIFICATE-----\ntwo\n-----END CERTIFICATE-----',
    '-----BEGIN CERTIFICATE-----\nthree\n-----END CERTIFICATE-----',
  ]);
  assert.is(got.length, rootCertificates.length + 3, 'Node\'s roots stay when there is no system bundle');
});

test('an insecure connection trusts nothing and loads no root store, whatever else is set', () => {
  assert.equal(trustedCertificates({ insecure: true, ca: ['x'] }, { [EXTRA_CA_CERTS_ENV]: extraFile, SSL_CERT_FILE: systemFile }, noWarnings), []);
});

test('a registry CA is added to the roots, as containers/image adds certs.d to the system pool', () => {
  const ca = trustedCertificates({ ca: ['registry-ca'], ...noSystem }, {}, noWarnings)!;
  assert.is(ca.length, rootCertificates.length + 1);
  assert.is(ca[0], rootCertificates[0]);
  assert.is(ca.at(-1), 'registry-ca');
  assert.equal(trustedCertificates({ ca: ['registry-ca'] }, { SSL_CERT_FILE: systemFile }, noWarnings)?.map(String), [String(readFileSync(systemFile)), 'registry-ca']);
});

test('the handed-over extra CA file is added to the roots, before a registry CA, and not twice', () => {
  const ca = trustedCertificates({ ca: ['registry-ca'], ...noSystem }, { [EXTRA_CA_CERTS_ENV]: extraFile }, noWarnings)!;
  assert.is(ca.length, rootCertificates.length + 2);
  assert.match(String(ca[rootCertificates.length]), /extra/);
  assert.is(ca.at(-1), 'registry-ca');
  const same = trustedCertificates({}, { [EXTRA_CA_CERTS_ENV]: systemFile, SSL_CERT_FILE: systemFile }, noWarnings)!;
  assert.is(same.length, 1);
});

test('an unreadable extra CA file is skipped with one warning naming it, once, as Node does', () => {
  const warnings: string[] = [];
  const missing = join(work, 'missing.pem');
  assert.is(trustedCertificates({ ...noSystem }, { [EXTRA_CA_CERTS_ENV]: missing }, (l) => warnings.push(l)), undefined);
  assert.equal(warnings, [`Warning: ignoring extra certificates from ${missing}: ENOENT`]);
  assert.is(trustedCertificates({ ...noSystem }, { [EXTRA_CA_CERTS_ENV]: missing }, (l) => warnings.push(l)), undefined);
  assert.is(warnings.length, 1, 'warned once per process');
});

test('one secure context per registry only when there is something to add', () => {
  assert.is(registrySecureContext({ ...noSystem }, {}, noWarnings), undefined);
  assert.ok(registrySecureContext({}, { SSL_CERT_FILE: systemFile }, noWarnings));
  assert.ok(registrySecureContext({ insecure: true }, {}, noWarnings));
  assert.throws(() => registrySecureContext({ cert: 'garbage', key: 'garbage' }, {}, noWarnings), /PEM|key|certificate/i);
});

test.run();
