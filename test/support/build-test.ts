import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox } from './trowel.js';
import { makeTrowelBusyboxImage } from './busybox-image.js';

/** What a build test file works with: a store holding the busybox base, and a work directory. */
export interface BuildTestState {
  t: TrowelSandbox;
  work: string;
}

/**
 * Sets up a build test file: a work directory for contexts and outputs (`trowel-NAME-*`) and a
 * store (`trowel-NAME-store-*`) holding `localhost/busybox:latest`. Undo with tearDownBuildTest.
 */
export function setUpBuildTest(name: string): BuildTestState {
  const work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), `trowel-${name}-`));
  const t = new TrowelSandbox(`trowel-${name}-store-`);
  makeTrowelBusyboxImage(t);
  return { t, work };
}

/** Removes what setUpBuildTest made (mounts under the store first); safe after a failed set-up. */
export function tearDownBuildTest(state: Partial<BuildTestState>): void {
  state.t?.cleanup();
  if (state.work) rmSync(state.work, { recursive: true, force: true });
}
