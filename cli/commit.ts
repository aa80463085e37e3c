import type { CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { commitContainer } from '../builder/commit.js';
import { getContainer } from '../builder/working-container.js';
import { normalizeImageName } from '../storage/lookup.js';
import { removeImage } from '../storage/image-ops.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import type { Compression } from '../oci/media-types.js';
import { parseImageLocation } from '../registry/transports/parse.js';
import { parseTimestamp } from './timestamp.js';
import { manifestFormat } from './manifest-format.js';
import { registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';

export { manifestFormat };

interface Args extends GlobalArgs, RegistryFlagArgs {
  container: string; image?: string; format?: string; squash?: boolean; timestamp?: string; rm?: boolean;
  iidfile?: string; quiet?: boolean; 'disable-compression'?: boolean; 'compression-format'?: string;
  'compression-level'?: number; 'omit-history'?: boolean; 'source-date-epoch'?: string;
  unsetenv?: string[]; manifest?: string; 'identity-label'?: boolean;
  'sign-by'?: string; 'encrypt-layer'?: string[]; 'encryption-key'?: string[];
}

/**
 * Where the image goes: a local name (the store), or a location of another transport
 * (`docker://`, `oci:`, `oci-archive:`, `docker-archive:`, `dir:`), which buildah writes there
 * without keeping the image locally.
 */
function destinationOf(image: string | undefined): { localName?: string; location?: string } {
  if (image === undefined) return {};
  const loc = parseImageLocation(image, 'containers-storage');
  if (loc.transport === 'containers-storage') return { localName: normalizeImageName(loc.reference) };
  return { location: image };
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'commit <container> [image]',
  describe: 'Create an image from a working container',
  builder: (y) =>
    registryFlags(y)
      .positional('container', { type: 'string', demandOption: true })
      .positional('image', { type: 'string', describe: 'a local name, or a location: docker://REF, oci:DIR[:NAME], oci-archive:FILE[:NAME], docker-archive:FILE[:NAME], dir:DIR' })
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
      .option('omit-history', { type: 'boolean', describe: 'leave the history out of the image config' })
      .option('unsetenv', { type: 'string', array: true, describe: 'leave this environment variable out of the image' })
      .option('manifest', { type: 'string', describe: 'add the image to this manifest list (created if missing)' })
      .option('identity-label', { type: 'boolean', describe: 'accepted for buildah compatibility (trowel adds no version label)' })
      .option('sign-by', { type: 'string', hidden: true })
      .option('encrypt-layer', { type: 'string', array: true, hidden: true })
      .option('encryption-key', { type: 'string', array: true, hidden: true }) as never,
  handler: async (args) => {
    if (args['sign-by'] !== undefined) throw new NotImplementedError('trowel commit --sign-by');
    if (args['encrypt-layer'] !== undefined || args['encryption-key'] !== undefined) throw new NotImplementedError('trowel commit --encryption-key / --encrypt-layer');
    const store = openStore(args);
    const format = manifestFormat(args.format);
    // As buildah, local images keep their layers uncompressed (-D defaults to true); pushes compress.
    const explicit = args['compression-format'] ?? (args['disable-compression'] === false ? 'gzip' : undefined);
    const compression = (explicit ?? 'none') as Compression;
    if (!['gzip', 'zstd', 'none'].includes(compression)) throw new InvalidArgumentError(`unsupported compression format ${JSON.stringify(compression)}: use gzip, zstd or none`);
    const exact = parseTimestamp(args.timestamp);
    const timestamp = exact ?? parseTimestamp(args['source-date-epoch'] ?? process.env.SOURCE_DATE_EPOCH);
    const { localName, location } = destinationOf(args.image);
    const log = (line: string) => {
      if (!args.quiet) process.stderr.write(line + '\n');
    };
    getContainer(store, args.container);
    if (location !== undefined && args.manifest !== undefined) throw new InvalidArgumentError(`commit to ${location}: --manifest needs the image in local storage (commit to a local name)`);
    // A location is opened before anything is committed: a bad one costs nothing.
    const access = registryAccessFromFlags(args);
    const dest = location !== undefined ? await (await import('../builder/image-locations.js')).openDestination(store, location, undefined, access) : undefined;
    log('Getting image source signatures');
    const known = new Set(store.images().map((i) => i.id));
    let image;
    try {
      image = await commitContainer(store, args.container, {
        names: localName ? [localName] : [], format, compression, rm: !!args.rm, squash: !!args.squash, omitHistory: !!args['omit-history'],
        ...(args.unsetenv?.length ? { unsetEnv: args.unsetenv } : {}),
        ...(timestamp !== undefined ? { timestamp, timestampMode: exact !== undefined ? 'set' as const : 'clamp' as const } : {}),
        ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
        warn: (m) => process.stderr.write(`WARN[0000] ${m}\n`),
      });
    } catch (err) {
      await dest?.close();
      throw err;
    }
    if (dest) {
      // Written there and not kept here, as buildah: the store only held it on the way.
      const { exportImage } = await import('../builder/export-manifest.js');
      try {
        await exportImage(store, image, dest, {
          // A registry gets compressed layers unless asked otherwise; files get the commit's.
          compression: explicit !== undefined ? compression : /^docker:/.test(location!) ? 'gzip' : compression,
          format, onProgress: log,
          ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
        });
      } finally {
        // Unless the very same image was in the store already (same content, same config).
        if (!known.has(image.id)) await removeImage(store, image.id);
      }
    } else {
      const manifest = store.readManifest(image);
      for (const l of manifest.layers) log(`Copying blob ${l.digest}`);
      log(`Copying config ${manifest.config.digest}`);
      log('Writing manifest to image destination');
      log('Storing signatures');
    }
    if (args.manifest !== undefined) {
      const { addToManifestList, createManifestList, manifestListExists } = await import('../builder/manifest-list.js');
      if (!manifestListExists(store, args.manifest)) await createManifestList(store, args.manifest);
      await addToManifestList(store, args.manifest, image.id);
    }
    if (args.iidfile) writeFileSync(args.iidfile, `sha256:${image.id}`);
    out(image.id);
  },
};
export default cmd;
