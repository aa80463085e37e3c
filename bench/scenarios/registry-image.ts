import { join } from 'node:path';
import { generateTree } from '../generate-tree.js';
import type { ToolSide } from '../tool-side.js';
import { describeTree, scaled } from './common.js';

/** The three layer trees of the registry scenarios' image. */
export interface LayerTrees {
  dirs: [string, string, string];
  inputs: string;
}

/** Generates three 1,000-file / 100 MB trees (scaled), one per layer. */
export async function writeLayerTrees(dir: string, scale: number): Promise<LayerTrees> {
  const files = scaled(1_000, scale), bytes = scaled(100e6, scale);
  const dirs: [string, string, string] = [join(dir, 'layer-1'), join(dir, 'layer-2'), join(dir, 'layer-3')];
  for (const [i, d] of dirs.entries()) await generateTree(d, { files, bytes, seed: 401 + i });
  return { dirs, inputs: `3 layers, each ${describeTree(files, bytes)}` };
}

/**
 * Commits a 3-layer image named `name` in the tool's current store: each layer is one tree
 * copied into a container made from the previous layer's image.
 */
export async function commitLayeredImage(tool: ToolSide, trees: LayerTrees, name: string): Promise<void> {
  let from = 'scratch';
  for (const [i, dir] of trees.dirs.entries()) {
    const c = await tool.value(['from', from]);
    await tool.run(['copy', c, dir, `/layer-${i + 1}/`]);
    const image = i === trees.dirs.length - 1 ? name : `${name}-base${i + 1}`;
    await tool.run(['commit', c, image]);
    from = image;
  }
}

/** Commands commitLayeredImage needs from trowel. */
export const LAYERED_IMAGE_COMMANDS = ['from', 'copy', 'commit'] as const;
