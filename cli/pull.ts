import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { parsePullPolicy, resolveImage } from '../builder/resolve-image.js';
import { createProgress } from './progress.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import { parseImageLocation } from '../registry/transports/parse.js';
import { platformFromFlags, registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';

interface Args extends GlobalArgs, RegistryFlagArgs {
  image: string; quiet?: boolean; platform?: string; arch?: string; os?: string; variant?: string; 'all-tags'?: boolean; policy?: string;
  'decryption-key'?: string[];
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'pull <image>',
  describe: 'Pull an image from the specified location',
  builder: (y) =>
    registryFlags(y
      .positional('image', { type: 'string', demandOption: true })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information" })
      .option('platform', { type: 'string', describe: 'OS/ARCH[/VARIANT] to pull from a manifest list' })
      .option('arch', { type: 'string' })
      .option('os', { type: 'string' })
      .option('variant', { type: 'string' })
      .option('policy', { type: 'string', describe: 'pull policy: missing (default), always, never, newer' })
      .option('all-tags', { alias: 'a', type: 'boolean', describe: 'pull every tagged image of the repository' })
      .option('remove-signatures', { type: 'boolean', describe: 'accepted for buildah compatibility (trowel copies no signatures)' })
      .option('decryption-key', { type: 'string', array: true, hidden: true })) as never,
  handler: async (args) => {
    if (args['decryption-key'] !== undefined) throw new NotImplementedError('trowel pull --decryption-key');
    const store = openStore(args);
    const platform = platformFromFlags(args);
    const progress = createProgress({ quiet: !!args.quiet });
    const access = registryAccessFromFlags(args);
    const pull = args.policy !== undefined ? parsePullPolicy(args.policy, '--policy') : 'missing';
    let names = [args.image];
    if (args['all-tags']) {
      const loc = parseImageLocation(args.image);
      if (loc.transport !== 'docker') throw new InvalidArgumentError(`pull --all-tags ${args.image}: only registries (docker://) have tags to list`);
      const { listRepositoryTags } = await import('../registry/transports/docker.js');
      names = (await listRepositoryTags(loc.reference, access)).map((ref) => `docker://${ref}`);
    }
    for (const name of names) {
      const image = await resolveImage(store, name, {
        pull, access, onProgress: progress.line, onBytes: progress.bytes,
        ...(platform ? { platform } : {}),
      });
      out(image.id);
    }
  },
};
export default cmd;
