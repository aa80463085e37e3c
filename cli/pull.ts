import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { parsePullPolicy, resolveImage } from '../builder/resolve-image.js';
import { createProgress } from './progress.js';
import { platformFromFlags, registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';

interface Args extends GlobalArgs, RegistryFlagArgs {
  image: string; quiet?: boolean; platform?: string; arch?: string; os?: string; variant?: string; 'all-tags'?: boolean; policy?: string;
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
      .option('policy', { type: 'string', describe: 'pull policy: missing (default), always, never, newer' })) as never,
  handler: async (args) => {
    const store = openStore(args);
    const platform = platformFromFlags(args);
    const progress = createProgress({ quiet: !!args.quiet });
    const image = await resolveImage(store, args.image, {
      pull: args.policy !== undefined ? parsePullPolicy(args.policy, '--policy') : 'missing',
      access: registryAccessFromFlags(args),
      ...(platform ? { platform } : {}),
      onProgress: progress.line,
      onBytes: progress.bytes,
    });
    out(image.id);
  },
};
export default cmd;
