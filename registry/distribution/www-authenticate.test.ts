import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWwwAuthenticate } from './www-authenticate.js';

test('bearer challenge whose scope holds commas stays one param', () => {
  const c = parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
  assert.equal(c, [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } }]);
});

test('several challenges in one header and across headers', () => {
  const c = parseWwwAuthenticate(['Basic realm="x, y", Bearer realm="r",error="insufficient_scope"', 'Negotiate abc123==']);
  assert.equal(c.map((x) => x.scheme), ['basic', 'bearer', 'negotiate']);
  assert.equal(c[0]!.params, { realm: 'x, y' });
  assert.equal(c[1]!.params, { realm: 'r', error: 'insufficient_scope' });
  assert.is(c[2]!.token68, 'abc123==');
});

test('escaped quotes, spaces around = and token values', () => {
  const c = parseWwwAuthenticate('Bearer realm = "a\\"b" , service=svc');
  assert.equal(c[0]!.params, { realm: 'a"b', service: 'svc' });
});

test('scheme without params and garbage tails do not throw', () => {
  assert.equal(parseWwwAuthenticate('Basic'), [{ scheme: 'basic', params: {} }]);
  assert.equal(parseWwwAuthenticate(''), []);
  assert.equal(parseWwwAuthenticate(undefined), []);
  const c = parseWwwAuthenticate('Bearer realm="unterminated');
  assert.is(c[0]!.params.realm, 'unterminated');
});

test.run();
