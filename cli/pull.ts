import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { copyImage } from '../registry/copy.js';
import { StoreImageDestination } from '../builder/store-transport.js';
import { localNameFor, openSource } from '../builder/image-locations.js';
import { parseImageLocation } from '../registry/transports/parse.js';
import { parsePlatform } from '../oci/platform.js';
import { TrowelError } from '../oci/error.js';
import { formatReference, type ImageReference } from '../oci/reference.js';

interface Args extends GlobalArgs {
  image: string; quiet?: boolean; 'tls-verify'?: boolean; authfile?: string; creds?: string; 'cert-dir'?: string;
  platform?: string; arch?: string; os?: string; variant?: string; 'all-tags'?: boolean; policy?: string;
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'pull <image>',
  describe: 'Pull an image from the specified location',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information" })
      .option('tls-verify', { type: 'boolean', describe: 'require HTTPS and verify certificates (default true)' })
      .option('authfile', { type: 'string' })
      .option('creds', { type: 'string' })
      .option('cert-dir', { type: 'string' })
      .option('platform', { type: 'string', describe: 'OS/ARCH[/VARIANT] to pull from a manifest list' })
      .option('arch', { type: 'string' })
      .option('os', { type: 'string' })
      .option('variant', { type: 'string' })
      .option('policy', { type: 'string', choices: ['always', 'missing', 'never', 'newer'], describe: 'pull policy' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    const loc = parseImageLocation(args.image);
    const src = await openSource(store, args.image, {
      ...(args['tls-verify'] !== undefined ? { tlsVerify: args['tls-verify'] } : {}),
      ...(args.authfile ? { authFile: args.authfile } : {}),
      ...(args.creds ? { creds: args.creds } : {}),
      ...(args['cert-dir'] ? { certDir: args['cert-dir'] } : {}),
    });
    let archiveTag: string | undefined;
    if (loc.transport === 'docker-archive') archiveTag = loc.ref;
    // A registry source knows the name that answered (after short-name resolution).
    const resolved = (src as { reference?: ImageReference }).reference;
    const name = resolved ? formatReference(resolved) : localNameFor(loc, archiveTag);
    const dest = new StoreImageDestination(store, name ? [name] : []);
    const log = (line: string) => {
      if (!args.quiet) process.stderr.write(line + '\n');
    };
    let platform = args.platform ? parsePlatform(args.platform) : undefined;
    if (!platform && (args.arch || args.os || args.variant)) {
      platform = parsePlatform(`${args.os ?? 'linux'}/${args.arch ?? process.arch}${args.variant ? '/' + args.variant : ''}`);
    }
    log('Getting image source signatures');
    await copyImage(src, dest, { onProgress: log, ...(platform ? { platform } : {}) });
    if (!dest.image) throw new TrowelError('PULL_FAILED', `pull ${args.image}: no image was stored`);
    out(dest.image.id);
  },
};
export default cmd;
