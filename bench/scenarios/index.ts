import type { Scenario } from '../scenario.js';
import { buildStages } from './build-stages.js';
import { commitUpper } from './commit-upper.js';
import { commitVfs } from './commit-vfs.js';
import { copyContextCached, copyContextCold } from './copy-context.js';
import { pullCold, pushAgain, pushCold } from './push-pull.js';
import { configCommand, imagesCommand, mountCommand } from './quick-commands.js';
import { rebuildLayers } from './rebuild-layers.js';
import { rootlessRun } from './rootless-run.js';
import { runTrue } from './run-true.js';
import { startUp } from './start-up.js';

/** Every scenario, in the order the bench runs and reports them. */
export const SCENARIOS: readonly Scenario[] = [
  commitUpper,
  commitVfs,
  buildStages,
  rebuildLayers,
  copyContextCold,
  copyContextCached,
  runTrue,
  pushCold,
  pushAgain,
  pullCold,
  rootlessRun,
  configCommand,
  mountCommand,
  imagesCommand,
  startUp,
];
