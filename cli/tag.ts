import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { tagImage } from '../storage/image-ops.js';

interface Args extends GlobalArgs { image: string; names: string[] }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'tag <image> <names..>',
  describe: 'Add an additional name to a local image',
  builder: (y) => y.positional('image', { type: 'string', demandOption: true }).positional('names', { type: 'string', array: true, demandOption: true }) as never,
  handler: async (args) => {
    await tagImage(openStore(args), args.image, args.names);
  },
};
export default cmd;
