import { BUSYBOX_IMAGE } from '../busybox.js';
import type { Scenario } from '../scenario.js';
import { freshBusyboxStore } from './common.js';

/** `run C -- true`: the fixed cost of running a command in a working container. */
export const runTrue: Scenario = {
  id: 'run-true',
  title: '`run C -- true`',
  state: 'warm',
  note: 'one working container from the busybox image, created before the warm-up',
  target: { kind: 'ratio', max: 1.0 },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'run'],
  async open(ctx) {
    return {
      inputs: 'busybox image',
      plan(tool) {
        let container = '';
        return {
          setup: async () => {
            await freshBusyboxStore(tool, ctx);
            container = await tool.value(['from', BUSYBOX_IMAGE]);
          },
          command: () => tool.invocation(['run', ...tool.isolationArgs(), container, '--', 'true']),
        };
      },
    };
  },
};
