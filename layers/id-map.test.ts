import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../oci/error.js';
import { toContainerId, toHostId } from './id-map.js';

const map = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];

test('container ids map to host ids range by range', () => {
  assert.is(toHostId(map, 0), 1000);
  assert.is(toHostId(map, 1), 100000);
  assert.is(toHostId(map, 65536), 165535);
});

test('an unmapped container id is an error naming it', () => {
  assert.throws(() => toHostId(map, 65537, 'uid'), (e: unknown) => e instanceof InvalidArgumentError && /uid 65537/.test((e as Error).message));
});

test('host ids map back; unmapped ones become the overflow id, never root', () => {
  assert.is(toContainerId(map, 1000), 0);
  assert.is(toContainerId(map, 100033), 34);
  assert.is(toContainerId(map, 0), 65534);
  assert.is(toContainerId(map, 999), 65534);
});

test.run();
