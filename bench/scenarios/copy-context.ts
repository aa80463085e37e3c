import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../busybox.js';
import { generateTree } from '../generate-tree.js';
import type { BenchContext, OpenScenario, Scenario } from '../scenario.js';
import { describeTree, freshBusyboxStore, scaled, settle } from './common.js';
import { expectImage } from './verify.js';

/**
 * A 20,000-file / 200 MB context and a Containerfile (outside it) that copies it whole.
 * Both scenarios build with --layers, so the cached one is exactly the second run of the
 * cold one.
 */
async function openCopyContext(ctx: BenchContext, name: string, cached: boolean): Promise<OpenScenario> {
  const files = scaled(20_000, ctx.scale), bytes = scaled(200e6, ctx.scale);
  const base = join(ctx.work, name);
  const context = join(base, 'context');
  await generateTree(context, { files, bytes, seed: 301 });
  await mkdir(join(base, 'build'), { recursive: true, mode: 0o755 });
  const containerfile = join(base, 'build', 'Containerfile');
  await writeFile(containerfile, `FROM ${BUSYBOX_IMAGE}\nCOPY . /app/\n`);
  return {
    inputs: describeTree(files, bytes),
    plan(tool) {
      const args = (tag: string) => ['bud', ...tool.isolationArgs(), '--layers', '-t', tag, '-f', containerfile, context];
      if (cached) {
        return {
          setup: async () => {
            await freshBusyboxStore(tool, ctx);
            await tool.run(args('localhost/bench-copy:primed'));
          },
          command: (run) => tool.invocation(args(`localhost/bench-copy:r${run}`)),
          verify: (run) => expectImage(tool, `localhost/bench-copy:r${run}`),
        };
      }
      return {
        beforeEach: async () => {
          await freshBusyboxStore(tool, ctx);
          await settle();
        },
        command: (run) => tool.invocation(args(`localhost/bench-copy:r${run}`)),
        verify: (run) => expectImage(tool, `localhost/bench-copy:r${run}`),
      };
    },
  };
}

export const copyContextCold: Scenario = {
  id: 'copy-cold',
  title: '`COPY .` of a 20,000-file / 200 MB context, cold',
  state: 'cold',
  note: 'a fresh store holding only the busybox base image before each run (context files in the page cache)',
  target: { kind: 'ratio', max: 0.5 },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'bud', 'inspect'],
  open: (ctx) => openCopyContext(ctx, 'copy-cold', false),
};

export const copyContextCached: Scenario = {
  id: 'copy-cached',
  title: '`COPY .` of a 20,000-file / 200 MB context, cached',
  state: 'warm',
  note: 'the same build ran once with --layers in this store; nothing changed since',
  target: { kind: 'ratio', max: 0.1 },
  trowelCommands: ['from', 'copy', 'config', 'commit', 'bud', 'inspect'],
  open: (ctx) => openCopyContext(ctx, 'copy-cached', true),
};
