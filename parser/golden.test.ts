// The golden corpus: every testdata/containerfiles/<case> must produce exactly its expected.json,
// every testdata/containerfiles-negative/<case> exactly its error.txt (one line). Regenerate with
// `npm run golden` and review the diff.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenSnapshot, type GoldenCaseOptions } from './golden-snapshot.js';
import { ContainerfileError } from './parse-error.js';

const testdata = fileURLToPath(new URL('../../testdata/', import.meta.url));

function caseDirs(dir: string): string[] {
  return readdirSync(join(testdata, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function load(dir: string): { text: string; options: GoldenCaseOptions } {
  const text = readFileSync(join(dir, 'Containerfile'), 'utf8');
  const argsFile = join(dir, 'args.json');
  const options = existsSync(argsFile) ? (JSON.parse(readFileSync(argsFile, 'utf8')) as GoldenCaseOptions) : {};
  return { text, options };
}

const positive = caseDirs('containerfiles');
const negative = caseDirs('containerfiles-negative');

test('the corpus has at least 60 positive and 25 negative cases', () => {
  assert.ok(positive.length >= 60, `${positive.length} positive cases`);
  assert.ok(negative.length >= 25, `${negative.length} negative cases`);
});

test('every case is listed in its corpus README.md', () => {
  for (const [dir, names] of [['containerfiles', positive], ['containerfiles-negative', negative]] as const) {
    const readme = readFileSync(join(testdata, dir, 'README.md'), 'utf8');
    assert.equal(names.filter((c) => !readme.includes(`| \`${c}\` |`)), [], dir);
  }
});

for (const name of positive) {
  test(`golden ${name}`, () => {
    const dir = join(testdata, 'containerfiles', name);
    const { text, options } = load(dir);
    const expected: unknown = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    assert.equal(JSON.parse(JSON.stringify(goldenSnapshot(text, options))), expected);
  });
}

for (const name of negative) {
  test(`negative ${name}`, () => {
    const dir = join(testdata, 'containerfiles-negative', name);
    const { text, options } = load(dir);
    const expected = readFileSync(join(dir, 'error.txt'), 'utf8').replace(/\n$/, '');
    assert.not.match(expected, /\n/, 'error.txt holds one line');
    try {
      goldenSnapshot(text, options);
    } catch (e) {
      assert.instance(e, ContainerfileError);
      assert.is((e as ContainerfileError).message, expected);
      assert.match(expected, /^[^:]+:\d+:\d+: /);
      return;
    }
    assert.unreachable(`${name} parsed without error`);
  });
}

test.run();
