import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerfileParser } from 'dockerfile-ast';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseContainerfile } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';
import type { Instruction } from './instructions.js';

function errorOf(text: string, filename?: string): ContainerfileError {
  try {
    parseContainerfile(text, filename ? { filename } : {});
  } catch (e) {
    assert.instance(e, ContainerfileError);
    return e as ContainerfileError;
  }
  throw new Error('expected a ContainerfileError');
}

function all(text: string): Instruction[] {
  const p = parseContainerfile(text);
  return [...p.globalArgs, ...p.stages.flatMap((s) => [s.from, ...s.instructions])];
}

test('ranges cover continuation and heredoc lines; original is the joined logical line', () => {
  const [, run, copy] = all('FROM a\nRUN echo a \\\n  # note\n  b\nCOPY <<EOF /x\nbody\nEOF\n');
  assert.equal(run!.range, { start: { line: 2, column: 1 }, end: { line: 4, column: 4 } });
  assert.is(run!.original, 'RUN echo a   b');
  assert.equal(copy!.range, { start: { line: 5, column: 1 }, end: { line: 7, column: 4 } });
});

test('an error in a continuation line points at that line and column', () => {
  const e = errorOf('FROM a\nRUN --network=none \\\n    --mount=type=nope,target=/x true\n');
  assert.is(e.line, 3);
  assert.is(e.column, 5);
  assert.is(e.file, 'Containerfile');
});

test('COPY and ADD take --parents; ADD records it only when given', () => {
  const [copy, add, plain] = parseContainerfile('FROM x\nCOPY --parents a/./b /d/\nADD --parents a/*.tar /d/\nADD a /d/\n').stages[0]!.instructions;
  assert.is(copy!.kind === 'copy' && copy!.parents, true);
  assert.is(add!.kind === 'add' && add!.parents, true);
  assert.is(plain!.kind === 'add' && 'parents' in plain!, false);
});

test('errors use the file name given', () => {
  const e = errorOf('FROM a\nBOGUS x\n', 'ci/Dockerfile.release');
  assert.is(e.message, 'ci/Dockerfile.release:2:1: unknown instruction: BOGUS');
  assert.is(e.code, 'CONTAINERFILE_SYNTAX');
});

test('control characters in quoted input are escaped so the message stays one printable line', () => {
  const e = errorOf('FROM a\nB\u0001\u001bAD x\n');
  assert.is(e.message, 'Containerfile:2:1: unknown instruction: B\\x01\\x1bAD');
});

test('style warnings come back as data with BuildKit rule names and positions', () => {
  const p = parseContainerfile('FROM a as Build\nMAINTAINER me\nENV K v\nRUN a \\\n\n  b\nCMD run\nONBUILD ENTRYPOINT go\n');
  assert.equal(p.warnings.map((w) => `${w.code}@${w.line}:${w.column}`), [
    'FromAsCasing@1:8', 'StageNameCasing@1:11', 'MaintainerDeprecated@2:1', 'LegacyKeyValueFormat@3:5',
    'NoEmptyContinuation@5:1', 'JSONArgsRecommended@7:5', 'JSONArgsRecommended@8:20',
  ]);
  assert.equal(parseContainerfile('FROM a AS b\nCMD ["x"]\n').warnings, []);
});

test('stages carry index, name and their instructions; ARGs before FROM are global', () => {
  const p = parseContainerfile('ARG A\nFROM a AS One\nRUN x\nFROM b\nCMD y\n');
  assert.equal(p.globalArgs.map((a) => a.args), [[{ name: 'A' }]]);
  assert.equal(p.stages.map((s) => [s.index, s.name, s.instructions.map((i) => i.kind)]), [[0, 'one', ['run']], [1, undefined, ['cmd']]]);
  assert.equal(p.stages[0]!.range, { start: { line: 2, column: 1 }, end: { line: 3, column: 6 } });
});

test('ONBUILD carries the parsed trigger and the expression to record', () => {
  const [, onbuild] = all('FROM a\nONBUILD   COPY --chown=1 . /app\n');
  assert.ok(onbuild!.kind === 'onbuild');
  if (onbuild!.kind !== 'onbuild') return;
  assert.is(onbuild.expression, 'COPY --chown=1 . /app');
  assert.is(onbuild.trigger.kind, 'copy');
  assert.equal(onbuild.trigger.range, onbuild.range);
});

test('CMD does not take heredocs: the body lines are instructions (and here unknown)', () => {
  const e = errorOf('FROM a\nCMD <<EOF\nhello\nEOF\n');
  assert.is(e.message, 'Containerfile:3:1: unknown instruction: hello');
});

test('JSON-form RUN does not take heredocs', () => {
  const [, run] = all('FROM a\nRUN ["cat", "<<EOF"]\n');
  assert.equal(run!.kind === 'run' && run!.heredocs, []);
});

test('flags end at the first word without -- and at a lone --', () => {
  const [, copy] = all('FROM a\nCOPY --link -- --not-a-flag /dst\n');
  assert.ok(copy!.kind === 'copy');
  if (copy!.kind !== 'copy') return;
  assert.is(copy.link, true);
  assert.equal(copy.sources, ['--not-a-flag']);
});

// dockerfile-ast is an independent tokenizer: on every golden case it must find the same
// instructions on the same lines, except where it is known to differ from BuildKit.
const KNOWN_DIFFERENCES: Record<string, string> = {
  'directive-unknown-ends-directives': 'it keeps reading directives after an unknown one',
  'run-heredoc-with-fd': 'it does not see `3<<EOF` as a heredoc',
};

test('instruction boundaries agree with dockerfile-ast on the golden corpus', () => {
  const root = fileURLToPath(new URL('../../testdata/containerfiles/', import.meta.url));
  let compared = 0;
  for (const name of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
    const text = readFileSync(join(root, name, 'Containerfile'), 'utf8');
    const mine = all(text).map((i) => `${i.range.start.line}:${i.kind}`);
    const theirs = DockerfileParser.parse(text).getInstructions().map((i) => `${i.getRange().start.line + 1}:${i.getKeyword().toLowerCase()}`);
    if (name in KNOWN_DIFFERENCES) {
      assert.not.equal(mine, theirs, `${name} no longer differs: remove it from KNOWN_DIFFERENCES`);
      continue;
    }
    assert.equal(mine, theirs, name);
    compared++;
  }
  assert.ok(compared >= 60);
});

test.run();
