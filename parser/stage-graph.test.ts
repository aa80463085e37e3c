import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../oci/error.js';
import { parseContainerfile } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';
import { buildStageGraph, type StageGraphOptions } from './stage-graph.js';

const platforms = { build: { os: 'linux', architecture: 'amd64' } };

function graph(text: string, options: Partial<StageGraphOptions> = {}) {
  return buildStageGraph(parseContainerfile(text), { platforms, ...options });
}

function errorOf(fn: () => unknown): ContainerfileError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ContainerfileError);
    return e as ContainerfileError;
  }
  throw new Error('expected a ContainerfileError');
}

const DIAMOND = [
  'FROM busybox AS base',
  'FROM base AS left',
  'FROM base AS right',
  'FROM alpine:3 AS unrelated',
  'FROM scratch AS final',
  'COPY --from=left /l /l',
  'RUN --mount=type=bind,from=right,target=/r true',
].join('\n');

test('a diamond: edges from FROM, COPY --from and RUN --mount from', () => {
  const g = graph(DIAMOND);
  assert.equal(g.stages.map((s) => s.dependsOn), [[], [0], [0], [], [1, 2]]);
  assert.equal(g.stages[4]!.edges.map((e) => e.via), ['copy', 'mount']);
  assert.equal(g.stages[1]!.base, { kind: 'stage', index: 0 });
  assert.equal(g.stages[4]!.base, { kind: 'scratch' });
});

test('the default target is the last stage and unneeded stages are pruned', () => {
  const g = graph(DIAMOND);
  assert.is(g.target, 4);
  assert.equal(g.order, [0, 1, 2, 4]);
  assert.equal(g.parallelGroups, [[0], [1, 2], [4]]);
  assert.is(g.stages[3]!.needed, false);
  assert.equal(g.externalImages, ['busybox']);
});

test('--target by name (any case) or by index keeps only what it needs', () => {
  assert.equal(graph(DIAMOND, { target: 'LEFT' }).order, [0, 1]);
  assert.equal(graph(DIAMOND, { target: '3' }).order, [3]);
  assert.equal(graph(DIAMOND, { target: '3' }).externalImages, ['alpine:3']);
});

test('--skip-unused-stages=false builds every stage up to the target, never one after it', () => {
  const all = graph(DIAMOND, { skipUnusedStages: false });
  assert.equal(all.order, [0, 3, 1, 2, 4], 'the unrelated stage is built too, in its wave');
  assert.equal(all.externalImages, ['busybox', 'alpine:3']);
  assert.equal(graph(DIAMOND, { skipUnusedStages: false, target: 'right' }).order, [0, 1, 2], 'left, before the target, is built; nothing after');
  assert.equal(graph(DIAMOND, { skipUnusedStages: true, target: 'right' }).order, [0, 2]);
});

test('an unknown --target is an invalid argument naming the stages', () => {
  try {
    graph(DIAMOND, { target: 'nope' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InvalidArgumentError);
    assert.match((e as Error).message, /no such stage .*base, left, right/);
  }
});

test('parallel groups: every stage depends only on earlier groups', () => {
  const chains = Array.from({ length: 6 }, (_, i) => `FROM busybox AS s${i}\n${i >= 2 ? `COPY --from=s${i - 2} /a /a` : ''}`);
  const g = graph([...chains, 'FROM scratch AS all\nCOPY --from=s4 /a /4\nCOPY --from=s5 /a /5'].join('\n'));
  assert.equal(g.parallelGroups, [[0, 1], [2, 3], [4, 5], [6]]);
  const groupOf = new Map(g.parallelGroups.flatMap((grp, level) => grp.map((i) => [i, level] as const)));
  for (const i of g.order) for (const d of g.stages[i]!.dependsOn) assert.ok(groupOf.get(d)! < groupOf.get(i)!);
});

test('global ARGs and build args expand FROM image and platform', () => {
  const text = 'ARG V=1\nARG P=linux/arm64\nFROM --platform=$P busybox:$V\nFROM --platform=$BUILDPLATFORM alpine\n';
  const g = graph(text, { buildArgs: { V: '2' } });
  assert.equal(g.stages[0]!.base, { kind: 'image', reference: 'busybox:2' });
  assert.is(g.stages[0]!.platform, 'linux/arm64');
  assert.is(g.stages[1]!.platform, 'linux/amd64');
  assert.is(g.globalArgs['V'], '2');
  assert.is(g.globalArgs['TARGETARCH'], 'amd64');
});

test('an undefined ARG in FROM is an error at the FROM line', () => {
  const e = errorOf(() => graph('FROM busybox\nFROM alpine:$NOPE\n'));
  assert.is(e.line, 2);
  assert.match(e.message, /^Containerfile:2:1: FROM: .*undefined variable NOPE/);
});

test('a declared ARG with no value in FROM is an error unless a build arg gives it', () => {
  errorOf(() => graph('ARG T\nFROM busybox:$T\n'));
  assert.equal(graph('ARG T\nFROM busybox:$T\n', { buildArgs: { T: 'x' } }).externalImages, ['busybox:x']);
});

test('--build-context names come before stage names in FROM, COPY --from and mount from=', () => {
  const g = graph('FROM busybox AS assets\nFROM assets AS app\nCOPY --from=assets /a /a\nRUN --mount=type=bind,from=tools,target=/t true\n', { namedContexts: new Set(['assets', 'tools']) });
  const app = g.stages[1]!;
  assert.equal(app.base, { kind: 'image', reference: 'assets' });
  assert.equal(app.edges.map((e) => e.on), [{ kind: 'image', reference: 'assets' }, { kind: 'image', reference: 'assets' }, { kind: 'image', reference: 'tools' }]);
  assert.equal(app.dependsOn, [], 'the stage named assets is not what app uses');
  assert.throws(() => graph('FROM scratch\nCOPY --from=tools /t /t\n'), /no stage named "tools"/, 'without the context the name is unknown');
});

test('cycles are errors naming the stage', () => {
  const e = errorOf(() => graph('FROM busybox AS a\nCOPY --from=c /x /x\nFROM busybox AS b\nCOPY --from=a /x /x\nFROM busybox AS c\nCOPY --from=b /x /x\n'));
  assert.match(e.detail, /^circular dependency detected on stage: /);
});

test('a bare unknown --from name is an error with a suggestion; a reference is an image', () => {
  const e = errorOf(() => graph('FROM busybox AS builder\nFROM busybox\nCOPY --from=buildr /a /a\n'));
  assert.is(e.line, 3);
  assert.match(e.detail, /did you mean "builder"\?/);
  assert.equal(graph('FROM busybox\nCOPY --from=localhost:5000/x /a /a\n').externalImages, ['busybox', 'localhost:5000/x']);
});

test('unused build args are a warning as data; proxies, built-ins and declared ones are not', () => {
  const g = graph('ARG G\nFROM busybox\nARG S\n', {
    buildArgs: { G: '1', S: '2', Z: '3', A: '4', HTTPS_PROXY: 'x', SOURCE_DATE_EPOCH: '0' },
  });
  assert.equal(g.warnings, [{ code: 'UNUSED_BUILD_ARGS', names: ['A', 'Z'], message: 'one or more build args were not consumed: [A Z]' }]);
  assert.equal(graph('FROM busybox\n', { buildArgs: {} }).warnings, []);
});

test('the target platform feeds the TARGET* built-ins', () => {
  const g = buildStageGraph(parseContainerfile('FROM busybox\n'), {
    platforms: { build: { os: 'linux', architecture: 'amd64' }, target: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  });
  assert.is(g.globalArgs['TARGETPLATFORM'], 'linux/arm/v7');
  assert.is(g.globalArgs['TARGETVARIANT'], 'v7');
  assert.is(g.globalArgs['BUILDPLATFORM'], 'linux/amd64');
});

test.run();
