import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scanDirectives } from './directives.js';

test('directives at the top, case-insensitive, blanks around =', () => {
  const r = scanDirectives(['#  Syntax = docker/dockerfile:1 ', '#escape=`', 'FROM x']);
  assert.equal(r.directives, [{ name: 'syntax', value: 'docker/dockerfile:1', line: 1 }, { name: 'escape', value: '`', line: 2 }]);
  assert.is(r.escape, '`');
});

test('a blank line, a comment or an unknown directive ends the block', () => {
  assert.equal(scanDirectives(['', '# escape=`']).directives, []);
  assert.equal(scanDirectives(['# hello', '# escape=`']).escape, '\\');
  assert.equal(scanDirectives(['# foo=bar', '# escape=`']).escape, '\\');
});

test('a repeated directive or a bad escape is an error with its line', () => {
  assert.equal(scanDirectives(['# escape=\\', '# ESCAPE=`']).error?.line, 2);
  assert.match(scanDirectives(['# escape=x']).error!.message, /invalid escape token 'x'/);
});

test('ReDoS: a directive with a long run of blanks inside is read in linear time', () => {
  // `(.+?)[ \t]*$` needed seconds for this line; the value keeps its inner blanks.
  const line = '# syntax=a' + ' '.repeat(200000) + 'b   ';
  const r = scanDirectives([line]);
  assert.is(r.directives[0]!.value, 'a' + ' '.repeat(200000) + 'b');
});

test.run();
