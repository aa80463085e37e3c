// trowel run as root, for kernel overlay and fuse-overlayfs.
import { test } from 'uvu';
import { rmSync } from 'node:fs';
import { tempStoreRoot } from '../test/support/trowel-cli.js';
import { registerRunCases } from './run-cases.js';

const root = tempStoreRoot('trowel-cli-run-');
registerRunCases(root, /^\s*0\s+0\s+4294967295$/);
test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
