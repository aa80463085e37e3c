/**
 * The stage graph of a parsed Containerfile: each stage's base (scratch, an earlier stage or an
 * image), dependency edges from `FROM <stage>`, `COPY --from=<stage|index>` and
 * `RUN --mount=…,from=<stage>`, the external images, the stages `--target` needs, a topological
 * order and the groups of stages that may run in parallel, and unused `--build-arg` warnings.
 * Pure: platforms and build args come in through the options.
 */
import { InvalidArgumentError } from '../oci/error.js';
import { parsePlatform } from '../oci/platform.js';
import { BUILTIN_ARGS, builtinArgValues, PROXY_ARGS, resolveGlobalArgs, type BuildPlatforms } from './build-args.js';
import { expandWithReport, expandWord, ExpansionError } from './expand.js';
import { expandInstruction } from './expand-instruction.js';
import { StageVariables } from './stage-variables.js';
import type { Instruction } from './instructions.js';
import type { ParsedContainerfile, Stage } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';
import type { SourceRange } from './source-range.js';

/** Where a stage starts from. */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; index: number }
  | { kind: 'image'; reference: string };

/** Why one stage depends on another or on an image. */
export interface StageEdge {
  /** The stage index, or the image reference, depended on. */
  on: { kind: 'stage'; index: number } | { kind: 'image'; reference: string };
  via: 'from' | 'copy' | 'mount';
  range: SourceRange;
}

/** One stage in the graph. */
export interface GraphStage {
  index: number;
  name?: string;
  base: StageBase;
  /** The expanded `--platform` of FROM, if given. */
  platform?: string;
  edges: StageEdge[];
  /** Indexes of the stages this one needs, sorted, without duplicates. */
  dependsOn: number[];
  /** Whether the target needs this stage. */
  needed: boolean;
}

/** A condition the user should hear about that does not stop the build. */
export interface BuildWarning {
  code: 'UNUSED_BUILD_ARGS';
  message: string;
  names: string[];
}

/** The result of {@link buildStageGraph}. */
export interface StageGraph {
  stages: GraphStage[];
  /** The index of the stage the build produces. */
  target: number;
  /** Needed stages, each after every stage it depends on (ties in file order). */
  order: number[];
  /** Needed stages in waves: every stage of a wave depends only on stages of earlier waves. */
  parallelGroups: number[][];
  /** Images referenced by needed stages (FROM, COPY --from, RUN --mount from), unique, in first-use order. */
  externalImages: string[];
  /** Global ARG values after `--build-arg` (built-ins included): the environment of FROM lines. */
  globalArgs: Record<string, string>;
  warnings: BuildWarning[];
}

/** Options of {@link buildStageGraph}. */
export interface StageGraphOptions {
  /** A stage name (or index) to stop at; default the last stage. */
  target?: string;
  /** `--build-arg` values. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The build and target platforms (for the built-in args). */
  platforms: BuildPlatforms;
  /**
   * Whether stages the target does not need are left out (buildah's `--skip-unused-stages`,
   * default true). When false, every stage up to the target is built; later ones never are.
   */
  skipUnusedStages?: boolean;
  /**
   * `--build-context` names: FROM, COPY --from and RUN --mount from= take them before stage
   * names, as references (kind `image`) the builder resolves to the context given.
   */
  namedContexts?: ReadonlySet<string>;
}

/**
 * Builds the stage graph.
 * @throws ContainerfileError for an unknown stage in `--from`/`from=`, an index out of range,
 * a dependency cycle, a FROM that uses an ARG with no value, a blank base name or a bad platform.
 * @throws InvalidArgumentError (from oci/error) when `target` names no stage.
 */
export function buildStageGraph(parsed: ParsedContainerfile, options: StageGraphOptions): StageGraph {
  const buildArgs = options.buildArgs ?? {};
  const file = parsed.filename;
  const builtins = builtinArgValues(options.platforms, buildArgs);
  const globals = resolveGlobalArgs(file, parsed.globalArgs, buildArgs, builtins, parsed.escape);
  const byName = new Map<string, Stage>();
  for (const s of parsed.stages) if (s.name !== undefined) byName.set(s.name, s);

  const fail = (range: SourceRange, message: string): never => {
    throw new ContainerfileError(file, range.start.line, range.start.column, message);
  };

  const expandFromWord = (stage: Stage, text: string, what: string): string => {
    let r;
    try {
      r = expandWithReport(text, globals, { escape: parsed.escape });
    } catch (e) {
      if (e instanceof ExpansionError) return fail(stage.from.range, `FROM: ${e.message}`);
      throw e;
    }
    const missing = [...r.unset].filter((n) => !globals.has(n));
    if (missing.length > 0) {
      const n = missing[0]!;
      const declared = parsed.globalArgs.some((a) => a.args.some((d) => d.name === n));
      fail(stage.from.range, declared
        ? `FROM: ${what} "${text}" uses ARG ${n}, which has no default and no --build-arg value`
        : `FROM: ${what} "${text}" uses undefined variable ${n} (declare it with ARG before the first FROM)`);
    }
    return r.value;
  };

  const names = parsed.stages.flatMap((s) => (s.name !== undefined ? [s.name] : []));
  const stageList = names.length > 0 ? `named stages: ${names.join(', ')}` : 'the file names no stages';
  const resolveFromRef = (stage: Stage, value: string, range: SourceRange, via: 'copy' | 'mount'): StageEdge['on'] => {
    const flag = via === 'copy' ? 'COPY --from' : 'RUN --mount from';
    if (options.namedContexts?.has(value)) return { kind: 'image', reference: value };
    if (/^\d+$/.test(value)) {
      const index = Number(value);
      if (index >= parsed.stages.length) fail(range, `${flag}=${value}: invalid stage index ${index} (the file has ${parsed.stages.length} stages)`);
      return { kind: 'stage', index };
    }
    const named = byName.get(value.toLowerCase());
    if (named) return { kind: 'stage', index: named.index };
    if (/[/:@]/.test(value)) return { kind: 'image', reference: value };
    const close = names.find((n) => editDistance(n, value.toLowerCase()) <= 2);
    const hint = close !== undefined ? `did you mean "${close}"? ` : '';
    return fail(range, `${flag}=${value}: no stage named "${value}" (${stageList}); ${hint}`
      + `to use an image, write its full reference, e.g. docker.io/library/${value}:latest`);
  };

  const stages: GraphStage[] = parsed.stages.map((stage) => {
    const image = expandFromWord(stage, stage.from.image, 'base name');
    if (image === '') fail(stage.from.range, `FROM: base name (${stage.from.image}) should not be blank`);
    let platform: string | undefined;
    if (stage.from.platform !== undefined) {
      platform = expandFromWord(stage, stage.from.platform, 'platform');
      try {
        parsePlatform(platform);
      } catch {
        fail(stage.from.range, `FROM --platform: "${platform}" is not a platform (expected os/arch[/variant])`);
      }
    }
    const edges: StageEdge[] = [];
    let base: StageBase;
    const earlier = byName.get(image.toLowerCase());
    if (image === 'scratch') base = { kind: 'scratch' };
    else if (options.namedContexts?.has(image)) {
      base = { kind: 'image', reference: image };
      edges.push({ on: { kind: 'image', reference: image }, via: 'from', range: stage.from.range });
    } else if (earlier && earlier.index < stage.index) {
      base = { kind: 'stage', index: earlier.index };
      edges.push({ on: { kind: 'stage', index: earlier.index }, via: 'from', range: stage.from.range });
    } else {
      base = { kind: 'image', reference: image };
      edges.push({ on: { kind: 'image', reference: image }, via: 'from', range: stage.from.range });
    }
    // `--from` and mount `from=` may use variables (buildah expands them with the stage's ARGs
    // and ENVs); follow ARG and ENV lines so the edge points where the build will look.
    const vars = new StageVariables({ globalArgs: globals, buildArgs });
    const expandFrom = (i: Instruction, value: string): string => {
      if (!value.includes('$')) return value;
      try {
        return expandWord(value, vars.expansionEnv(), { escape: parsed.escape });
      } catch (e) {
        if (e instanceof ExpansionError) return fail(i.range, `${i.kind.toUpperCase()}: ${e.message}`);
        throw e;
      }
    };
    // A base stage's ONBUILD triggers run first in this stage; their COPY --from and mount
    // from= are this stage's dependencies (resolved as written: they run before any ARG here).
    if (base.kind === 'stage') {
      for (const i of parsed.stages[base.index]!.instructions) {
        if (i.kind === 'onbuild') collectEdges(i.trigger, stage, edges, resolveFromRef);
      }
    }
    const needsVariables = stage.instructions.some((i) =>
      (i.kind === 'copy' && i.from?.includes('$')) || (i.kind === 'run' && i.mounts.some((m) => m.from?.includes('$'))));
    for (const i of stage.instructions) {
      if (needsVariables && (i.kind === 'arg' || i.kind === 'env')) {
        vars.apply(expandInstruction(i, vars.expansionEnv(), { filename: file, escape: parsed.escape }));
      }
      collectEdges(i, stage, edges, (st, value, range, via) => resolveFromRef(st, expandFrom(i, value), range, via));
    }
    const dependsOn = [...new Set(edges.flatMap((e) => (e.on.kind === 'stage' ? [e.on.index] : [])))].sort((a, b) => a - b);
    return {
      index: stage.index,
      ...(stage.name !== undefined ? { name: stage.name } : {}),
      base,
      ...(platform !== undefined ? { platform } : {}),
      edges,
      dependsOn,
      needed: false,
    };
  });

  detectCycle(stages, parsed, fail);

  let target = stages.length - 1;
  if (options.target !== undefined) {
    const t = options.target;
    const named = byName.get(t.toLowerCase());
    if (named) target = named.index;
    else if (/^\d+$/.test(t) && Number(t) < stages.length) target = Number(t);
    else throw new InvalidArgumentError(`select build target "${t}": no such stage in ${file} (${stageList})`);
  }

  const mark = (i: number) => {
    const s = stages[i]!;
    if (s.needed) return;
    s.needed = true;
    s.dependsOn.forEach(mark);
  };
  mark(target);
  if (options.skipUnusedStages === false) for (let i = 0; i < target; i++) mark(i);

  const level = new Map<number, number>();
  const levelOf = (i: number): number => {
    const known = level.get(i);
    if (known !== undefined) return known;
    const l = stages[i]!.dependsOn.reduce((acc, d) => Math.max(acc, levelOf(d) + 1), 0);
    level.set(i, l);
    return l;
  };
  const needed = stages.filter((s) => s.needed).map((s) => s.index);
  const parallelGroups: number[][] = [];
  for (const i of needed) {
    const l = levelOf(i);
    (parallelGroups[l] ??= []).push(i);
  }
  const order = parallelGroups.flat();

  const externalImages: string[] = [];
  for (const i of needed) {
    for (const e of stages[i]!.edges) {
      if (e.on.kind === 'image' && !externalImages.includes(e.on.reference)) externalImages.push(e.on.reference);
    }
  }

  const used = new Set<string>();
  for (const a of parsed.globalArgs) for (const d of a.args) used.add(d.name);
  // Like buildah, an ARG in any stage consumes the build arg, even in a stage --target skips.
  for (const stage of parsed.stages) {
    for (const ins of stage.instructions) {
      const arg = ins.kind === 'arg' ? ins : ins.kind === 'onbuild' && ins.trigger.kind === 'arg' ? ins.trigger : undefined;
      if (arg) for (const d of arg.args) used.add(d.name);
    }
  }
  const unused = Object.keys(buildArgs).filter((n) => !used.has(n) && !PROXY_ARGS.has(n) && !BUILTIN_ARGS.has(n)).sort();
  const warnings: BuildWarning[] = unused.length === 0 ? [] : [{
    code: 'UNUSED_BUILD_ARGS',
    message: `one or more build args were not consumed: [${unused.join(' ')}]`,
    names: unused,
  }];

  return {
    stages,
    target,
    order,
    parallelGroups,
    externalImages,
    globalArgs: Object.fromEntries(globals),
    warnings,
  };
}

function collectEdges(
  i: Instruction,
  stage: Stage,
  edges: StageEdge[],
  resolve: (stage: Stage, value: string, range: SourceRange, via: 'copy' | 'mount') => StageEdge['on'],
): void {
  if (i.kind === 'copy' && i.from !== undefined) {
    edges.push({ on: resolve(stage, i.from, i.range, 'copy'), via: 'copy', range: i.range });
  } else if (i.kind === 'run') {
    for (const m of i.mounts) {
      if (m.from !== undefined) edges.push({ on: resolve(stage, m.from, i.range, 'mount'), via: 'mount', range: i.range });
    }
  }
}

function detectCycle(stages: GraphStage[], parsed: ParsedContainerfile, fail: (r: SourceRange, m: string) => never): void {
  const state = new Array<0 | 1 | 2>(stages.length).fill(0);
  const visit = (i: number): void => {
    state[i] = 1;
    for (const e of stages[i]!.edges) {
      if (e.on.kind !== 'stage') continue;
      const j = e.on.index;
      if (state[j] === 1) {
        const name = (k: number) => parsed.stages[k]!.name ?? String(k);
        fail(e.range, `circular dependency detected on stage: ${name(j)}`);
      }
      if (state[j] === 0) visit(j);
    }
    state[i] = 2;
  };
  for (let i = 0; i < stages.length; i++) if (state[i] === 0) visit(i);
}

/** Levenshtein distance, for "did you mean" hints on stage names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
