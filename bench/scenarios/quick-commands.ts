import { BUSYBOX_IMAGE } from '../busybox.js';
import type { Scenario } from '../scenario.js';
import { freshBusyboxStore } from './common.js';

/**
 * A scenario timing one short command on a store holding the busybox image and one working
 * container: what a script pays per call, start-up included.
 */
function quickCommand(id: string, title: string, args: (container: string, run: number) => string[]): Scenario {
  return {
    id,
    title,
    state: 'warm',
    note: 'a store holding the busybox image and one working container made from it',
    target: { kind: 'wall', maxMs: 150 },
    trowelCommands: ['from', 'copy', 'config', 'commit', id],
    async open(ctx) {
      return {
        inputs: 'busybox image, 1 container',
        plan(tool) {
          let container = '';
          return {
            setup: async () => {
              await freshBusyboxStore(tool, ctx);
              container = await tool.value(['from', BUSYBOX_IMAGE]);
            },
            command: (run) => tool.invocation(args(container, run)),
          };
        },
      };
    },
  };
}

export const configCommand = quickCommand('config', '`config --label` wall time', (c, run) => ['config', '--label', `bench.run=${run}`, c]);
export const mountCommand = quickCommand('mount', '`mount C` wall time', (c) => ['mount', c]);
export const imagesCommand = quickCommand('images', '`images` wall time', () => ['images']);
