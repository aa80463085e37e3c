import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseContainerfile, type Instruction } from '../../parser/index.js';
import { applyConfigInstruction, DEFAULT_SHELL, setEnv, type ConfigInstruction, type ConfigState } from './config-step.js';

function apply(lines: string, base: ConfigState['config']['config'] = {}): ConfigState {
  const parsed = parseContainerfile(`FROM x\n${lines}\n`);
  const state: ConfigState = { config: { architecture: 'amd64', os: 'linux', config: structuredClone(base), rootfs: { type: 'layers', diff_ids: [] } }, shell: [...DEFAULT_SHELL], cmdSet: false };
  for (const i of parsed.stages[0]!.instructions as Instruction[]) applyConfigInstruction(state, i as ConfigInstruction);
  return state;
}

test('ENV replaces a key in place and appends new ones', () => {
  assert.equal(setEnv(['PATH=/bin', 'A=1'], 'PATH', '/x'), ['PATH=/x', 'A=1']);
  assert.equal(apply('ENV B=2 A=3', { Env: ['A=1'] }).config.config!.Env, ['A=3', 'B=2']);
});

test('ENTRYPOINT drops an inherited CMD but keeps one set in the stage', () => {
  assert.is(apply('ENTRYPOINT ["/e"]', { Cmd: ['inherited'] }).config.config!.Cmd, undefined);
  assert.equal(apply('CMD ["mine"]\nENTRYPOINT ["/e"]', { Cmd: ['inherited'] }).config.config!.Cmd, ['mine']);
});

test('WORKDIR resolves relative paths against the current one', () => {
  assert.is(apply('WORKDIR /a\nWORKDIR b/../c').config.config!.WorkingDir, '/a/c');
});

test('shell-form CMD goes through SHELL; EXPOSE gets /tcp; LABEL, VOLUME, USER, STOPSIGNAL, HEALTHCHECK', () => {
  const s = apply('SHELL ["/bin/bash", "-c"]\nCMD echo hi\nEXPOSE 80 53/udp\nLABEL a=b\nVOLUME /v\nUSER 1:2\nSTOPSIGNAL SIGKILL\nHEALTHCHECK --interval=5s CMD true');
  const c = s.config.config!;
  assert.equal(c.Cmd, ['/bin/bash', '-c', 'echo hi']);
  assert.equal(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.equal(c.Labels, { a: 'b' });
  assert.equal(c.Volumes, { '/v': {} });
  assert.is(c.User, '1:2');
  assert.is(c.StopSignal, 'SIGKILL');
  assert.equal(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
});

test.run();
