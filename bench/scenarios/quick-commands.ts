import { BUSYBOX_IMAGE } from '../busybox.js';
import { BenchVerifyError } from '../errors.js';
import type { Scenario } from '../scenario.js';
import type { ToolSide } from '../tool-side.js';
import { freshBusyboxStore } from './common.js';
import { expectDirectory } from './verify.js';

/** How one short command is run and checked. */
interface QuickCommand {
  args(container: string, run: number): string[];
  /** Extra trowel commands the check needs. */
  checkCommands: string[];
  check(tool: ToolSide, container: string, run: number, stdout: string): Promise<void>;
}

/**
 * A scenario timing one short command on a store holding the busybox image and one working
 * container: what a script pays per call, start-up included.
 */
function quickCommand(id: string, title: string, cmd: QuickCommand): Scenario {
  return {
    id,
    title,
    state: 'warm',
    note: 'a store holding the busybox image and one working container made from it',
    target: { kind: 'wall', maxMs: 150 },
    trowelCommands: ['from', 'copy', 'config', 'commit', id, ...cmd.checkCommands],
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
            command: (run) => tool.invocation(cmd.args(container, run)),
            verify: (run, stdout) => cmd.check(tool, container, run, stdout),
          };
        },
      };
    },
  };
}

export const configCommand = quickCommand('config', '`config --label` wall time', {
  args: (c, run) => ['config', '--label', `bench.run=${run}`, c],
  checkCommands: ['inspect'],
  async check(tool, c, run) {
    const out = await tool.run(['inspect', '--type', 'container', c]);
    if (!new RegExp(`"bench\\.run":\\s*"${run}"`).test(out)) throw new BenchVerifyError(`verify config ${c}: label bench.run=${run} not in inspect output`);
  },
});

export const mountCommand = quickCommand('mount', '`mount C` wall time', {
  args: (c) => ['mount', c],
  checkCommands: [],
  check: (_tool, _c, _run, stdout) => expectDirectory(stdout.trim().split('\n').pop() ?? ''),
});

export const imagesCommand = quickCommand('images', '`images` wall time', {
  args: () => ['images'],
  checkCommands: [],
  async check(_tool, _c, _run, stdout) {
    if (!stdout.includes('localhost/busybox')) throw new BenchVerifyError('verify images: localhost/busybox not listed');
  },
});
