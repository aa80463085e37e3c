import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { topmostUnique } from './mount.js';

test('a layer listed twice keeps only its topmost place (overlay refuses a repeated lower dir)', () => {
  assert.equal(topmostUnique(['c', 'empty', 'b', 'empty', 'a']), ['c', 'empty', 'b', 'a']);
  assert.equal(topmostUnique(['a', 'b']), ['a', 'b']);
  assert.equal(topmostUnique([]), []);
});

test.run();
