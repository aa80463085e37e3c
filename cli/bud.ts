import type { CommandModule } from 'yargs';
import { createWriteStream, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { manifestFormat } from './manifest-format.js';
import { parseTimestamp } from './timestamp.js';
import { resolveUsernsFlags } from './userns-options.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import {
  BuildCancelledError, buildPlatforms, contextFromStdin, contextFromUrl, exportFilesystem, fetchContainerfile, isContextUrl, parseOutputSpec,
  parseSshSpec, targetPlatforms, type ContainerfileInput, type PlatformsBuildOptions, type TemporaryContext,
} from '../builder/build/index.js';
import type { Platform } from '../oci/platform.js';
import { resolveStorageDriver } from '../builder/run/storage-driver.js';
import { hostNamespacesOf } from '../builder/run/namespace-options.js';
import { parseDevice, parseShmSize } from '../builder/run/mount-options.js';
import { parseDnsSettings, type DnsSettings } from '../builder/run/etc-files.js';
import { prepareNamedContexts, type NamedContexts } from '../builder/build/named-contexts.js';
import { registryAccessFromFlags, registryFlags } from './registry-flags.js';
import { layersDefault, parseBuildArgs, parsePull, parseSecrets, remoteCacheFlags, secretFiles } from './bud-flags.js';
import { securityOpts } from './run-settings.js';

interface Args extends GlobalArgs {
  context?: string;
  tag: string[]; file: string[]; 'build-arg': string[]; 'build-arg-file': string[]; target?: string;
  layers?: boolean; 'no-cache'?: boolean; squash?: boolean; format?: string; iidfile?: string; quiet?: boolean;
  label: string[]; annotation: string[]; unsetenv: string[]; unsetlabel: string[]; env: string[];
  timestamp?: string; 'source-date-epoch'?: string; 'omit-history'?: boolean; 'identity-label'?: boolean;
  pull?: string; isolation?: string; network?: string; volume: string[]; secret: string[]; 'cap-add': string[];
  'cap-drop': string[]; ulimit: string[]; jobs?: number; 'skip-unused-stages'?: boolean; rm?: boolean;
  'force-rm'?: boolean; ignorefile?: string; logfile?: string; logsplit?: boolean; 'disable-compression'?: boolean;
  'tls-verify'?: boolean; authfile?: string; creds?: string; 'cert-dir'?: string; retry?: number; 'retry-delay'?: string;
  'cache-from': string[]; 'cache-to': string[]; 'cache-ttl'?: string;
  from?: string; 'no-hosts'?: boolean; 'security-opt': string[]; 'http-proxy'?: boolean; 'os-version'?: string; 'os-feature': string[];
  stdin?: boolean; 'shm-size'?: string; 'cpp-flag': string[]; 'build-context': string[]; device: string[]; dns: string[]; 'dns-search': string[]; 'dns-option': string[];
  userns?: string; pid?: string; ipc?: string; uts?: string; platform?: string[]; 'add-host': string[]; output?: string; ssh: string[];
  'userns-uid-map': string[]; 'userns-gid-map': string[]; 'userns-uid-map-user'?: string; 'userns-gid-map-group'?: string;
  arch?: string; os?: string; variant?: string; 'all-platforms'?: boolean; manifest?: string;
  [flag: string]: unknown;
}

const list = { type: 'string', array: true, default: [] as string[] } as const;

/** buildah bud flags trowel knows but does not do yet: accepted by name, refused when used. */
const NOT_YET = [
  'cgroup-parent',
  'cgroupns', 'cpu-period', 'cpu-quota', 'cpu-shares', 'cpuset-cpus', 'cpuset-mems',
  'decryption-key', 'hooks-dir',
  'memory', 'memory-swap', 'sign-by',
] as const;

/** `-f` values: paths, `-` for the Containerfile on stdin, or http(s) URLs to download it from. */
async function containerfileInputs(files: string[], signal: AbortSignal): Promise<ContainerfileInput[]> {
  const inputs: ContainerfileInput[] = [];
  for (const f of files) {
    if (f === '-') inputs.push({ text: readFileSync(0, 'utf8'), name: 'stdin' });
    else if (/^https?:\/\//i.test(f)) inputs.push({ text: await fetchContainerfile(f, signal), name: f });
    else inputs.push({ path: f });
  }
  return inputs;
}

/** `--dns`, `--dns-search`, `--dns-option`, checked. */
function dnsOption(args: Args): { dns?: DnsSettings } {
  const dns = parseDnsSettings({ servers: args.dns, search: args['dns-search'], options: args['dns-option'] });
  return dns ? { dns } : {};
}

/** The context as a directory: itself, or one made from stdin (`-`) or a URL for this build. */
async function temporaryContext(context: string, tmpDir: string, signal: AbortSignal): Promise<TemporaryContext | undefined> {
  if (context === '-') return contextFromStdin(readFileSync(0), tmpDir);
  if (!isContextUrl(context)) return undefined;
  try {
    return await contextFromUrl(context, tmpDir, signal);
  } catch (e) {
    if (signal.aborted) throw new BuildCancelledError(String(signal.reason ?? 'interrupted'));
    throw e;
  }
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'bud [context]',
  describe: 'Build an image using instructions in a Containerfile',
  builder: (y) => {
    let b = y
      .positional('context', { type: 'string', describe: 'the build context directory (default .)' })
      .option('tag', { ...list, alias: 't', describe: 'name for the built image (repeatable)' })
      .option('file', { ...list, alias: 'f', describe: 'Containerfile to use (repeatable; - reads stdin)' })
      .option('build-arg', { ...list, describe: 'NAME=VALUE for an ARG' })
      .option('build-arg-file', { ...list, describe: 'file of NAME=VALUE lines' })
      .option('target', { type: 'string', describe: 'the stage to build' })
      .option('layers', { type: 'boolean', describe: 'cache intermediate images (default $TROWEL_LAYERS, $BUILDAH_LAYERS, else false)' })
      .option('no-cache', { type: 'boolean', describe: 'do not use cached intermediate images' })
      .option('squash', { type: 'boolean', describe: 'squash the new layers into one' })
      .option('format', { type: 'string', describe: 'image format: oci or docker' })
      .option('iidfile', { type: 'string', describe: 'write the image ID to the file' })
      .option('quiet', { type: 'boolean', alias: 'q', describe: 'print only the image ID' })
      .option('label', { ...list, describe: 'set a label on the image' })
      .option('annotation', { ...list, describe: 'set a manifest annotation' })
      .option('unsetenv', { ...list, describe: 'remove an environment variable from the image' })
      .option('unsetlabel', { ...list, describe: 'remove a label from the image' })
      .option('env', { ...list, describe: 'set an environment variable in the image' })
      .option('timestamp', { type: 'string', describe: 'set every time in the image to these seconds since the epoch' })
      .option('source-date-epoch', { type: 'string', describe: 'like --timestamp (default $SOURCE_DATE_EPOCH)' })
      .option('omit-history', { type: 'boolean', describe: 'leave the history out of the image' })
      .option('identity-label', { type: 'boolean', describe: "accepted for buildah compatibility (trowel adds no version label)" })
      .option('pull', { type: 'string', describe: 'pull policy: always, missing, never, newer' })
      .option('isolation', { type: 'string', describe: 'RUN isolation: oci, rootless or chroot' })
      .option('network', { type: 'string', alias: 'net', describe: 'RUN network: host, none or private' })
      .option('volume', { ...list, alias: 'v', describe: 'bind mount for RUN steps' })
      .option('secret', { ...list, describe: 'id=ID,src=PATH for RUN --mount=type=secret' })
      .option('ssh', { ...list, describe: 'default|ID[=SOCKET|KEY[,KEY]] for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK)' })
      .option('cap-add', { ...list, describe: 'add a capability to RUN steps' })
      .option('cap-drop', { ...list, describe: 'drop a capability from RUN steps' })
      .option('ulimit', { ...list, describe: 'ulimit for RUN steps (type=soft[:hard])' })
      .option('jobs', { type: 'number', describe: 'stages (and platforms) built at once (default: number of CPUs for stages, 1 for platforms)' })
      .option('skip-unused-stages', { type: 'boolean', describe: 'skip stages the target does not need (default true)' })
      .option('rm', { type: 'boolean', describe: 'remove working containers after a successful build (default true)' })
      .option('force-rm', { type: 'boolean', describe: 'remove working containers even when the build fails (default true)' })
      .option('ignorefile', { type: 'string', describe: 'the ignore file to use' })
      .option('logfile', { type: 'string', describe: 'write build output to this file' })
      .option('logsplit', { type: 'boolean', describe: 'with --logfile: each platform\'s output to LOGFILE_OS_ARCH' })
      .option('disable-compression', { type: 'boolean', alias: 'D', describe: 'keep local layers uncompressed (default true)' })
      .option('from', { type: 'string', describe: 'image name used instead of the first FROM\'s' })
      .option('build-context', { ...list, describe: 'NAME=DIR, NAME=URL (a tarball) or NAME=container-image://REF: a context FROM, COPY --from and RUN --mount from= may name' })
      .option('cpp-flag', { ...list, describe: 'flag for cpp, which preprocesses Containerfiles named *.in' })
      .option('shm-size', { type: 'string', describe: 'size of /dev/shm for RUN steps (default 64m)' })
      .option('stdin', { type: 'boolean', describe: 'RUN steps read this standard input' })
      .option('no-hosts', { type: 'boolean', describe: 'do not create /etc/hosts for RUN steps' })
      .option('security-opt', { ...list, describe: 'no-new-privileges or seccomp=unconfined for RUN steps' })
      .option('http-proxy', { type: 'boolean', describe: 'pass the proxy variables of this environment to RUN steps (default true)' })
      .option('device', { ...list, describe: 'HOST[:CONTAINER[:PERMISSIONS]] device for RUN steps' })
      .option('dns', { ...list, describe: 'name server for RUN steps (none: leave the image\'s resolv.conf)' })
      .option('dns-search', { ...list, describe: 'search domain for RUN steps (.: none)' })
      .option('dns-option', { ...list, describe: 'resolv.conf option for RUN steps' })
      .option('os-version', { type: 'string', describe: 'operating system version the image needs' })
      .option('os-feature', { ...list, describe: 'operating system feature the image needs (FEATURE- removes it)' })
      .option('compress', { type: 'boolean', describe: 'accepted for compatibility: the context is read in place, never sent' })
      .option('disable-content-trust', { type: 'boolean', describe: 'accepted for compatibility (a Docker option; no effect)' })
      .option('runtime', { type: 'string', describe: 'accepted for compatibility: trowel runs RUN steps with its own helper' })
      .option('runtime-flag', { ...list, describe: 'accepted for compatibility: trowel has no OCI runtime to pass flags to' })
      .option('cache-from', { ...list, describe: 'with --layers: a registry repository to pull cached steps from (tags are cache keys)' })
      .option('cache-to', { ...list, describe: 'with --layers: a registry repository to push each built step to' })
      .option('cache-ttl', { type: 'string', describe: 'with --layers: reuse only cached steps made less than this long ago (Go duration; 0 disables the cache)' })
      .option('output', { type: 'string', alias: 'o', describe: 'also write the image file system: type=local,dest=DIR, type=tar,dest=FILE, or - (a tar on stdout)' })
      .option('add-host', { ...list, describe: 'host:ip added to /etc/hosts in RUN steps' })
      .option('pid', { type: 'string', describe: "PID namespace for RUN steps: 'private' (the default) or 'host'" })
      .option('ipc', { type: 'string', describe: "IPC namespace for RUN steps: 'private' (the default) or 'host'" })
      .option('uts', { type: 'string', describe: "UTS namespace for RUN steps: 'private' (the default) or 'host'" })
      .option('userns', { type: 'string', describe: 'user namespace for RUN: host (default) or container' })
      .option('userns-uid-map', { ...list, describe: 'containerUID:hostUID:length for --userns=container' })
      .option('userns-gid-map', { ...list, describe: 'containerGID:hostGID:length for --userns=container' })
      .option('userns-uid-map-user', { type: 'string', describe: 'take the uid map from this name\'s /etc/subuid ranges' })
      .option('userns-gid-map-group', { type: 'string', describe: 'take the gid map from this name\'s /etc/subgid ranges' })
      .option('platform', { ...list, describe: 'os/arch[/variant] to build for (repeatable or comma-separated: one image each)' })
      .option('os', { type: 'string', describe: 'operating system to build for (default: the host\'s)' })
      .option('arch', { type: 'string', describe: 'architecture to build for (default: the host\'s)' })
      .option('variant', { type: 'string', describe: 'architecture variant to build for (e.g. v7, v8)' })
      .option('all-platforms', { type: 'boolean', describe: 'build for every platform the base images are available for' })
      .option('manifest', { type: 'string', describe: 'add the image(s) to this manifest list (created if missing)' });
    for (const f of NOT_YET) b = b.option(f, { type: 'string', hidden: true });
    return registryFlags(b) as never;
  },
  handler: async (args) => {
    for (const f of NOT_YET) {
      if (args[f] !== undefined) throw new NotImplementedError(`trowel bud --${f}`);
    }
    const userns = resolveUsernsFlags({
      ...(args.userns !== undefined ? { userns: args.userns } : {}),
      uidMaps: args['userns-uid-map'],
      gidMaps: args['userns-gid-map'],
      ...(args['userns-uid-map-user'] !== undefined ? { uidMapUser: args['userns-uid-map-user'] } : {}),
      ...(args['userns-gid-map-group'] !== undefined ? { gidMapGroup: args['userns-gid-map-group'] } : {}),
    });
    // Bad namespace values and devices fail before anything is built.
    hostNamespacesOf({ pid: args.pid, ipc: args.ipc, uts: args.uts });
    for (const d of args.device) parseDevice(d);
    const platforms = targetPlatforms({
      platforms: args.platform ?? [],
      ...(args.os !== undefined ? { os: args.os } : {}),
      ...(args.arch !== undefined ? { arch: args.arch } : {}),
      ...(args.variant !== undefined ? { variant: args.variant } : {}),
    });
    const allPlatforms = !!args['all-platforms'];
    if (allPlatforms && platforms.length > 0) throw new InvalidArgumentError('build image: --all-platforms cannot be used with --platform, --os, --arch or --variant');
    if (args.manifest !== undefined && args.manifest.trim() === '') throw new InvalidArgumentError('build image: --manifest needs a list name');
    const context = args.context ?? '.';
    if (context === '-' && args.file.includes('-')) throw new InvalidArgumentError('build image: stdin cannot be both the context (-) and the Containerfile (-f -)');
    const output = args.output !== undefined ? parseOutputSpec(args.output) : undefined;
    const secretSources = parseSecrets(args.secret);
    const store = openStore(args);
    const timestamp = parseTimestamp(args.timestamp ?? args['source-date-epoch'] ?? process.env.SOURCE_DATE_EPOCH);
    if (args.logsplit && !args.logfile) throw new InvalidArgumentError('build image: --logsplit needs --logfile');
    let log: WriteStream | undefined;
    if (args.logfile) log = createWriteStream(args.logfile);
    const platformLogs: WriteStream[] = [];
    const progressFor = args.logsplit && args.logfile
      ? (p: Platform) => {
        const stream = createWriteStream(`${args.logfile}_${p.os}_${p.architecture}`);
        platformLogs.push(stream);
        return (line: string) => void stream.write(line + '\n');
      }
      : undefined;
    // With the tar on stdout (--output -), stdout carries nothing else: progress goes to stderr.
    const tarOnStdout = output?.dest === '-';
    const write = (line: string) => {
      if (log) log.write(line + '\n');
      else if (!args.quiet) (tarOnStdout ? process.stderr : process.stdout).write(line + '\n');
    };
    const controller = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => controller.abort(`received ${sig}`);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const options: PlatformsBuildOptions = {
      platforms,
      allPlatforms,
      ...(progressFor ? { progressFor } : {}),
      ...(args.manifest !== undefined ? { manifest: args.manifest } : {}),
      ...(args.iidfile ? { singleImageFlag: `--iidfile ${args.iidfile}` } : args.output !== undefined ? { singleImageFlag: `--output ${args.output}` } : {}),
      onImage: (image) => (tarOnStdout ? process.stderr.write(image.imageId + '\n') : out(image.imageId)),
      // As buildah: --jobs also bounds how many platforms build at once (one unless given).
      ...(args.jobs !== undefined ? { platformJobs: args.jobs } : {}),
      contextDir: context,
      containerfiles: [],
      tags: args.tag,
      buildArgs: parseBuildArgs(args['build-arg'], args['build-arg-file']),
      ...(args.target !== undefined ? { target: args.target } : {}),
      ...(args['skip-unused-stages'] === false ? { skipUnusedStages: false } : {}),
      layers: args.layers ?? layersDefault(),
      noCache: !!args['no-cache'],
      squash: !!args.squash,
      format: manifestFormat(args.format),
      labels: args.label,
      annotations: args.annotation,
      unsetEnv: args.unsetenv,
      unsetLabels: args.unsetlabel,
      env: args.env,
      ...(timestamp !== undefined ? { timestamp } : {}),
      omitHistory: !!args['omit-history'],
      pull: parsePull(args.pull),
      ...(args.isolation !== undefined ? { isolation: args.isolation } : {}),
      ...(args.network !== undefined ? { network: args.network } : {}),
      volumes: args.volume,
      secrets: {},
      ssh: Object.fromEntries(args.ssh.map((v) => parseSshSpec(v)).map(({ id, paths }) => [id, paths])),
      ...(userns ? { userns } : {}),
      capAdd: args['cap-add'],
      capDrop: args['cap-drop'],
      ulimits: args.ulimit,
      addHosts: args['add-host'],
      noHosts: args['no-hosts'] ?? false,
      runStdin: !!args.stdin,
      cppFlags: args['cpp-flag'],
      ...(args['shm-size'] !== undefined ? { shmSize: parseShmSize(args['shm-size']) } : {}),
      ...dnsOption(args),
      ...securityOpts(args['security-opt']),
      httpProxy: args['http-proxy'] ?? true,
      devices: args.device,
      ...(args.from !== undefined ? { from: args.from } : {}),
      ...(args['os-version'] !== undefined ? { osVersion: args['os-version'] } : {}),
      osFeatures: args['os-feature'],
      ...(args.pid !== undefined ? { pid: args.pid } : {}),
      ...(args.ipc !== undefined ? { ipc: args.ipc } : {}),
      ...(args.uts !== undefined ? { uts: args.uts } : {}),
      registryAccess: registryAccessFromFlags(args),
      ...remoteCacheFlags(args['cache-from'], args['cache-to'], args['cache-ttl']),
      ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
      rm: args.rm ?? true,
      forceRm: args['force-rm'] ?? true,
      ...(args.ignorefile !== undefined ? { ignoreFile: args.ignorefile } : {}),
      driver: resolveStorageDriver({ storageDriver: args['storage-driver'], storageOpts: args['storage-opt'] ?? [] }),
      progress: write,
      warn: (m) => process.stderr.write(`WARN[0000] ${m}\n`),
      signal: controller.signal,
    };
    let fetched: TemporaryContext | undefined;
    let named: NamedContexts | undefined;
    let secrets: ReturnType<typeof secretFiles> | undefined;
    try {
      // Flags are checked above, before anything is downloaded or read from stdin.
      fetched = await temporaryContext(context, store.tmpDir, controller.signal);
      if (fetched) options.contextDir = fetched.contextDir;
      if (args['build-context'].length > 0) {
        named = await prepareNamedContexts(args['build-context'], store.tmpDir, controller.signal);
        options.namedContexts = named.contexts;
      }
      options.containerfiles = await containerfileInputs(args.file, controller.signal);
      secrets = secretFiles(secretSources, store.tmpDir);
      options.secrets = secrets.files;
      // Each image's id is printed as its build ends (onImage), as buildah does.
      const { images } = await buildPlatforms(store, options);
      const only = images.length === 1 ? images[0]!.imageId : undefined;
      if (output && only) await exportFilesystem(store, only, output);
      if (args.iidfile && only) writeFileSync(args.iidfile, `sha256:${only}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log?.end();
      platformLogs.forEach((s) => s.end());
      fetched?.remove();
      named?.remove();
      secrets?.remove();
    }
  },
};
export default cmd;
