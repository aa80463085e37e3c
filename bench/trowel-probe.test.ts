import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { TrowelFeatures, trowelHasCommand } from './trowel-probe.js';

// dist/bench/trowel-probe.test.js -> <repo>/bin/trowel
const trowel = [fileURLToPath(new URL('../../bin/trowel', import.meta.url))];

test('a command the CLI has is found; an unknown one is not, though --help exits 0', async () => {
  assert.is(await trowelHasCommand(trowel, 'version'), true);
  assert.is(await trowelHasCommand(trowel, 'no-such-command'), false);
});

test('missing() lists only the absent commands, once each, in order', async () => {
  const f = new TrowelFeatures(trowel);
  assert.equal(await f.missing(['no-such-a', 'version', 'no-such-b', 'no-such-a']), ['no-such-a', 'no-such-b']);
});

test.run();
