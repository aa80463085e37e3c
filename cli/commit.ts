import type { CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { commitContainer } from '../builder/commit.js';
import { getContainer } from '../builder/working-container.js';
import { normalizeImageName } from '../storage/lookup.js';
import { InvalidArgumentError } from '../oci/error.js';
import type { Compression, ManifestFormat } from '../oci/media-types.js';
import { parseTimestamp } from './timestamp.js';
import { manifestFormat } from './manifest-format.js';

export { manifestFormat };

interface Args extends GlobalArgs {
  container: string; image?: string; format?: string; squash?: boolean; timestamp?: string; rm?: boolean;
  iidfile?: string; quiet?: boolean; 'disable-compression'?: boolean; 'compression-format'?: string;
  'compression-level'?: number; 'omit-history'?: boolean; 'source-date-epoch'?: string;
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'commit <container> [image]',
  describe: 'Create an image from a working container',
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .positional('image', { type: 'string' })
      .option('format', { alias: 'f', type: 'string', describe: 'image format: oci or docker (default oci, or $BUILDAH_FORMAT)' })
      .option('squash', { type: 'boolean', describe: 'produce an image with only one layer' })
      .option('timestamp', { type: 'string', describe: 'set created time and layer times to this many seconds since the epoch' })
      .option('source-date-epoch', { type: 'string', describe: 'created time, and layer times later than it lowered to it (default $SOURCE_DATE_EPOCH)' })
      .option('rm', { type: 'boolean', describe: 'remove the working container once committed' })
      .option('iidfile', { type: 'string', describe: 'write the image ID to the file' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information" })
      .option('disable-compression', { alias: 'D', type: 'boolean', describe: "don't compress layers (default true)" })
      .option('compression-format', { type: 'string', describe: 'store layers compressed: gzip, zstd or none (default none)' })
      .option('compression-level', { type: 'number', describe: 'compression level' })
      .option('omit-history', { type: 'boolean', describe: 'leave the history out of the image config' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    const format = manifestFormat(args.format);
    // As buildah, local images keep their layers uncompressed (-D defaults to true); pushes compress.
    const compression = (args['compression-format'] ?? (args['disable-compression'] === false ? 'gzip' : 'none')) as Compression;
    if (!['gzip', 'zstd', 'none'].includes(compression)) throw new InvalidArgumentError(`unsupported compression format ${JSON.stringify(compression)}: use gzip, zstd or none`);
    const exact = parseTimestamp(args.timestamp);
    const timestamp = exact ?? parseTimestamp(args['source-date-epoch'] ?? process.env.SOURCE_DATE_EPOCH);
    const names = args.image ? [normalizeImageName(args.image)] : [];
    const log = (line: string) => {
      if (!args.quiet) process.stderr.write(line + '\n');
    };
    getContainer(store, args.container);
    log('Getting image source signatures');
    const image = await commitContainer(store, args.container, {
      names, format, compression, rm: !!args.rm, squash: !!args.squash, omitHistory: !!args['omit-history'],
      ...(timestamp !== undefined ? { timestamp, timestampMode: exact !== undefined ? 'set' as const : 'clamp' as const } : {}),
      ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
      warn: (m) => process.stderr.write(`WARN[0000] ${m}\n`),
    });
    const manifest = store.readManifest(image);
    for (const l of manifest.layers) log(`Copying blob ${l.digest}`);
    log(`Copying config ${manifest.config.digest}`);
    log('Writing manifest to image destination');
    log('Storing signatures');
    if (args.iidfile) writeFileSync(args.iidfile, `sha256:${image.id}`);
    out(image.id);
  },
};
export default cmd;
