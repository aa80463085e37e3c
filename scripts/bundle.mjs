#!/usr/bin/env node
// Bundles the command line (dist/cli/main.js, as tsc wrote it, and the packages it uses) into
// dist/bundle/ for bin/trowel. Node resolves, reads and compiles every module file on its own;
// for a registry command that is about a hundred files, a fifth of its whole run. The bundle
// keeps each command in a chunk of its own (split at program.ts's dynamic imports), so a
// command still loads only what it uses.
//
// `import.meta.url` is rewritten, in every bundled file, to the URL the file had before
// bundling, so paths made from it (the helper binary, worker scripts, package.json, the
// native addon, yargs' locales) still name the same files.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(repo, 'dist', 'bundle');

/** esbuild plugin: `import.meta.url` of each module stays that module's own original URL. */
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.(m?js)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const original = JSON.stringify(relative(outdir, args.path));
      return { contents: text.replaceAll('import.meta.url', `new URL(${original}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(repo, 'dist', 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [keepModuleUrls],
  logLevel: 'warning',
  // CommonJS packages (undici) call require() for Node's modules; ESM output has none of its own.
  banner: { js: "import { createRequire as __trowelCreateRequire } from 'node:module'; const require = __trowelCreateRequire(import.meta.url);" },
});
