import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUlimit } from './ulimits.js';

test('soft and hard, hard defaulting to soft, unlimited', () => {
  assert.equal(parseUlimit('nofile=1024:2048'), { type: 'nofile', soft: 1024, hard: 2048 });
  assert.equal(parseUlimit('nproc=50'), { type: 'nproc', soft: 50, hard: 50 });
  assert.equal(parseUlimit('core=unlimited'), { type: 'core', soft: -1, hard: -1 });
});

test('bad ulimits are one clear error each', () => {
  assert.throws(() => parseUlimit('nofile'), /want type=soft\[:hard\]/);
  assert.throws(() => parseUlimit('bogus=1'), /unknown type bogus/);
  assert.throws(() => parseUlimit('nofile=ten'), /"ten" is not a number/);
  assert.throws(() => parseUlimit('nofile=20:10'), /soft limit above hard limit/);
});

test.run();
