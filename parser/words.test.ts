import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitOnWhitespace, splitQuotedWords } from './words.js';

test('splitQuotedWords keeps quotes and escapes, splits outside quotes', () => {
  assert.equal(splitQuotedWords(`a="b c" d='e f' g\\ h ""`, '\\').map((w) => w.text), ['a="b c"', "d='e f'", 'g\\ h', '""']);
  assert.equal(splitQuotedWords('  x   y', '\\').map((w) => w.offset), [2, 6]);
  assert.equal(splitQuotedWords('a`  b', '`').map((w) => w.text), ['a` ', 'b']);
});

test('splitOnWhitespace does no quoting', () => {
  assert.equal(splitOnWhitespace('"a b"  c').map((w) => [w.text, w.offset]), [['"a', 0], ['b"', 3], ['c', 7]]);
  assert.equal(splitOnWhitespace(''), []);
});

test.run();
