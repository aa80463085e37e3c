import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ratio, summarize } from './stats.js';

test('median of odd and even samples, min and max, input untouched', () => {
  const odd = [5, 1, 3];
  assert.equal(summarize(odd), { median: 3, min: 1, max: 5, n: 3 });
  assert.equal(odd, [5, 1, 3]);
  assert.equal(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(summarize([7]).median, 7);
});

test('an empty sample is a caller bug', () => {
  assert.throws(() => summarize([]), /no samples/);
});

test('ratio is trowel over buildah and absent without both figures', () => {
  assert.equal(ratio(50, 200), 0.25);
  assert.is(ratio(undefined, 200), undefined);
  assert.is(ratio(50, undefined), undefined);
  assert.is(ratio(50, 0), undefined);
});

test.run();
