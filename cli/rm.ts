import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { removeWorkingContainer } from '../builder/working-container.js';
import { InvalidArgumentError } from '../oci/error.js';

interface Args extends GlobalArgs { containers: string[]; all?: boolean }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'rm [containers..]',
  aliases: ['delete'],
  describe: 'Remove one or more working containers',
  builder: (y) =>
    y.positional('containers', { type: 'string', array: true, default: [] }).option('all', { alias: 'a', type: 'boolean', describe: 'remove all containers' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    if (args.all && args.containers.length > 0) throw new InvalidArgumentError('rm: when using the --all switch, you may not pass any containers names or IDs');
    if (!args.all && args.containers.length === 0) throw new InvalidArgumentError('rm: container ID must be specified');
    const targets = args.all ? store.containers().map((c) => c.id) : args.containers;
    for (const t of targets) out((await removeWorkingContainer(store, t)).id);
    if (args.all) {
      // Directories left by a `from` that was killed before recording its container.
      for (const dir of store.orphanContainerDirs(store.state())) store.removeDir(dir);
    }
  },
};
export default cmd;
