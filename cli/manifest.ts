import type { Argv, CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { InvalidArgumentError, NotImplementedError, TrowelError } from '../oci/error.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Compression } from '../oci/media-types.js';
import { registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';
import { createProgress } from './progress.js';
import { openDockerSource } from '../registry/transports/docker.js';
import { openDestination } from '../builder/image-locations.js';
import {
  addToManifestList, annotateManifestList, createManifestList, findManifestList, manifestListExists,
  pushManifestList, readManifestList, removeFromManifestList, removeManifestList, type EntryOverrides,
} from '../builder/manifest-list.js';

interface Args extends GlobalArgs, RegistryFlagArgs {
  list: string; images?: string[]; image?: string; digest?: string; destination?: string; lists?: string[];
  all?: boolean; amend?: boolean; os?: string; arch?: string; variant?: string; 'os-version'?: string;
  'os-features'?: string[]; features?: string[]; annotation?: string[]; quiet?: boolean; digestfile?: string;
  format?: string; rm?: boolean; 'compression-format'?: string; 'compression-level'?: number;
  'disable-compression'?: boolean;
}

function annotations(list: string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const a of list ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`parse --annotation ${JSON.stringify(a)}: expected key=value`);
    result[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return result;
}

function overrides(args: Args): EntryOverrides {
  const split = (list: string[] | undefined) => (list ?? []).flatMap((f) => f.split(',')).filter(Boolean);
  const osFeatures = split(args['os-features']);
  const features = split(args.features);
  return {
    ...(args.os ? { os: args.os } : {}),
    ...(args.arch ? { arch: args.arch } : {}),
    ...(args.variant ? { variant: args.variant } : {}),
    ...(args['os-version'] ? { osVersion: args['os-version'] } : {}),
    ...(osFeatures.length ? { osFeatures } : {}),
    ...(features.length ? { features } : {}),
    annotations: annotations(args.annotation),
  };
}

function parseCompression(text: string): Compression {
  if (text === 'gzip' || text === 'zstd') return text;
  throw new InvalidArgumentError(`unsupported compression format ${JSON.stringify(text)}: use gzip or zstd`);
}

const platformFlags = (y: Argv<any>) =>
  y
    .option('os', { type: 'string', describe: 'override the OS of the image' })
    .option('arch', { type: 'string', describe: 'override the architecture of the image' })
    .option('variant', { type: 'string', describe: 'override the variant of the image' })
    .option('os-version', { type: 'string', describe: 'override the OS version of the image' })
    .option('os-features', { type: 'string', array: true, describe: 'override the OS features of the image' })
    .option('features', { type: 'string', array: true, describe: 'override the features of the image' })
    .option('annotation', { type: 'string', array: true, describe: 'set an annotation for the image (key=value)' });

const accessFlags = (y: Argv<any>) => registryFlags(y);

const create: CommandModule<GlobalArgs, Args> = {
  command: 'create <list> [images..]',
  describe: 'Create a manifest list and optionally add images to it',
  builder: (y) => accessFlags(y.positional('list', { type: 'string', demandOption: true }).positional('images', { type: 'string', array: true })
    .option('all', { type: 'boolean', describe: "add all of the lists' images if the images to add are lists" })
    .option('amend', { type: 'boolean', describe: 'modify an existing list if one with the desired name already exists' })) as never,
  handler: async (args) => {
    const store = openStore(args);
    let list = await createManifestList(store, args.list, { amend: !!args.amend });
    for (const image of args.images ?? []) list = (await addToManifestList(store, args.list, image, { all: !!args.all, access: registryAccessFromFlags(args) })).list;
    out(list.id);
  },
};

const add: CommandModule<GlobalArgs, Args> = {
  command: 'add <list> <image>',
  describe: 'Add an image to a manifest list',
  builder: (y) => accessFlags(platformFlags(y.positional('list', { type: 'string', demandOption: true }).positional('image', { type: 'string', demandOption: true })
    .option('all', { type: 'boolean', describe: "add all of the list's images if the image is a list" }))) as never,
  handler: async (args) => {
    const store = openStore(args);
    const r = await addToManifestList(store, args.list, args.image!, { ...overrides(args), all: !!args.all, access: registryAccessFromFlags(args) });
    out(`${r.list.id}: ${r.digest}`);
  },
};

const remove: CommandModule<GlobalArgs, Args> = {
  command: 'remove <list> <digest>',
  describe: 'Remove an entry from a manifest list',
  builder: (y) => y.positional('list', { type: 'string', demandOption: true }).positional('digest', { type: 'string', demandOption: true }) as never,
  handler: async (args) => {
    const r = await removeFromManifestList(openStore(args), args.list, args.digest!);
    out(`${r.list.id}: ${r.digest}`);
  },
};

const annotate: CommandModule<GlobalArgs, Args> = {
  command: 'annotate <list> <digest>',
  describe: 'Add or update information about an entry in a manifest list',
  builder: (y) => platformFlags(y.positional('list', { type: 'string', demandOption: true }).positional('digest', { type: 'string', demandOption: true })) as never,
  handler: async (args) => {
    const r = await annotateManifestList(openStore(args), args.list, args.digest!, overrides(args));
    out(`${r.list.id}: ${r.digest}`);
  },
};

const inspect: CommandModule<GlobalArgs, Args> = {
  command: 'inspect <list>',
  describe: 'Display the contents of a manifest list',
  builder: (y) => accessFlags(y.positional('list', { type: 'string', demandOption: true })) as never,
  handler: async (args) => {
    const store = openStore(args);
    if (manifestListExists(store, args.list)) {
      out(JSON.stringify(readManifestList(store, findManifestList(store, args.list)), null, 4));
      return;
    }
    // Not a local list: show the registry's, as buildah does.
    const src = await openDockerSource(args.list, registryAccessFromFlags(args));
    try {
      const top = await src.getManifest();
      if (!isIndexMediaType(top.mediaType)) throw new TrowelError('NOT_A_LIST', `inspect manifest list ${args.list}: ${src.name} is an image, not a manifest list`);
      out(JSON.stringify(JSON.parse(top.bytes.toString('utf8')), null, 4));
    } finally {
      await src.close();
    }
  },
};

const push: CommandModule<GlobalArgs, Args> = {
  command: 'push <list> [destination]',
  describe: 'Push a manifest list to a registry or other location',
  builder: (y) => accessFlags(y.positional('list', { type: 'string', demandOption: true }).positional('destination', { type: 'string' })
    .option('all', { type: 'boolean', describe: 'also push the images in the list' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information when pushing lists" })
    .option('digestfile', { type: 'string', describe: 'write the digest of the pushed list to the file' })
    .option('format', { alias: 'f', type: 'string', describe: 'manifest list type at the destination: oci or v2s2 (default: the list\'s)' })
    .option('rm', { type: 'boolean', describe: 'remove the manifest list if the push succeeds' })
    .option('compression-format', { type: 'string', describe: 'layer compression: gzip (default), zstd' })
    .option('compression-level', { type: 'number', describe: 'compression level' })
    .option('disable-compression', { alias: 'D', type: 'boolean', describe: "don't compress layers" })
    .option('remove-signatures', { type: 'boolean', describe: 'accepted for buildah compatibility (trowel copies no signatures)' })
    .option('sign-by', { type: 'string', hidden: true })) as never,
  handler: async (args) => {
    if ((args as { 'sign-by'?: string })['sign-by'] !== undefined) throw new NotImplementedError('trowel manifest push --sign-by');
    const store = openStore(args);
    const list = findManifestList(store, args.list);
    let format: 'oci' | 'docker' | undefined;
    if (args.format !== undefined) {
      if (args.format === 'oci') format = 'oci';
      else if (args.format === 'v2s2' || args.format === 'docker') format = 'docker';
      else throw new InvalidArgumentError(`unrecognized manifest list type ${JSON.stringify(args.format)}: use oci or v2s2`);
    }
    const destination = args.destination ?? args.list;
    // An OCI layout holds OCI indexes only (skopeo and buildah find no Docker list in one).
    if (!format && /^oci(-archive)?:/.test(destination)) format = 'oci';
    const compression = args['disable-compression'] ? 'none' : parseCompression(args['compression-format'] ?? 'gzip');
    const dst = await openDestination(store, destination, list.names[0], registryAccessFromFlags(args));
    const progress = createProgress({ quiet: !!args.quiet });
    const digest = await pushManifestList(store, args.list, dst, {
      all: !!args.all, compression, access: registryAccessFromFlags(args), onProgress: progress.line, onBytes: progress.bytes,
      ...(format ? { format } : {}),
      ...(args['compression-level'] !== undefined ? { compressionLevel: args['compression-level'] } : {}),
    });
    if (args.digestfile) writeFileSync(args.digestfile, digest);
    if (args.rm) await removeManifestList(store, list.id);
  },
};

const rm: CommandModule<GlobalArgs, Args> = {
  command: 'rm <lists..>',
  describe: 'Remove manifest lists from local storage',
  builder: (y) => y.positional('lists', { type: 'string', array: true, demandOption: true }) as never,
  handler: async (args) => {
    const store = openStore(args);
    let failure: TrowelError | undefined;
    for (const name of args.lists ?? []) {
      try {
        const r = await removeManifestList(store, name);
        for (const n of r.untagged) out(`untagged: ${n}`);
        if (r.removed) out(r.removed);
      } catch (err) {
        if (!(err instanceof TrowelError)) throw err;
        process.stderr.write(`Error: ${err.message}\n`);
        failure = err;
      }
    }
    if (failure) process.exitCode = failure.exitCode;
  },
};

const exists: CommandModule<GlobalArgs, Args> = {
  command: 'exists <list>',
  describe: 'Check if a manifest list exists in local storage',
  builder: (y) => y.positional('list', { type: 'string', demandOption: true }) as never,
  handler: (args) => {
    process.exitCode = manifestListExists(openStore(args), args.list) ? 0 : 1;
  },
};

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'manifest',
  describe: 'Manipulate manifest lists',
  builder: (y) =>
    y
      .command(create).command(add).command(remove).command(annotate).command(inspect).command(push).command(rm).command(exists)
      .demandCommand(1, 'missing subcommand: create, add, remove, annotate, inspect, push, rm or exists') as never,
  handler: () => {},
};
export default cmd;
