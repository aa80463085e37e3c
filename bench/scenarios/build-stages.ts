import { join } from 'node:path';
import type { Scenario } from '../scenario.js';
import { freshBusyboxStore } from './common.js';
import { writeStagesContext } from './stages-context.js';
import { expectImage } from './verify.js';

/** `bud` of a 3-stage Containerfile whose two builder stages do not depend on each other. */
export const buildStages: Scenario = {
  id: 'bud-stages',
  title: 'cold 3-stage build (two independent builder stages)',
  state: 'cold',
  note: 'a fresh store holding only the busybox base image before each run',
  target: { kind: 'ratio', max: 0.6 },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'bud', 'inspect'],
  async open(ctx) {
    const c = await writeStagesContext(join(ctx.work, 'stages-context'), ctx.scale);
    return {
      inputs: c.inputs,
      plan(tool) {
        return {
          beforeEach: () => freshBusyboxStore(tool, ctx),
          command: (run) => tool.invocation(['bud', ...tool.isolationArgs(), '-t', `localhost/bench-stages:r${run}`, '-f', c.containerfile, c.dir]),
          verify: (run) => expectImage(tool, `localhost/bench-stages:r${run}`),
        };
      },
    };
  },
};
