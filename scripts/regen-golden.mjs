#!/usr/bin/env node
// Regenerates the parser's golden files from the compiled parser (run `npm run build:ts` first,
// or `npm run golden`, which does both):
//   testdata/containerfiles/<case>/expected.json         from <case>/Containerfile (+ args.json)
//   testdata/containerfiles-negative/<case>/error.txt    the one-line error the case must produce
// Usage: node scripts/regen-golden.mjs [case-substring …]
// Review the diff before committing: a changed golden file is a changed behaviour.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { goldenSnapshot } = await import(join(root, 'dist/parser/golden-snapshot.js'));
const { ContainerfileError } = await import(join(root, 'dist/parser/parse-error.js'));
const filters = process.argv.slice(2);

function cases(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && (filters.length === 0 || filters.some((f) => e.name.includes(f))))
    .map((e) => join(root, dir, e.name))
    .sort();
}

function load(dir) {
  const text = readFileSync(join(dir, 'Containerfile'), 'utf8');
  const argsFile = join(dir, 'args.json');
  const options = existsSync(argsFile) ? JSON.parse(readFileSync(argsFile, 'utf8')) : {};
  return { text, options };
}

let written = 0;
let problems = 0;
for (const dir of cases('testdata/containerfiles')) {
  const { text, options } = load(dir);
  try {
    writeFileSync(join(dir, 'expected.json'), JSON.stringify(goldenSnapshot(text, options), null, 2) + '\n');
    written++;
  } catch (e) {
    problems++;
    console.error(`${dir}: expected to parse, got: ${e.message}`);
  }
}
for (const dir of cases('testdata/containerfiles-negative')) {
  const { text, options } = load(dir);
  try {
    goldenSnapshot(text, options);
    problems++;
    console.error(`${dir}: expected an error, but it parsed`);
  } catch (e) {
    if (!(e instanceof ContainerfileError)) {
      problems++;
      console.error(`${dir}: expected a ContainerfileError, got ${e?.constructor?.name}: ${e?.message}`);
      continue;
    }
    writeFileSync(join(dir, 'error.txt'), e.message + '\n');
    written++;
  }
}
console.log(`${written} golden files written, ${problems} problems`);
process.exit(problems ? 1 : 0);
