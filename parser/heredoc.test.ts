import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chompHeredocBody, heredocOpenersOnLine, parseHeredocWord } from './heredoc.js';

test('heredoc words: chomp, fd, quoting turns expansion off', () => {
  assert.equal(parseHeredocWord('<<EOF'), { name: 'EOF', expand: true, chomp: false, fd: 0 });
  assert.equal(parseHeredocWord('<<-EOT'), { name: 'EOT', expand: true, chomp: true, fd: 0 });
  assert.equal(parseHeredocWord('2<<"E"'), { name: 'E', expand: false, chomp: false, fd: 2 });
  assert.equal(parseHeredocWord("<<E'O'F"), { name: 'EOF', expand: false, chomp: false, fd: 0 });
  for (const w of ['<<', 'cat<<EOF', '<<<EOF', 'EOF', '<<a b']) assert.is(parseHeredocWord(w), undefined, w);
});

test('openers on a line are found in order, quoted << is not one', () => {
  assert.equal(heredocOpenersOnLine('RUN cat <<A && cat <<-"B" "<<C"').map((h) => h.name), ['A', 'B']);
});

test('chomp removes leading tabs only', () => {
  assert.is(chompHeredocBody('\t\ta\n  b\n\tc\n'), 'a\n  b\nc\n');
});

test.run();
