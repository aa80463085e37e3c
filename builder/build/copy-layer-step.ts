/**
 * With `--layers`, a COPY step that lands where the container has nothing yet is committed as a
 * layer made straight from its sources: no file is written into the container, the layer is
 * stored as a blob, and it is unpacked only if a later step or container needs it.
 */
import { readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { DiffRecipe } from '../../storage/records.js';
import type { Instruction } from '../../parser/index.js';
import { plannedLayer } from '../../layers/index.js';
import { planCopyLayer } from '../copy-layer.js';
import { isVfsRoot } from '../run/storage-driver.js';
import { copyBaseOptions, excludeFilter, keepsParents, localSources, withMountedRoot, type StepInputs, type StepServices } from './dispatch.js';

/** Makes the step's layer tar with a commit's timestamp rules (for `CommitOptions.layer`). */
export type LayerMaker = (recipe: DiffRecipe) => Readable;

/**
 * The layer of a COPY step, planned without copying (builder/copy-layer.ts), or `undefined`
 * when the step has to be copied for real: not a plain COPY from the context or another stage
 * (heredocs, `--parents`, ADD), `--userns` id maps, `--rm=false` (the kept container should
 * hold the files), a vfs root, a container with changes of its own, or a destination that
 * already holds something. The container is mounted only
 * while the plan is made.
 * @throws what the copy would throw for a bad source (CopySourceError).
 */
export async function planCopyStepLayer(svc: StepServices, step: Instruction, inputs: StepInputs): Promise<LayerMaker | undefined> {
  if (step.kind !== 'copy' || step.inline.length > 0 || keepsParents(step) || inputs.downloads || inputs.checkouts) return undefined;
  const { session } = svc;
  // --rm=false keeps the working container, which should then hold what the step copied.
  if (session.options.userns !== undefined || !session.options.rm) return undefined;
  const c = await svc.ensureContainer();
  if (readdirSync(session.store.containerPaths(c.id).upper).length > 0) return undefined;
  const sourceRoot = step.from !== undefined ? await session.rootOf(step.from) : session.inputs.contextDir;
  const filter = excludeFilter(step, localSources(step), step.from === undefined ? session.inputs.ignore : undefined);
  const top = await withMountedRoot(svc, (root) => {
    if (isVfsRoot(root)) return undefined;
    return planCopyLayer(root, {
      ...copyBaseOptions(svc, step, root),
      sources: localSources(step),
      contextDir: sourceRoot,
      ...(filter ? { exclude: filter.exclude, excludeHasExceptions: filter.hasExceptions } : {}),
    });
  });
  return top && ((recipe) => plannedLayer(top, recipe));
}
