import type { CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { findImage } from '../storage/lookup.js';
import { openDestination } from '../builder/image-locations.js';
import { exportImage } from '../builder/export-manifest.js';
import { manifestFormat } from './manifest-format.js';
import { registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';
import { createProgress } from './progress.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import type { Compression } from '../oci/media-types.js';

function parseCompression(text: string): Compression {
  if (text === 'gzip' || text === 'zstd' || text === 'none') return text;
  throw new InvalidArgumentError(`unsupported compression format ${JSON.stringify(text)}: use gzip or zstd`);
}

interface Args extends GlobalArgs, RegistryFlagArgs {
  'compression-format'?: string; 'compression-level'?: number; 'disable-compression'?: boolean;
  image: string; destination?: string; quiet?: boolean; digestfile?: string; all?: boolean; format?: string;
  rm?: boolean; 'sign-by'?: string; 'encrypt-layer'?: string[]; 'encryption-key'?: string[];
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'push <image> [destination]',
  describe: 'Push an image to a specified destination',
  builder: (y) =>
    registryFlags(y)
      .positional('image', { type: 'string', demandOption: true })
      .positional('destination', { type: 'string', describe: 'docker://REF (default), oci:DIR[:NAME], oci-archive:FILE[:NAME], docker-archive:FILE[:NAME], dir:DIR' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information" })
      .option('digestfile', { type: 'string', describe: 'write the digest of the pushed manifest to the file' })
      .option('all', { type: 'boolean', describe: 'push all images of a manifest list' })
      .option('format', { alias: 'f', type: 'string', describe: 'manifest type at the destination: oci or docker (default: the image\'s)' })
      .option('compression-format', { type: 'string', describe: 'layer compression: gzip (default), zstd' })
      .option('compression-level', { type: 'number', describe: 'compression level' })
      .option('disable-compression', { alias: 'D', type: 'boolean', describe: "don't compress layers" })
      .option('rm', { type: 'boolean', describe: 'remove the manifest list once it is pushed' })
      .option('remove-signatures', { type: 'boolean', describe: 'accepted for buildah compatibility (trowel copies no signatures)' })
      .option('sign-by', { type: 'string', hidden: true })
      .option('encrypt-layer', { type: 'string', array: true, hidden: true })
      .option('encryption-key', { type: 'string', array: true, hidden: true }) as never,
  handler: async (args) => {
    if (args['sign-by'] !== undefined) throw new NotImplementedError('trowel push --sign-by');
    if (args['encrypt-layer'] !== undefined || args['encryption-key'] !== undefined) throw new NotImplementedError('trowel push --encryption-key / --encrypt-layer');
    const store = openStore(args);
    const image = findImage(store.images(), args.image);
    const localName = image.names[0];
    const access = registryAccessFromFlags(args);
    const dest = await openDestination(store, args.destination ?? args.image, localName, access);
    const progress = createProgress({ quiet: !!args.quiet });
    const log = progress.line;
    const compression = args['disable-compression'] ? 'none' : parseCompression(args['compression-format'] ?? 'gzip');
    if (image.kind === 'index') {
      // A local manifest list: pushed as `manifest push` pushes it (its images compressed too, with --all).
      const destination = args.destination ?? args.image;
      const listFormat = args.format ? manifestFormat(args.format) : /^oci(-archive)?:/.test(destination) ? 'oci' : undefined;
      const { pushManifestList } = await import('../builder/manifest-list.js');
      const digest = await pushManifestList(store, image.id, dest, {
        all: !!args.all, compression, access, onProgress: log, onBytes: progress.bytes,
        ...(listFormat ? { format: listFormat } : {}),
        ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
      });
      if (args.digestfile) writeFileSync(args.digestfile, digest);
      if (args.rm) {
        const { removeManifestList } = await import('../builder/manifest-list.js');
        await removeManifestList(store, image.id);
      }
      return;
    }
    log('Getting image source signatures');
    const pushed = await exportImage(store, image, dest, {
      compression,
      ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
      ...(args.format ? { format: manifestFormat(args.format) } : {}),
      onProgress: log, onBytes: progress.bytes,
    });
    if (args.digestfile) writeFileSync(args.digestfile, pushed);
  },
};
export default cmd;
