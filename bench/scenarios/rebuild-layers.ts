import { join } from 'node:path';
import type { Scenario } from '../scenario.js';
import { freshBusyboxStore } from './common.js';
import { writeStagesContext } from './stages-context.js';
import { expectImage } from './verify.js';

/** `bud --layers` again with nothing changed: every step should come from the cache. */
export const rebuildLayers: Scenario = {
  id: 'bud-layers-nochange',
  title: 'no-change rebuild with --layers (3-stage build)',
  state: 'warm',
  note: 'the same build ran once with --layers in this store, so every step is cached',
  target: { kind: 'ratio', max: 0.2 },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'bud', 'inspect'],
  async open(ctx) {
    const c = await writeStagesContext(join(ctx.work, 'layers-context'), ctx.scale);
    return {
      inputs: c.inputs,
      plan(tool) {
        const args = () => ['bud', ...tool.isolationArgs(), '--layers', '-t', 'localhost/bench-layers:latest', '-f', c.containerfile, c.dir];
        return {
          setup: async () => {
            await freshBusyboxStore(tool, ctx);
            await tool.run(args());
          },
          command: () => tool.invocation(args()),
          verify: () => expectImage(tool, 'localhost/bench-layers:latest'),
        };
      },
    };
  },
};
