import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateTree } from '../generate-tree.js';
import type { Scenario } from '../scenario.js';
import type { ToolSide } from '../tool-side.js';
import { copyContents, describeTree, scaled, settle } from './common.js';

const BASE = 'localhost/bench-vfs-base:latest';

/**
 * Every command of this scenario, the store's first included, takes the vfs driver: buildah
 * refuses a store created with another driver, and the later flag wins for both tools.
 */
function vfs(args: readonly string[]): string[] {
  return ['--storage-driver', 'vfs', ...args];
}

/**
 * `commit` of a vfs working container (a full copy of its image's layers, changed in place by
 * a RUN) on a base of 10,000 files / 100 MB: with no upper dir, both tools find the three
 * changes by comparing the copy with the image's layers.
 */
export const commitVfs: Scenario = {
  id: 'commit-vfs',
  title: 'commit of a vfs container: 3 changes on a 10,000-file / 100 MB base',
  state: 'warm',
  note: 'a new vfs working container per run from the base image, changed by an untimed RUN (one file added, one appended to, one deleted)',
  target: { kind: 'ratio', max: 0.7 },
  trowelCommands: ['from', 'mount', 'umount', 'config', 'commit', 'run', 'rm', 'inspect'],
  async open(ctx) {
    const files = scaled(10_000, ctx.scale), bytes = scaled(100e6, ctx.scale);
    const tree = join(ctx.work, 'commit-vfs-tree');
    await generateTree(tree, { files, bytes, seed: 107 });
    return {
      inputs: describeTree(files, bytes),
      plan(tool: ToolSide) {
        let container = '';
        return {
          setup: async () => {
            await tool.freshStore();
            const c = await tool.value(vfs(['from', 'scratch']));
            const mnt = await tool.value(vfs(['mount', c]));
            await copyContents(ctx.busyboxRootfs, mnt);
            await mkdir(join(mnt, 'data'), { mode: 0o755 });
            await copyContents(tree, join(mnt, 'data'));
            await tool.run(vfs(['umount', c]));
            await tool.run(vfs(['config', '--env', 'PATH=/bin', c]));
            await tool.run(vfs(['commit', c, BASE]));
            await tool.run(vfs(['rm', c]));
          },
          beforeEach: async () => {
            container = await tool.value(vfs(['from', BASE]));
            const change = 'set -- $(find /data -type f | head -n 2); rm "$1"; echo changed >> "$2"; echo new > /data/new';
            await tool.run(vfs(['run', ...tool.isolationArgs(), container, '--', 'sh', '-c', change]));
            await settle();
          },
          command: (run) => tool.invocation(vfs(['commit', container, `localhost/bench-commit-vfs:r${run}`])),
          // inspect with the same driver: buildah refuses a vfs store opened as overlay.
          verify: async (run) => { await tool.run(vfs(['inspect', '--type', 'image', `localhost/bench-commit-vfs:r${run}`])); },
        };
      },
    };
  },
};
