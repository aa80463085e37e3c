import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandHeredocBody, expandWithReport, expandWord, expandWords, ExpansionError } from './expand.js';

const env = new Map([
  ['PWD', '/home'],
  ['SHELL', 'bash'],
  ['KOREAN', '한국어'],
  ['NULL', ''],
  ['FILE', 'archive.tar.gz'],
  ['PATHV', '/usr/local/bin/tool'],
]);

// Single-word expansion, from BuildKit's shell lexer test table (envVarTest); `error` means
// the lexer refuses the input.
const WORDS: Array<[string, string]> = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", 'error'],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", 'error'],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', 'error'],
  ['"hello\\"', 'error'],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", 'error'],
  ["'hello\\'", 'hello\\'],
  ["'hello\\there'", 'hello\\there'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['\\${}', '${}'],
  ['he\\${}xx', 'he${}xx'],
  ['${}', 'error'],
  ['he${}xx', 'error'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', 'error'],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', 'error'],
  ['he${XXX?}', 'error'],
  ['he${XXX:?}', 'error'],
  ['he${PWD?}', 'he/home'],
  ['he${PWD:?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['he${NULL:?}', 'error'],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ['he${PWD', 'error'],
  ['he${PWD:=000}xx', 'error'],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
  ['안녕$KOREAN', '안녕한국어'],
  ["안'녕'하세요", '안녕하세요'],
  ['${{aaa}', 'error'],
  ['${aaa}}', '}'],
  ['${a:-3aa}', '3aa'],
  ['$AAA', ''],
  // The unset/empty distinction of the colon-less forms.
  ['${NULL-def}', ''],
  ['${NULL:-def}', 'def'],
  ['${NULL+alt}', 'alt'],
  ['${NULL:+alt}', ''],
  // Pattern removal and replacement.
  ['${FILE#*.}', 'tar.gz'],
  ['${FILE##*.}', 'gz'],
  ['${FILE%.*}', 'archive.tar'],
  ['${FILE%%.*}', 'archive'],
  ['${PATHV##*/}', 'tool'],
  ['${PATHV%/*}', '/usr/local/bin'],
  ['${FILE#nomatch}', 'archive.tar.gz'],
  ['${FILE/a/A}', 'Archive.tar.gz'],
  ['${FILE//a/A}', 'Archive.tAr.gz'],
  ['${FILE/.tar/}', 'archive.gz'],
  ['${FILE/*./X}', 'Xgz'],
  ['${PATHV/\\/usr/opt}', 'opt/local/bin/tool'],
  ['${FILE:#x}', 'error'],
  ['${FILE/a', 'error'],
];

for (const [input, want] of WORDS) {
  test(`expandWord ${JSON.stringify(input)} -> ${want}`, () => {
    if (want === 'error') {
      assert.throws(() => expandWord(input, env), (e: unknown) => e instanceof ExpansionError);
    } else {
      assert.is(expandWord(input, env), want);
    }
  });
}

test('the escape directive character replaces backslash', () => {
  assert.is(expandWord('a`$PWD', env, { escape: '`' }), 'a$PWD');
  assert.is(expandWord('C:\\dir\\$PWD', env, { escape: '`' }), 'C:\\dir\\/home');
});

test('expandWords splits on unquoted blanks, including blanks that came from variables', () => {
  const e = new Map([['X', '1 2'], ['E', '']]);
  assert.equal(expandWords('a "b c" d', e), ['a', 'b c', 'd']);
  assert.equal(expandWords('$X', e), ['1', '2']);
  assert.equal(expandWords('"$X"', e), ['1 2']);
  assert.equal(expandWords('a $E b', e), ['a', 'b']);
  assert.equal(expandWords("a '' b", e), ['a', 'b']);
});

test('expandWithReport lists the variables read and the plain references left unset', () => {
  const r = expandWithReport('$PWD ${MISSING} ${OTHER:-x} $NULL', env);
  assert.equal([...r.used].sort(), ['NULL', 'PWD']);
  assert.equal([...r.unset], ['MISSING']);
});

test('skipUnset leaves references to unset variables as written', () => {
  assert.is(expandWord('$PWD/$NOPE/${NOPE}', env, { skipUnset: true }), '/home/$NOPE/${NOPE}');
});

test('heredoc bodies keep quotes and backslashes but substitute variables', () => {
  assert.is(expandHeredocBody('echo "$PWD" \'x\' \\$PWD a\\nb ${SHELL:-sh}\n', env), 'echo "/home" \'x\' $PWD a\\nb bash\n');
});

test.run();
