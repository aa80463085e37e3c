import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { positionAt, scanLogicalLines } from './logical-lines.js';

test('continuations join, comments and blank lines inside are dropped, positions map back', () => {
  const { lines } = scanLogicalLines('FROM a\n  RUN a \\\n# c\n\n   b \\  \n c\n', 'Containerfile');
  assert.equal(lines.map((l) => l.text), ['FROM a', 'RUN a    b  c']);
  const run = lines[1]!;
  assert.equal(positionAt(run, 0), { line: 2, column: 3 });
  assert.equal(positionAt(run, run.text.indexOf('b')), { line: 5, column: 4 });
  assert.equal(positionAt(run, run.text.length - 1), { line: 6, column: 2 });
});

test('heredoc bodies end at the exact terminator; CRLF bodies keep CRLF', () => {
  const { lines } = scanLogicalLines('FROM a\r\nRUN <<E\r\n x\r\nE \r\nE\r\nCMD y\r\n', 'f');
  assert.equal(lines[1]!.heredocs.map((h) => h.content), [' x\r\nE \r\n']);
  assert.equal(lines.map((l) => l.text), ['FROM a', 'RUN <<E', 'CMD y']);
});

test('an unterminated heredoc names the terminator', () => {
  assert.throws(() => scanLogicalLines('FROM a\nRUN <<END\nx\n', 'Containerfile'), /Containerfile:2:1: unterminated heredoc <<END/);
});

test('JSON-form RUN/COPY (after flags, or behind ONBUILD) reads no heredoc bodies', () => {
  const text = 'FROM a\nRUN --network=none ["cat", "<<EOF"]\nONBUILD COPY --link ["<<EOF", "/d"]\nEOF\n';
  const { lines } = scanLogicalLines(text, 'f');
  assert.equal(lines.map((l) => [l.text, l.heredocs.length]), [
    ['FROM a', 0], ['RUN --network=none ["cat", "<<EOF"]', 0], ['ONBUILD COPY --link ["<<EOF", "/d"]', 0], ['EOF', 0],
  ]);
  assert.equal(scanLogicalLines('FROM a\nONBUILD ADD <<X /x\nbody\nX\n', 'f').lines[1]!.heredocs.map((h) => h.content), ['body\n']);
});

test('a continuation that leads to nothing is no instruction', () => {
  assert.equal(scanLogicalLines('FROM a\n\\\n# c\n', 'f').lines.map((l) => l.text), ['FROM a']);
});

test.run();
