import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createByteStream, createPrng } from './prng.js';

test('the same seed gives the same sequence, another seed another', () => {
  const a = createPrng(42), b = createPrng(42), c = createPrng(43);
  const sa = Array.from({ length: 8 }, () => a.next());
  const sb = Array.from({ length: 8 }, () => b.next());
  const sc = Array.from({ length: 8 }, () => c.next());
  assert.equal(sa, sb);
  assert.not.equal(sa, sc);
  for (const x of sa) assert.ok(x >= 0 && x < 1, `out of range: ${x}`);
});

test('int stays in range and reaches both ends over many draws', () => {
  const p = createPrng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = p.int(5);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 5);
    seen.add(v);
  }
  assert.equal(seen.size, 5);
});

test('byte stream is deterministic and chunking does not change it', () => {
  const whole = createByteStream(1)(1000);
  const parts = createByteStream(1);
  const joined = Buffer.concat([parts(1), parts(499), parts(500)]);
  assert.ok(whole.equals(joined));
  assert.not.ok(whole.equals(createByteStream(2)(1000)));
  // Not all zeros: the keystream is really there.
  assert.ok(whole.some((b) => b !== 0));
});

test.run();
