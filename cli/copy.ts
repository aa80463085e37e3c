import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { copyIntoContainer } from '../builder/copy-into-container.js';
import { InvalidArgumentError } from '../oci/error.js';
import { loadIgnoreFile } from '../builder/ignore-file.js';
import { registryAccessFromFlags } from './registry-flags.js';
import { copyHistory, recordHistory, wantsHistory } from '../builder/history-entries.js';
import { openStore, out } from './context.js';

export interface CopyArgs extends GlobalArgs {
  container: string; paths: string[]; chown?: string; chmod?: string; contextdir?: string; quiet?: boolean; from?: string;
  ignorefile?: string; retry?: number; 'retry-delay'?: string; 'add-history'?: boolean;
}

/** Builds `copy` or `add`: the same command, `add` also extracting local archives. */
export function copyCommand(name: 'copy' | 'add'): CommandModule<GlobalArgs, CopyArgs> {
  return {
    command: `${name} <container> <paths..>`,
    describe: name === 'copy' ? 'Copy content into a working container' : 'Add content to a working container, extracting local archives',
    builder: (y) =>
      y
        .positional('container', { type: 'string', demandOption: true })
        .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'SRC… [DEST]' })
        .option('chown', { type: 'string', describe: 'set USER[:GROUP] ownership of the copied content' })
        .option('chmod', { type: 'string', describe: 'set the mode of the copied content (octal)' })
        .option('contextdir', { type: 'string', describe: 'directory relative sources are taken from' })
        .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output a digest of the copied content" })
        .option('add-history', { type: 'boolean', describe: 'record the operation in the image history (default $TROWEL_HISTORY, $BUILDAH_HISTORY, else false)' })
        .option('from', { type: 'string', describe: 'read the sources from this container or image instead of the host' })
        .option('ignorefile', { type: 'string', describe: 'leave out host sources matching this .containerignore-style file (needs --contextdir)' })
        .option('retry', { type: 'number', describe: 'attempts after a failed pull of the --from image (default 3)' })
        .option('retry-delay', { type: 'string', describe: 'delay between pull attempts (default 2s)' }) as never,
    handler: async (args) => {
      const paths = args.paths;
      if (paths.length === 0) throw new InvalidArgumentError(`${name}: src must be specified`);
      if (args.ignorefile !== undefined && args.contextdir === undefined) {
        throw new InvalidArgumentError(`${name} --ignorefile: needs a context directory (--contextdir), which its patterns are relative to`);
      }
      const ignore = args.ignorefile !== undefined ? (await loadIgnoreFile({ contextDir: args.contextdir!, ignoreFile: args.ignorefile }))?.matcher : undefined;
      const access = args.from !== undefined && (args.retry !== undefined || args['retry-delay'] !== undefined) ? registryAccessFromFlags(args) : undefined;
      const sources = paths.length === 1 ? paths : paths.slice(0, -1);
      const dest = paths.length === 1 ? undefined : paths[paths.length - 1];
      const history = wantsHistory(args['add-history']);
      const store = openStore(args);
      const content = await copyIntoContainer(store, args.container, {
        digest: !args.quiet || history,
        sources,
        ...(dest !== undefined ? { dest } : {}),
        ...(args.contextdir ? { contextDir: args.contextdir } : {}),
        ...(args.chown ? { chown: args.chown } : {}),
        ...(args.chmod ? { chmod: args.chmod } : {}),
        extractArchives: name === 'add',
        ...(args.from ? { from: args.from } : {}),
        ...(access ? { access } : {}),
        ...(ignore ? { ignore } : {}),
      });
      if (content && !args.quiet) out(content.digest);
      if (content && history) await recordHistory(store, args.container, [copyHistory(name === 'copy' ? 'COPY' : 'ADD', content)]);
    },
  };
}

export default copyCommand('copy');
