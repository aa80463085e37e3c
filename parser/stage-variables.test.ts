import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandInstruction } from './expand-instruction.js';
import { parseContainerfile } from './parse-containerfile.js';
import { StageVariables } from './stage-variables.js';

function run(text: string, init: { globals?: Record<string, string>; buildArgs?: Record<string, string>; baseEnv?: string[] } = {}) {
  const parsed = parseContainerfile(text);
  const vars = new StageVariables({
    globalArgs: new Map(Object.entries(init.globals ?? {})),
    buildArgs: init.buildArgs ?? {},
    ...(init.baseEnv ? { baseEnv: init.baseEnv } : {}),
  });
  const expanded = parsed.stages[0]!.instructions.map((i) => {
    const e = expandInstruction(i, vars.expansionEnv(), { escape: parsed.escape });
    vars.apply(e);
    return e;
  });
  return { vars, expanded };
}

test('the base image ENV feeds expansion and wins over ARG', () => {
  const { vars, expanded } = run('FROM x\nARG HOME=/arg\nWORKDIR $HOME/app\n', { baseEnv: ['HOME=/root', 'PATH=/bin'] });
  assert.equal(expanded[1], { ...expanded[1]!, kind: 'workdir', path: '/root/app' } as never);
  assert.equal(vars.configEnv(), ['HOME=/root', 'PATH=/bin']);
});

test('ARG values reach RUN but never the config Env', () => {
  const { vars } = run('FROM x\nARG A=1\nENV B=2\n');
  assert.equal(vars.configEnv(), ['B=2']);
  assert.equal(vars.runEnv(), ['A=1', 'B=2']);
});

test('proxy build args reach RUN without an ARG line; other build args do not', () => {
  const { vars } = run('FROM x\nENV B=2\n', { buildArgs: { http_proxy: 'http://p', OTHER: 'x' } });
  assert.equal(vars.runEnv(), ['http_proxy=http://p', 'B=2']);
});

test('ARG NAME takes the global value, a build arg beats both', () => {
  assert.equal([...run('FROM x\nARG G\n', { globals: { G: 'global' } }).vars.argValues()], [['G', 'global']]);
  assert.equal([...run('FROM x\nARG G=d\n', { globals: { G: 'global' }, buildArgs: { G: 'cli' } }).vars.argValues()], [['G', 'cli']]);
  const declaredOnly = run('FROM x\nARG NONE\n').vars;
  assert.ok(declaredOnly.declaredArgs().has('NONE'));
  assert.is(declaredOnly.argValues().has('NONE'), false);
});

test('ENV of several pairs expands all of them before setting any', () => {
  const { vars } = run('FROM x\nENV A=1\nENV A=2 B=$A\n');
  assert.equal(vars.configEnv(), ['A=2', 'B=1']);
});

test('base env entries without = are kept with an empty value', () => {
  assert.equal(run('FROM x\n', { baseEnv: ['EMPTY', 'A=b=c'] }).vars.configEnv(), ['EMPTY=', 'A=b=c']);
});

test.run();
