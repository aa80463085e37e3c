import type { CommandModule } from 'yargs';
import { InvalidArgumentError } from '../oci/error.js';
import { removeCredentials } from '../registry/config/auth-file.js';
import type { GlobalArgs } from './global-options.js';
import { splitLoginTarget } from './login.js';

interface LogoutArgs extends GlobalArgs {
  registry?: string;
  all?: boolean;
  authfile?: string;
}

const cmd: CommandModule<GlobalArgs, LogoutArgs> = {
  command: 'logout [registry]',
  describe: 'Logout of a container registry',
  builder: (y) => y
    .positional('registry', { type: 'string', describe: 'registry to log out of' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Remove the cached credentials for all registries in the auth file' })
    .option('authfile', { type: 'string', describe: 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' }) as never,
  handler: async (args) => {
    const fileOpts = args.authfile ? { authFile: args.authfile } : {};
    if (args.all) {
      if (args.registry) throw new InvalidArgumentError('log out: --all takes no registry');
      await removeCredentials(undefined, { ...fileOpts, all: true });
      process.stdout.write('Removed login credentials for all registries\n');
      return;
    }
    if (!args.registry) throw new InvalidArgumentError('log out: missing registry (trowel logout REGISTRY, or --all)');
    const { key } = splitLoginTarget(args.registry);
    await removeCredentials(key, fileOpts);
    process.stdout.write(`Removed login credentials for ${key}\n`);
  },
};
export default cmd;
