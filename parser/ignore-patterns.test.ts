import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cleanPath, compareMatchersForTest, compileIgnoreFile, IgnoreMatcher, readIgnoreFile } from './ignore-patterns.js';
import { ContainerfileError } from './parse-error.js';

interface IgnoreCase {
  name: string;
  ignore: string;
  files: string[];
  excluded: string[];
}

const cases = JSON.parse(readFileSync(fileURLToPath(new URL('../../testdata/ignore/cases.json', import.meta.url)), 'utf8')) as IgnoreCase[];

for (const c of cases) {
  test(`ignore table: ${c.name}`, () => {
    const m = compileIgnoreFile(c.ignore);
    assert.equal(c.files.filter((f) => m.matches(f)), c.excluded);
  });
}

test('mayIncludeUnder: a walk that prunes excluded directories keeps exactly what matches() keeps', () => {
  for (const c of cases) {
    const m = compileIgnoreFile(c.ignore);
    const kept = c.files.filter((f) => {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (m.matches(dir) && !m.mayIncludeUnder(dir)) return false; // the walk never enters dir
      }
      return !m.matches(f);
    });
    assert.equal(kept, c.files.filter((f) => !c.excluded.includes(f)), c.name);
  }
  const m = compileIgnoreFile('build\n!build/keep\nlogs\n!**/important.log\n');
  assert.equal([m.mayIncludeUnder('build'), m.mayIncludeUnder('logs'), compileIgnoreFile('build\n').mayIncludeUnder('build')], [true, true, false]);
});

test('the linear-time matcher agrees with moby\'s regexp on random patterns and paths', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const patternParts = ['a', 'b', '/', '*', '**', '**/', '?', '.', '[ab]', '[^a]', ']', '\\*', 'x'];
  const pathParts = ['a', 'b', '/', '.', '*', 'x', 'ab', '\n'];
  let compared = 0;
  for (let k = 0; k < 20000; k++) {
    let pattern = '';
    for (let i = 1 + rand(7); i > 0; i--) pattern += patternParts[rand(patternParts.length)]!;
    let path = '';
    for (let i = rand(9); i > 0; i--) path += pathParts[rand(pathParts.length)]!;
    const r = compareMatchersForTest(pattern, path);
    if (!r) continue;
    compared++;
    assert.is(r.tokens, r.regexp, `pattern ${JSON.stringify(pattern)} path ${JSON.stringify(path)}`);
  }
  assert.ok(compared > 5000, `${compared} comparisons`);
});

test('ReDoS: an ignore pattern with many wildcards cannot stall the build', () => {
  // A backtracking regexp needs about n^10 steps here; the token matcher needs 20 passes of n.
  const m = compileIgnoreFile('*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/**/x\n');
  const long = 'a'.repeat(4000);
  assert.is(m.matches(long), false);
  assert.is(m.matches('d/'.repeat(500) + 'y'), false);
  assert.is(m.matches(long + 'b'), true);
});

test('the table is big enough to mean something', () => {
  assert.ok(cases.length >= 15);
});

test('readIgnoreFile: BOM, CRLF, comments only at column 1, cleaning, leading slash', () => {
  assert.equal(readIgnoreFile('\uFEFF# c\r\n  # not a comment\r\n/abs/./x/\r\n!  /neg\r\n').map((l) => [l.pattern, l.line]), [
    ['# not a comment', 2],
    ['abs/x', 3],
    ['!neg', 4],
  ]);
});

test('cleanPath follows Go path.Clean', () => {
  const table: Array<[string, string]> = [
    ['', '.'], ['a/../..', '..'], ['/..', '/'], ['a//b/./c/', 'a/b/c'], ['./', '.'], ['/a/b/../../..', '/'],
  ];
  for (const [input, want] of table) assert.is(cleanPath(input), want, input);
});

test('a lone ! and malformed classes are errors naming file and line', () => {
  for (const [text, line] of [['ok\n!\n', 2], ['[a-\n', 1], ['x\\\n', 1], ['[]\n', 1], ['a\n[z-a]\n', 2]] as const) {
    try {
      compileIgnoreFile(text, '.dockerignore');
      assert.unreachable(text);
    } catch (e) {
      assert.instance(e, ContainerfileError);
      assert.is((e as ContainerfileError).line, line);
      assert.match((e as Error).message, /^\.dockerignore:/);
    }
  }
});

test('the context root itself is never excluded; hasExceptions reports ! patterns', () => {
  const m = new IgnoreMatcher(readIgnoreFile('*\n'));
  assert.is(m.matches('.'), false);
  assert.is(m.matches('anything'), true);
  assert.is(m.hasExceptions, false);
  assert.is(compileIgnoreFile('*\n!x\n').hasExceptions, true);
});

test.run();
