import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGoDuration } from './duration.js';

test('Go durations in nanoseconds', () => {
  const table: Array<[string, number | undefined]> = [
    ['0', 0], ['1ns', 1], ['1us', 1e3], ['1µs', 1e3], ['300ms', 3e8], ['1.5s', 1.5e9], ['1m30s', 9e10],
    ['2h', 7.2e12], ['-2s', -2e9], ['.5s', 5e8], ['5', undefined], ['', undefined], ['1d', undefined], ['s', undefined],
  ];
  for (const [text, want] of table) assert.is(parseGoDuration(text), want, text);
});

test.run();
