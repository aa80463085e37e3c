/**
 * The instructions that only change the image config (ENV, LABEL, EXPOSE, USER, WORKDIR's
 * config part, VOLUME, STOPSIGNAL, HEALTHCHECK, ONBUILD, SHELL, CMD, ENTRYPOINT, MAINTAINER),
 * applied as buildah 1.28 applies them. Pure: the stage executor owns the file system side.
 */
import { posix } from 'node:path';
import type { ImageConfig } from '../../oci/image-config.js';
import { commandArgv, exposedPortKeys, type Instruction } from '../../parser/index.js';

/** The default SHELL on Linux. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** What a stage tracks besides the config itself. */
export interface ConfigState {
  config: ImageConfig;
  /** The SHELL in force (not stored in OCI configs, so kept here too). */
  shell: string[];
  /** Whether this stage set CMD (ENTRYPOINT resets an inherited CMD only). */
  cmdSet: boolean;
}

/** Metadata instructions: those {@link applyConfigInstruction} handles completely. */
export type ConfigInstruction = Extract<Instruction, { kind:
  'env' | 'label' | 'expose' | 'user' | 'workdir' | 'volume' | 'stopsignal' | 'healthcheck' | 'onbuild' | 'shell' | 'cmd' | 'entrypoint' | 'maintainer' | 'arg' }>;

/** `KEY=value` list with `key` set to `value`, in place when present, appended otherwise. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/**
 * Applies an already expanded metadata instruction to the state (mutating it).
 * WORKDIR resolves a relative path against the current one; ARG changes nothing here.
 */
export function applyConfigInstruction(state: ConfigState, step: ConfigInstruction): void {
  const c = (state.config.config ??= {});
  switch (step.kind) {
    case 'env':
      for (const { key, value } of step.pairs) c.Env = setEnv(c.Env ?? [], key, value);
      return;
    case 'label':
      for (const { key, value } of step.pairs) (c.Labels ??= {})[key] = value;
      return;
    case 'expose':
      for (const key of exposedPortKeys(step.ports)) (c.ExposedPorts ??= {})[key] = {};
      return;
    case 'user':
      c.User = step.user;
      return;
    case 'workdir':
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', step.path);
      return;
    case 'volume':
      for (const p of step.paths) (c.Volumes ??= {})[p] = {};
      return;
    case 'stopsignal':
      c.StopSignal = step.signal;
      return;
    case 'healthcheck': {
      if (step.test[0] === 'NONE') {
        c.Healthcheck = { Test: ['NONE'] };
        return;
      }
      c.Healthcheck = {
        Test: step.test,
        ...(step.intervalNs !== undefined ? { Interval: step.intervalNs } : {}),
        ...(step.timeoutNs !== undefined ? { Timeout: step.timeoutNs } : {}),
        ...(step.startPeriodNs !== undefined ? { StartPeriod: step.startPeriodNs } : {}),
        ...(step.startIntervalNs !== undefined ? { StartInterval: step.startIntervalNs } : {}),
        ...(step.retries !== undefined ? { Retries: step.retries } : {}),
      };
      return;
    }
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), step.expression];
      return;
    case 'shell':
      state.shell = [...step.argv];
      c.Shell = [...step.argv];
      return;
    case 'cmd':
      c.Cmd = commandArgv(step.command, state.shell);
      state.cmdSet = true;
      return;
    case 'entrypoint':
      c.Entrypoint = commandArgv(step.command, state.shell);
      // Docker's rule, kept by buildah: an ENTRYPOINT drops a CMD inherited from the base.
      if (!state.cmdSet) delete c.Cmd;
      return;
    case 'maintainer':
      state.config.author = step.name;
      return;
    case 'arg':
      return;
    default: {
      const never: never = step;
      return never;
    }
  }
}
