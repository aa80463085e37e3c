import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinArgValues, resolveGlobalArgs } from './build-args.js';
import { parseContainerfile } from './parse-containerfile.js';

const platforms = { build: { os: 'linux', architecture: 'amd64' }, target: { os: 'linux', architecture: 'arm64', variant: 'v8' } };

test('built-in platform args; SOURCE_DATE_EPOCH only when given', () => {
  const b = builtinArgValues(platforms);
  assert.equal([b.get('BUILDPLATFORM'), b.get('TARGETPLATFORM'), b.get('TARGETVARIANT'), b.get('BUILDVARIANT')], ['linux/amd64', 'linux/arm64/v8', 'v8', '']);
  assert.is(b.has('SOURCE_DATE_EPOCH'), false);
  assert.is(builtinArgValues(platforms, { SOURCE_DATE_EPOCH: '5' }).get('SOURCE_DATE_EPOCH'), '5');
});

test('global ARGs resolve in order; build args win; bare ARG keeps built-ins', () => {
  const p = parseContainerfile('ARG A=1 B=${A}2\nARG TARGETARCH\nARG C\nFROM x\n');
  const g = resolveGlobalArgs('Containerfile', p.globalArgs, { A: '9' }, builtinArgValues(platforms));
  assert.equal([g.get('A'), g.get('B'), g.get('TARGETARCH'), g.has('C')], ['9', '92', 'arm64', false]);
});

test.run();
