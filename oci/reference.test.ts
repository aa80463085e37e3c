import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReference, formatReference } from './reference.js';
import { TrowelError } from './error.js';

test('short name gets docker.io/library and latest', () => {
  assert.is(formatReference(parseReference('busybox')), 'docker.io/library/busybox:latest');
});

test('short name with localhost default domain', () => {
  assert.is(formatReference(parseReference('app', { defaultDomain: 'localhost' })), 'localhost/app:latest');
});

test('registry with port, nested path, tag and digest', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  const r = parseReference(`127.0.0.1:5000/team/app:1.2@${d}`);
  assert.equal(r, { domain: '127.0.0.1:5000', path: 'team/app', tag: '1.2', digest: d });
});

test('digest only reference has no default tag', () => {
  const d = 'sha256:' + 'b'.repeat(64);
  assert.is(parseReference(`localhost/x@${d}`).tag, undefined);
});

test('uppercase repository is refused with a clear message', () => {
  try {
    parseReference('localhost/App');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TrowelError);
    assert.match((e as Error).message, /parse reference "localhost\/App": repository name must be lowercase/);
  }
});

test('bad tag and bad digest are refused', () => {
  assert.throws(() => parseReference('a:-x'), /invalid tag/);
  assert.throws(() => parseReference('a@sha256:zz'), /invalid digest/);
  assert.throws(() => parseReference(''), /empty name/);
});

test.run();
