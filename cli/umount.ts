import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { getContainer } from '../builder/working-container.js';
import { isMounted, unmountContainer } from '../builder/mount.js';
import { InvalidArgumentError } from '../oci/error.js';

interface Args extends GlobalArgs { containers: string[]; all?: boolean }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'umount [containers..]',
  aliases: ['unmount'],
  describe: "Unmount the root file system of the specified working containers",
  builder: (y) =>
    y.positional('containers', { type: 'string', array: true, default: [] }).option('all', { alias: 'a', type: 'boolean', describe: 'umount all of the currently mounted containers' }) as never,
  handler: (args) => {
    const store = openStore(args);
    if (args.all && args.containers.length > 0) throw new InvalidArgumentError('umount: when using the --all switch, you may not pass any containers names or IDs');
    if (!args.all && args.containers.length === 0) throw new InvalidArgumentError('umount: at least one container name or ID must be specified');
    const targets = args.all ? store.containers() : args.containers.map((n) => getContainer(store, n));
    for (const c of targets) {
      const merged = store.containerPaths(c.id).merged;
      if (isMounted(merged)) unmountContainer(merged);
      else if (args.all) continue;
      out(c.id);
    }
  },
};
export default cmd;
