import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capabilityNumbers, DEFAULT_CAPABILITIES, effectiveCapabilities } from './capabilities.js';

test("buildah's default set is 0x800405fb", () => {
  const mask = capabilityNumbers([...DEFAULT_CAPABILITIES]).reduce((m, n) => m | (1n << BigInt(n)), 0n);
  assert.is(mask, 0x800405fbn);
});

test('cap-add and cap-drop accept any spelling; drop ALL then add', () => {
  const s = effectiveCapabilities(['net_admin'], ['CAP_CHOWN', 'kill']);
  assert.ok(s.includes('CAP_NET_ADMIN'));
  assert.not.ok(s.includes('CAP_CHOWN'));
  assert.not.ok(s.includes('CAP_KILL'));
  assert.equal(effectiveCapabilities(['SETUID'], ['ALL']), ['CAP_SETUID']);
  assert.is(effectiveCapabilities(['ALL']).length, 41);
});

test('an unknown capability is one clear error', () => {
  assert.throws(() => effectiveCapabilities(['CAP_FLY']), /parse --cap-add "CAP_FLY": unknown capability/);
});

test.run();
