import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { removeImage } from '../storage/image-ops.js';
import { InvalidArgumentError, TrowelError } from '../oci/error.js';
import { removeWorkingContainer } from '../builder/working-container.js';
import { findImage } from '../storage/lookup.js';

interface Args extends GlobalArgs { images: string[]; all?: boolean; force?: boolean; prune?: boolean }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'rmi [images..]',
  describe: 'Remove one or more images from local storage',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true, default: [] })
      .option('all', { alias: 'a', type: 'boolean', describe: 'remove all images' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'also remove the working containers that use them' })
      .option('prune', { alias: 'p', type: 'boolean', describe: 'remove dangling (unnamed) images' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    if ((args.all || args.prune) && args.images.length > 0) throw new InvalidArgumentError('rmi: when using the --all or --prune switch, you may not pass any images names or IDs');
    if (!args.all && !args.prune && args.images.length === 0) throw new InvalidArgumentError('rmi: image name or ID must be specified');
    const targets = args.all ? store.images().map((i) => i.id) : args.prune ? store.images().filter((i) => i.names.length === 0).map((i) => i.id) : args.images;
    let failure: unknown;
    for (const t of targets) {
      try {
        if (args.force) {
          const id = findImage(store.images(), t).id;
          for (const c of store.containers().filter((c) => c.image?.id === id)) await removeWorkingContainer(store, c.id);
        }
        const r = await removeImage(store, t, { force: !!args.force });
        for (const n of r.untagged) out(`untagged: ${n}`);
        if (r.removed) out(r.removed);
      } catch (err) {
        // Keep going with the other images, as buildah does, and fail at the end.
        if (!(err instanceof TrowelError)) throw err;
        process.stderr.write(`Error: ${err.message}\n`);
        failure = err;
      }
    }
    if (failure) process.exitCode = (failure as TrowelError).exitCode;
  },
};
export default cmd;
