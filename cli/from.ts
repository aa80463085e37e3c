import type { CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { createWorkingContainer } from '../builder/working-container.js';

interface Args extends GlobalArgs { image: string; name?: string; cidfile?: string; quiet?: boolean; pull?: string }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'from <image>',
  describe: 'Create a working container based on an image',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'image name or id, or scratch' })
      .option('name', { type: 'string', describe: 'set a name for the working container' })
      .option('cidfile', { type: 'string', describe: 'write the container ID to the file' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information when pulling images" })
      .option('pull', { type: 'string', describe: 'pull policy: always, missing, never, newer (images are local-only for now)' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    const c = await createWorkingContainer(store, { image: args.image, ...(args.name ? { name: args.name } : {}) });
    if (args.cidfile) writeFileSync(args.cidfile, c.id);
    out(c.name);
  },
};
export default cmd;
