import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

test('nothing to add leaves Node its default store', () => {
  assert.is(trustedCertificates({}, {}, noWarnings), undefined);
});

test('an insecure connection trusts nothing and loads no root store, whatever else is set', () => {
  assert.equal(trustedCertificates({ insecure: true, ca: ['x'] }, { [EXTRA_CA_CERTS_ENV]: extraFile }, noWarnings), []);
});

test('a registry CA is added to the roots, as containers/image adds certs.d to the system pool', () => {
  const ca = trustedCertificates({ ca: ['registry-ca'] }, {}, noWarnings)!;
  assert.is(ca.length, rootCertificates.length + 1);
  assert.is(ca[0], rootCertificates[0]);
  assert.is(ca.at(-1), 'registry-ca');
});

test('the handed-over extra CA file is added to the roots, before a registry CA', () => {
  const ca = trustedCertificates({ ca: ['registry-ca'] }, { [EXTRA_CA_CERTS_ENV]: extraFile }, noWarnings)!;
  assert.is(ca.length, rootCertificates.length + 2);
  assert.match(String(ca[rootCertificates.length]), /extra/);
  assert.is(ca.at(-1), 'registry-ca');
});

test('an unreadable extra CA file is skipped with one warning naming it, once, as Node does', () => {
  const warnings: string[] = [];
  const missing = join(work, 'missing.pem');
  assert.is(trustedCertificates({}, { [EXTRA_CA_CERTS_ENV]: missing }, (l) => warnings.push(l)), undefined);
  assert.equal(warnings, [`Warning: ignoring extra certificates from ${missing}: ENOENT`]);
  assert.is(trustedCertificates({}, { [EXTRA_CA_CERTS_ENV]: missing }, (l) => warnings.push(l)), undefined);
  assert.is(warnings.length, 1, 'warned once per process');
});

test('one secure context per registry only when there is something to add', () => {
  assert.is(registrySecureContext({}, {}, noWarnings), undefined);
  assert.ok(registrySecureContext({ insecure: true }, {}, noWarnings));
  assert.throws(() => registrySecureContext({ cert: 'garbage', key: 'garbage' }, {}, noWarnings), /PEM|key|certificate/i);
});

test.run();
