import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { renameContainer } from '../builder/working-container.js';

interface Args extends GlobalArgs { container: string; 'new-name': string }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'rename <container> <new-name>',
  describe: 'Rename a working container',
  builder: (y) => y.positional('container', { type: 'string', demandOption: true }).positional('new-name', { type: 'string', demandOption: true }) as never,
  handler: async (args) => {
    await renameContainer(openStore(args), args.container, args['new-name']);
  },
};
export default cmd;
