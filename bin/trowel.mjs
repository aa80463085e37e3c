#!/usr/bin/env node
// The command line, as scripts/bundle.mjs bundled it (run through bin/trowel).
import('../dist/bundle/main.js').then((m) => m.main(process.argv.slice(2)));
