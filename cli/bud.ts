import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { NotImplementedError } from '../oci/error.js';

const cmd: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'bud [context]',
  describe: 'Build an image using instructions in a Containerfile',
  handler: () => {
    throw new NotImplementedError('build image: trowel bud is not implemented yet');
  },
};
export default cmd;
