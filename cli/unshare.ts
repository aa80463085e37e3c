import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { unshareCommand } from '../builder/run/user-namespace.js';

interface Args extends GlobalArgs {
  command: string[];
  mount: string[];
  _: (string | number)[];
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'unshare [command..]',
  describe: 'Run a command in a modified user namespace',
  builder: (y) =>
    y
      .positional('command', { type: 'string', array: true, default: [], describe: 'command to run (default: $SHELL)' })
      .option('mount', { type: 'string', array: true, default: [], alias: 'm', describe: 'mount the specified working containers (not supported yet)' }) as never,
  handler: async (args) => {
    if (args.mount.length > 0) {
      const { NotImplementedError } = await import('../oci/error.js');
      throw new NotImplementedError('trowel unshare --mount');
    }
    const argv = [...args.command, ...args._.slice(1).map(String)];
    process.exitCode = await unshareCommand(argv);
  },
};
export default cmd;
