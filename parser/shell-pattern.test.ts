import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replacePattern, trimPatternPrefix, trimPatternSuffix } from './shell-pattern.js';

test('prefix and suffix removal, shortest and longest', () => {
  const v = 'a/b.c/d.tar.gz';
  assert.is(trimPatternPrefix('*/', v, false), 'b.c/d.tar.gz');
  assert.is(trimPatternPrefix('*/', v, true), 'd.tar.gz');
  assert.is(trimPatternSuffix('.*', v, false), 'a/b.c/d.tar');
  assert.is(trimPatternSuffix('.*', v, true), 'a/b');
  assert.is(trimPatternPrefix('x*', v, true), v);
  assert.is(trimPatternPrefix('?', v, false), '/b.c/d.tar.gz');
  assert.is(trimPatternSuffix('\\*', 'a*', false), 'a');
  assert.is(trimPatternPrefix('', v, true), v);
});

test('replacement: leftmost longest, all, and Go\'s empty-match rule', () => {
  assert.is(replacePattern('banana', 'an', 'AN', false), 'bANana');
  assert.is(replacePattern('banana', 'an', 'AN', true), 'bANANa');
  assert.is(replacePattern('banana', 'a*a', 'X', false), 'bX');
  assert.is(replacePattern('abc', '*', 'x', true), 'x');
  assert.is(replacePattern('abc', 'z', 'x', true), 'abc');
  assert.is(replacePattern('', '*', 'x', false), 'x');
});

test('* and ? do not cross a newline, as in Go\'s regexp', () => {
  assert.is(trimPatternPrefix('*b', 'a\nb', true), 'a\nb');
  assert.is(trimPatternPrefix('a?b', 'a\nb', true), 'a\nb');
});

test('ReDoS: a pattern with many stars cannot stall expansion', () => {
  const value = 'a'.repeat(3000);
  assert.is(trimPatternPrefix('*a*a*a*a*a*a*a*a*a*a*b', value, true), value);
  assert.is(trimPatternSuffix('*a*a*a*a*a*a*a*a*a*a*b', value, false), value);
  assert.is(replacePattern(value.slice(0, 300), '*a*a*a*a*a*a*a*a*b', 'x', true), value.slice(0, 300));
});

test.run();
