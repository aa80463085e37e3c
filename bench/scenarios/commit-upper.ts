import { join } from 'node:path';
import { generateTree } from '../generate-tree.js';
import type { Scenario } from '../scenario.js';
import { copyContents, describeTree, scaled, settle } from './common.js';
import { expectImage } from './verify.js';

/**
 * `commit` of a scratch container whose upper dir holds 10,000 files / 300 MB. Before each
 * run the files are copied into a new container through `mount` (untimed).
 */
export const commitUpper: Scenario = {
  id: 'commit',
  title: 'commit of a 10,000-file / 300 MB upper dir',
  state: 'warm',
  note: 'a new scratch container per run, its upper dir filled through `mount` and flushed to disk before timing',
  target: { kind: 'ratio', max: 0.5 },
  trowelCommands: ['from', 'mount', 'umount', 'commit', 'inspect'],
  async open(ctx) {
    const files = scaled(10_000, ctx.scale), bytes = scaled(300e6, ctx.scale);
    const tree = join(ctx.work, 'commit-tree');
    await generateTree(tree, { files, bytes, seed: 101 });
    return {
      inputs: describeTree(files, bytes),
      plan(tool) {
        let container = '';
        return {
          setup: async () => { await tool.freshStore(); },
          beforeEach: async () => {
            container = await tool.value(['from', 'scratch']);
            const mnt = await tool.value(['mount', container]);
            await copyContents(tree, mnt);
            await tool.run(['umount', container]);
            await settle();
          },
          command: (run) => tool.invocation(['commit', container, `localhost/bench-commit:r${run}`]),
          verify: (run) => expectImage(tool, `localhost/bench-commit:r${run}`),
        };
      },
    };
  },
};
