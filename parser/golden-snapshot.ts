/**
 * The JSON the golden corpus (testdata/containerfiles/<case>/expected.json) records for one
 * Containerfile: the parse result, the stage graph, and every needed stage's instructions
 * expanded step by step as a build would (ARG/ENV scoping, no base image environment). Used by
 * the golden test and by scripts/regen-golden.mjs, so both always agree on the format.
 */
import { buildStageGraph } from './stage-graph.js';
import { expandInstruction } from './expand-instruction.js';
import type { Instruction } from './instructions.js';
import { parseContainerfile } from './parse-containerfile.js';
import { StageVariables } from './stage-variables.js';

/** Per-case knobs, read from an optional `args.json` beside the Containerfile. */
export interface GoldenCaseOptions {
  buildArgs?: Record<string, string>;
  target?: string;
  filename?: string;
}

/** The fixed platforms golden cases are evaluated with. */
export const GOLDEN_PLATFORMS = {
  build: { os: 'linux', architecture: 'amd64' },
  target: { os: 'linux', architecture: 'arm64', variant: 'v8' },
};

function compact(i: Instruction): Record<string, unknown> {
  const { range, original, ...rest } = i as Instruction & Record<string, unknown>;
  void original;
  const out: Record<string, unknown> = { line: range.start.line, ...rest };
  if (i.kind === 'onbuild') out['trigger'] = compact(i.trigger);
  if ('inline' in i) out['inline'] = i.inline.map(({ range: _r, ...h }) => h);
  if ('heredocs' in i) out['heredocs'] = i.heredocs.map(({ range: _r, ...h }) => h);
  return out;
}

/**
 * Parses, builds the graph and expands; returns plain JSON-able data.
 * @throws ContainerfileError for bad input (what the negative corpus records).
 */
export function goldenSnapshot(text: string, options: GoldenCaseOptions = {}): unknown {
  const filename = options.filename ?? 'Containerfile';
  const parsed = parseContainerfile(text, { filename });
  const buildArgs = options.buildArgs ?? {};
  const graph = buildStageGraph(parsed, {
    buildArgs,
    platforms: GOLDEN_PLATFORMS,
    ...(options.target !== undefined ? { target: options.target } : {}),
  });
  const globals = new Map(Object.entries(graph.globalArgs));
  const expanded = graph.order.map((index) => {
    const stage = parsed.stages[index]!;
    const vars = new StageVariables({ globalArgs: globals, buildArgs });
    const steps = stage.instructions.map((i) => {
      const e = expandInstruction(i, vars.expansionEnv(), { filename, escape: parsed.escape });
      vars.apply(e);
      return compact(e);
    });
    return { index, steps, env: vars.configEnv(), args: Object.fromEntries(vars.argValues()), runEnv: vars.runEnv() };
  });
  const { stages, ...graphRest } = graph;
  return {
    parsed,
    graph: { ...graphRest, stages: stages.map(({ edges, ...s }) => ({ ...s, edges: edges.map((e) => ({ on: e.on, via: e.via, line: e.range.start.line })) })) },
    expanded,
  };
}
