import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LocalRegistry } from '../registry.js';
import type { Scenario } from '../scenario.js';
import { ToolSide } from '../tool-side.js';
import { settle } from './common.js';
import { commitLayeredImage, LAYERED_IMAGE_COMMANDS, writeLayerTrees } from './registry-image.js';
import { expectImage, expectManifest } from './verify.js';

const IMAGE = 'localhost/bench-push:latest';

/** A registry of its own with its data directory, removed on stop. */
async function freshRegistry(parent: string): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(parent, 'registry-'));
  const reg = await startRegistry(dir);
  return { host: reg.host, stop: async () => { await reg.stop(); await rm(dir, { recursive: true, force: true }); } };
}

/** `push` of a 3-layer 300 MB image to a registry that has none of its blobs. */
export const pushCold: Scenario = {
  id: 'push',
  title: 'push of a 3-layer 300 MB image to an empty local registry',
  state: 'cold',
  note: 'a new, empty docker-registry on 127.0.0.1 before each run, then sync; the image was committed before the warm-up',
  target: { kind: 'ratio', max: 0.7 },
  trowelCommands: [...LAYERED_IMAGE_COMMANDS, 'push'],
  async open(ctx) {
    const trees = await writeLayerTrees(join(ctx.work, 'push-layers'), ctx.scale);
    const registries: LocalRegistry[] = [];
    return {
      inputs: trees.inputs,
      plan(tool) {
        let reg: LocalRegistry | undefined;
        return {
          setup: async () => {
            await tool.freshStore();
            await commitLayeredImage(tool, trees, IMAGE);
          },
          beforeEach: async () => {
            if (reg) await reg.stop();
            reg = await freshRegistry(ctx.work);
            registries.push(reg);
            await settle();
          },
          command: () => tool.invocation(['push', '--tls-verify=false', IMAGE, `docker://${reg!.host}/bench/push:latest`]),
          verify: () => expectManifest(reg!.host, 'bench/push', 'latest'),
        };
      },
      async close() {
        for (const r of registries) await r.stop();
      },
    };
  },
};

/** The same push again: the registry already has every blob. */
export const pushAgain: Scenario = {
  id: 're-push',
  title: 're-push of the same 3-layer 300 MB image',
  state: 'warm',
  note: 'the image was pushed to this registry and repository once before the warm-up',
  target: { kind: 'ratio', max: 1.5 },
  trowelCommands: [...LAYERED_IMAGE_COMMANDS, 'push'],
  async open(ctx) {
    const trees = await writeLayerTrees(join(ctx.work, 're-push-layers'), ctx.scale);
    const reg = await freshRegistry(ctx.work);
    return {
      inputs: trees.inputs,
      plan(tool) {
        const args = () => ['push', '--tls-verify=false', IMAGE, `docker://${reg.host}/bench/${tool.name}:latest`];
        return {
          setup: async () => {
            await tool.freshStore();
            await commitLayeredImage(tool, trees, IMAGE);
            await tool.run(args());
          },
          command: () => tool.invocation(args()),
          verify: () => expectManifest(reg.host, `bench/${tool.name}`, 'latest'),
        };
      },
      close: () => reg.stop(),
    };
  },
};

/**
 * `pull` of the 3-layer image into an empty store. buildah pushes it once, so both tools
 * pull the very same manifest and blobs.
 */
export const pullCold: Scenario = {
  id: 'pull',
  title: 'pull of a 3-layer 300 MB image into an empty store',
  state: 'cold',
  note: 'a fresh, empty store before each run, then sync (no write-back of the previous run left); the image sits in a local registry (pushed by buildah)',
  target: { kind: 'ratio', max: 0.7 },
  trowelCommands: ['pull', 'inspect'],
  async open(ctx) {
    const trees = await writeLayerTrees(join(ctx.work, 'pull-layers'), ctx.scale);
    const reg = await freshRegistry(ctx.work);
    const seeder = new ToolSide({ name: 'buildah', exe: ['buildah'], parent: join(ctx.work, 'pull-seed'), retireTo: join(ctx.work, 'retired') });
    try {
      await seeder.freshStore();
      await commitLayeredImage(seeder, trees, IMAGE);
      await seeder.run(['push', '--tls-verify=false', IMAGE, `docker://${reg.host}/bench/pull:latest`]);
    } catch (err) {
      await reg.stop();
      throw err;
    } finally {
      await seeder.dispose();
    }
    return {
      inputs: trees.inputs,
      plan(tool) {
        return {
          beforeEach: async () => {
            await tool.freshStore();
            await settle();
          },
          command: () => tool.invocation(['pull', '--tls-verify=false', `docker://${reg.host}/bench/pull:latest`]),
          verify: () => expectImage(tool, `${reg.host}/bench/pull:latest`),
        };
      },
      close: () => reg.stop(),
    };
  },
};
