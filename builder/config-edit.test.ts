import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyConfigChanges, shellWords } from './config-edit.js';
import type { ImageConfig } from '../oci/image-config.js';

const base = (): ImageConfig => ({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} });

// Expected values are what buildah 1.28 `config` writes for the same flags.

test('--os-version and --os-feature set os.version and os.features; FEATURE- removes one', () => {
  let { config } = applyConfigChanges(base(), {}, { osVersion: '10.0.1', osFeatures: ['a', 'b', 'a'] });
  assert.is(config['os.version'], '10.0.1');
  assert.equal(config['os.features'], ['a', 'b']);
  ({ config } = applyConfigChanges(config, {}, { osFeatures: ['a-'] }));
  assert.equal(config['os.features'], ['b']);
  ({ config } = applyConfigChanges(config, {}, { osFeatures: ['b-'] }));
  assert.is(config['os.features'], undefined, 'no empty list is left behind');
});

test('--env NAME- removes a variable, later values replace earlier ones in place', () => {
  let { config } = applyConfigChanges(base(), {}, { env: ['X=1', 'Y=2', 'X=3'] });
  assert.equal(config.config?.Env, ['X=3', 'Y=2']);
  ({ config } = applyConfigChanges(config, {}, { env: ['X-'] }));
  assert.equal(config.config?.Env, ['Y=2']);
  assert.throws(() => applyConfigChanges(base(), {}, { env: ['NOVALUE'] }), /no value given/);
});

test('--cmd in shell form is split into words like a shell would, JSON is exec form', () => {
  assert.equal(applyConfigChanges(base(), {}, { cmd: 'echo "a b" c' }).config.config?.Cmd, ['echo', 'a b', 'c']);
  assert.equal(applyConfigChanges(base(), {}, { cmd: '["/bin/x", "y z"]' }).config.config?.Cmd, ['/bin/x', 'y z']);
  assert.equal(shellWords(`a 'b c' "d \\"e\\"" f\\ g`), ['a', 'b c', 'd "e"', 'f g']);
});

test('the input config is not changed', () => {
  const before = base();
  const copy = structuredClone(before);
  applyConfigChanges(before, {}, { osFeatures: ['x'], env: ['A=1'], cmd: 'true' });
  assert.equal(before, copy);
});

test.run();
