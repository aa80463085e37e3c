import type { CommandModule } from 'yargs';
import { writeFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { createWorkingContainer } from '../builder/working-container.js';
import { parsePullPolicy, resolveImage } from '../builder/resolve-image.js';
import { createProgress } from './progress.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import { checkRunSettings, runDefaultsOf, runSettingFlags, type RunSettingArgs } from './run-settings.js';
import { parseDnsSettings } from '../builder/run/etc-files.js';
import { parseShmSize } from '../builder/run/mount-options.js';
import { resolveUsernsFlags } from './userns-options.js';
import type { RunDefaults } from '../storage/records.js';
import { manifestFormat } from './manifest-format.js';
import { platformFromFlags, registryAccessFromFlags, registryFlags, type RegistryFlagArgs } from './registry-flags.js';

interface Args extends GlobalArgs, RegistryFlagArgs, RunSettingArgs {
  image?: string; name?: string; cidfile?: string; quiet?: boolean; pull?: string;
  'pull-always'?: boolean; 'pull-never'?: boolean; platform?: string; arch?: string; os?: string; variant?: string;
  format?: string; 'http-proxy'?: boolean; 'shm-size'?: string;
  userns?: string; 'userns-uid-map': string[]; 'userns-gid-map': string[]; 'userns-uid-map-user'?: string; 'userns-gid-map-group'?: string; dns: string[]; 'dns-search': string[]; 'dns-option': string[];
}

/** buildah `from` flags for run resources trowel does not limit: refused by name, never ignored. */
const NOT_YET = [
  'cgroup-parent', 'cpu-period', 'cpu-quota', 'cpu-shares', 'cpuset-cpus', 'cpuset-mems', 'decryption-key', 'memory', 'memory-swap',
] as const;

/**
 * `--userns=container` and its maps, kept for the container's runs (see
 * builder/run/mapped-stack.ts), checked as bud checks them (rootless, they name ids of the
 * user's namespace, which `from` and `run` both run in).
 */
function fromUserns(args: Args): RunDefaults['userns'] {
  const flags = {
    ...(args.userns !== undefined ? { userns: args.userns } : {}),
    uidMaps: args['userns-uid-map'],
    gidMaps: args['userns-gid-map'],
    ...(args['userns-uid-map-user'] !== undefined ? { uidMapUser: args['userns-uid-map-user'] } : {}),
    ...(args['userns-gid-map-group'] !== undefined ? { gidMapGroup: args['userns-gid-map-group'] } : {}),
  };
  return resolveUsernsFlags(flags, { command: 'from' });
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'from [image]',
  describe: 'Create a working container based on an image',
  builder: (y) => {
    let b = runSettingFlags(registryFlags(y
      .positional('image', { type: 'string', describe: 'image name or id, a transport:location, or scratch' })
      .option('name', { type: 'string', describe: 'set a name for the working container' })
      .option('cidfile', { type: 'string', describe: 'write the container ID to the file' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: "don't output progress information when pulling images" })
      .option('pull', { type: 'string', describe: 'pull policy: always, missing (default), never, newer (a bare --pull or true: newer)' })
      .option('pull-always', { type: 'boolean', describe: 'pull the image even if it is in local storage (--pull=always)' })
      .option('pull-never', { type: 'boolean', describe: 'use only images in local storage (--pull=never)' })
      .option('platform', { type: 'string', describe: 'OS/ARCH[/VARIANT] of the image to pull from a manifest list' })
      .option('arch', { type: 'string', describe: 'architecture of the image to pull' })
      .option('os', { type: 'string', describe: 'OS of the image to pull' })
      .option('variant', { type: 'string', describe: 'architecture variant of the image to pull' })
      .option('format', { alias: 'f', type: 'string', describe: 'manifest format the container is meant for: oci or docker' })
      .option('userns', { type: 'string', describe: 'user namespace for later runs: host (default) or container' })
      .option('userns-uid-map', { type: 'string', array: true, default: [], describe: 'containerUID:hostUID:length for later runs' })
      .option('userns-gid-map', { type: 'string', array: true, default: [], describe: 'containerGID:hostGID:length for later runs' })
      .option('userns-uid-map-user', { type: 'string', describe: 'take the uid map from this name\'s /etc/subuid ranges' })
      .option('userns-gid-map-group', { type: 'string', describe: 'take the gid map from this name\'s /etc/subgid ranges' })
      .option('shm-size', { type: 'string', describe: 'size of /dev/shm for later runs (default 64m)' })
      .option('http-proxy', { type: 'boolean', describe: 'pass the proxy variables of the environment to later runs (default true)' })
      .option('dns', { type: 'string', array: true, default: [], describe: 'name server for later runs (none: leave the image\'s resolv.conf)' })
      .option('dns-search', { type: 'string', array: true, default: [], describe: 'search domain for later runs (.: none)' })
      .option('dns-option', { type: 'string', array: true, default: [], describe: 'resolv.conf option for later runs' })));
    for (const f of NOT_YET) b = b.option(f, { type: 'string', hidden: true });
    return b as never;
  },
  handler: async (args) => {
    for (const f of NOT_YET) {
      if ((args as unknown as Record<string, unknown>)[f] !== undefined) throw new NotImplementedError(`trowel from --${f}`);
    }
    // Run settings are checked now: a bad one fails here rather than at the first run.
    checkRunSettings(args);
    parseDnsSettings({ servers: args.dns, search: args['dns-search'], options: args['dns-option'] });
    if (args['shm-size'] !== undefined) parseShmSize(args['shm-size']);
    const userns = fromUserns(args);
    const format = args.format !== undefined ? manifestFormat(args.format) : undefined;
    // buildah's --pull takes its value only as --pull=VALUE: in `from --pull IMAGE` the image is
    // the positional and the policy is `newer`; yargs gives the image to --pull instead.
    let pullFlag = args.pull;
    let image = args.image;
    if (image === undefined && pullFlag !== undefined && !/^(always|missing|never|newer|ifmissing|ifnewer|true|false)$/i.test(pullFlag)) {
      image = pullFlag;
      pullFlag = '';
    }
    if (image === undefined) throw new InvalidArgumentError('from: an image name (or scratch) must be specified');
    const store = openStore(args);
    if (image !== 'scratch') {
      const pull = args['pull-always'] ? 'always' : args['pull-never'] ? 'never' : pullFlag !== undefined ? parsePullPolicy(pullFlag) : 'missing';
      const platform = platformFromFlags(args);
      const progress = createProgress({ quiet: !!args.quiet });
      const record = await resolveImage(store, image, {
        pull,
        access: registryAccessFromFlags(args),
        ...(platform ? { platform } : {}),
        onProgress: progress.line,
        onBytes: progress.bytes,
      });
      image = record.id;
    }
    const c = await createWorkingContainer(store, {
      image, runDefaults: {
        ...runDefaultsOf(args),
        ...(args['http-proxy'] === false ? { httpProxy: false } : {}),
        ...(args['shm-size'] !== undefined ? { shmSize: args['shm-size'] } : {}),
        ...(userns ? { userns } : {}),
        ...(args.dns.length ? { dns: args.dns } : {}),
        ...(args['dns-search'].length ? { dnsSearch: args['dns-search'] } : {}),
        ...(args['dns-option'].length ? { dnsOptions: args['dns-option'] } : {}),
      },
      ...(args.name ? { name: args.name } : {}),
      ...(format ? { format } : {}),
    });
    if (args.cidfile) writeFileSync(args.cidfile, c.id);
    out(c.name);
  },
};
export default cmd;
