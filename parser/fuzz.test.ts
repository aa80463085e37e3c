// Bounded-time fuzzing: random and mutated Containerfiles (seeded from the golden corpus) go
// through parse, graph, step-by-step expansion and ONBUILD trigger replay; the only error allowed
// out is ContainerfileError, with a one-line `Containerfile:LINE:COL: …` message. The seed is
// printed on failure so a run can be replayed (FUZZ_SEED=… node dist/parser/fuzz.test.js).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandInstruction } from './expand-instruction.js';
import { expandWord, ExpansionError } from './expand.js';
import { compileIgnoreFile } from './ignore-patterns.js';
import { parseOnbuildTriggers } from './onbuild-triggers.js';
import { parseContainerfile } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';
import { buildStageGraph } from './stage-graph.js';
import { StageVariables } from './stage-variables.js';

const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 3000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const testdata = fileURLToPath(new URL('../../testdata/', import.meta.url));
const seeds: string[] = [];
for (const dir of ['containerfiles', 'containerfiles-negative']) {
  for (const e of readdirSync(join(testdata, dir), { withFileTypes: true })) {
    if (e.isDirectory()) seeds.push(readFileSync(join(testdata, dir, e.name, 'Containerfile'), 'utf8'));
  }
}

const TOKENS = [
  'FROM ', 'RUN ', 'COPY ', 'ADD ', 'ENV ', 'ARG ', 'LABEL ', 'ONBUILD ', 'HEALTHCHECK ', 'CMD ', 'SHELL ',
  'VOLUME ', 'EXPOSE ', 'USER ', 'WORKDIR ', 'STOPSIGNAL ', 'MAINTAINER ', 'ENTRYPOINT ', ' AS x', ' AS ',
  '--from=', '--from=0 ', '--mount=', 'type=cache,', 'from=x,', 'target=/t', '--chown=', '--link', '--platform=',
  '--interval=', '--retries=', '--network=', '--', '-', '=', '\\', '\\\n', '`', '\n', '\r\n', ' ', '\t', '#', '# escape=`\n',
  '# syntax=x\n', '"', "'", '[', ']', '["a", "b"]', '[1]', '{', '}', '$', '${', '${A', '${A:-', '${A:+x}', '${A#', '${A%%',
  '${A/', '$A', ':', '?', '*', '<<', '<<EOF', '<<-EOF', "<<'EOF'", '\nEOF\n', 'EOF', '\t\tEOF', 'NONE', 'CMD', 'scratch',
  '\u00e9', '😀', '\u0000', '\uFEFF', '0', '-1', '1ms', '99999999999999999999',
];

function mutate(text: string, r: () => number): string {
  let s = text;
  const steps = 1 + Math.floor(r() * 6);
  for (let k = 0; k < steps; k++) {
    const pos = Math.floor(r() * (s.length + 1));
    const choice = r();
    if (choice < 0.35) s = s.slice(0, pos) + TOKENS[Math.floor(r() * TOKENS.length)]! + s.slice(pos);
    else if (choice < 0.55) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(r() * 8));
    else if (choice < 0.7) s = s.slice(0, pos) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(pos + 1);
    else if (choice < 0.85) {
      const lines = s.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      s = lines.join('\n');
    } else {
      const other = seeds[Math.floor(r() * seeds.length)]!;
      const cut = Math.floor(r() * other.length);
      s = s.slice(0, pos) + other.slice(cut, cut + Math.floor(r() * 80)) + s.slice(pos);
    }
  }
  return s;
}

function randomText(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 40);
  for (let i = 0; i < n; i++) s += TOKENS[Math.floor(r() * TOKENS.length)]!;
  return s;
}

/** Everything a build would do with the text, short of touching the disk. */
function exercise(text: string): void {
  const parsed = parseContainerfile(text, { filename: 'Containerfile' });
  const graph = buildStageGraph(parsed, {
    platforms: { build: { os: 'linux', architecture: 'amd64' } },
    buildArgs: { A: 'x y', HTTP_PROXY: 'p' },
  });
  const globals = new Map(Object.entries(graph.globalArgs));
  for (const index of graph.order) {
    const vars = new StageVariables({ globalArgs: globals, buildArgs: {}, baseEnv: ['PATH=/bin'] });
    for (const i of parsed.stages[index]!.instructions) {
      const e = expandInstruction(i, vars.expansionEnv(), { escape: parsed.escape });
      vars.apply(e);
      if (e.kind === 'onbuild') {
        for (const t of parseOnbuildTriggers([e.expression], { filename: 'Containerfile' })) {
          expandInstruction(t, vars.expansionEnv());
        }
      }
    }
  }
}

test(`only ContainerfileError escapes the parser (seed ${SEED}, ${BUDGET_MS} ms)`, () => {
  const r = rng(SEED);
  const deadline = Date.now() + BUDGET_MS;
  let runs = 0;
  let parsedOk = 0;
  let typed = 0;
  while (Date.now() < deadline) {
    const text = r() < 0.2 ? randomText(r) : mutate(seeds[Math.floor(r() * seeds.length)]!, r);
    runs++;
    try {
      exercise(text);
      parsedOk++;
    } catch (e) {
      if (!(e instanceof ContainerfileError)) {
        assert.unreachable(`seed ${SEED} run ${runs}: ${String((e as Error)?.stack ?? e)}\ninput: ${JSON.stringify(text)}`);
        return;
      }
      assert.match(e.message, /^Containerfile:\d+:\d+: /);
      assert.not.match(e.message, /[\u0000-\u0008\u000a-\u001f\u007f]/, `unprintable message for input ${JSON.stringify(text)}`);
      typed++;
    }
  }
  // The generator must reach both outcomes, or it is not testing much.
  assert.ok(runs > 200, `only ${runs} runs`);
  assert.ok(parsedOk > 0 && typed > 0, `${parsedOk} parsed, ${typed} rejected`);
});

test(`expandWord only throws ExpansionError (seed ${SEED})`, () => {
  const r = rng(SEED + 1);
  const env = new Map([['A', 'a.b.c'], ['E', '']]);
  for (let i = 0; i < 20000; i++) {
    const word = randomText(r).slice(0, 60);
    try {
      expandWord(word, env, { escape: r() < 0.5 ? '\\' : '`' });
    } catch (e) {
      if (!(e instanceof ExpansionError)) assert.unreachable(`${String(e)} for ${JSON.stringify(word)}`);
    }
  }
});

test(`ignore patterns only throw ContainerfileError (seed ${SEED})`, () => {
  const r = rng(SEED + 2);
  const chars = ['*', '**', '?', '[', ']', '-', '^', '!', '\\', '/', '.', '..', 'a', 'b', '\n', ' ', '(', '$', '{'];
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const n = Math.floor(r() * 20);
    for (let k = 0; k < n; k++) text += chars[Math.floor(r() * chars.length)]!;
    try {
      const m = compileIgnoreFile(text);
      m.matches('a/b/c.txt');
      m.matches('.a');
    } catch (e) {
      if (!(e instanceof ContainerfileError)) assert.unreachable(`${String(e)} for ${JSON.stringify(text)}`);
    }
  }
});

test.run();
