import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../busybox.js';
import { generateTree } from '../generate-tree.js';
import type { Scenario } from '../scenario.js';
import { describeTree, freshBusyboxStore, scaled } from './common.js';
import { expectImage } from './verify.js';

const BASE = 'localhost/bench-base-many-files:latest';

/**
 * Rootless `bud` of one RUN step on a base image of 50,000 files, as an unprivileged user
 * with fuse-overlayfs: the case where a diff that walks the whole tree (buildah's naive
 * diff under a mount program) pays for every file of the base.
 */
export const rootlessRun: Scenario = {
  id: 'rootless-run',
  title: 'rootless build of a RUN step on a 50,000-file base (fuse-overlayfs)',
  state: 'warm',
  note: 'as the unprivileged user trowel-bench; the base image is in the store, the RUN step is not cached',
  target: { kind: 'none', text: 'none set (buildah walks the whole tree here: the case to beat)' },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'bud', 'inspect'],
  rootless: true,
  async open(ctx) {
    const files = scaled(50_000, ctx.scale), bytes = scaled(50e6, ctx.scale);
    const base = join(ctx.work, 'rootless');
    const tree = join(base, 'files');
    await generateTree(tree, { files, bytes, seed: 501 });
    const build = join(base, 'build');
    await mkdir(build, { recursive: true, mode: 0o755 });
    const containerfile = join(build, 'Containerfile');
    await writeFile(containerfile, `FROM ${BASE}\nRUN echo built > /built.txt\n`);
    return {
      inputs: `base of ${describeTree(files, bytes)}`,
      plan(tool) {
        return {
          setup: async () => {
            await freshBusyboxStore(tool, ctx);
            const c = await tool.value(['from', BUSYBOX_IMAGE]);
            await tool.run(['copy', c, tree, '/data/']);
            await tool.run(['commit', c, BASE]);
          },
          command: (run) => tool.invocation(['bud', ...tool.isolationArgs(), '-t', `localhost/bench-rootless:r${run}`, '-f', containerfile, build]),
          verify: (run) => expectImage(tool, `localhost/bench-rootless:r${run}`),
        };
      },
    };
  },
};
