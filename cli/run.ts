import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { findContainer } from '../storage/lookup.js';
import { runInWorkingContainer } from '../builder/run/run-step.js';
import { storeRunContext, storeRunTarget } from '../builder/run/store-target.js';
import { resolveStorageDriver } from '../builder/run/storage-driver.js';
import { hostNamespacesOf } from '../builder/run/namespace-options.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';

interface Args extends GlobalArgs {
  container: string;
  command: string[];
  'add-history'?: boolean;
  'cap-add': string[];
  'cap-drop': string[];
  env: string[];
  hostname?: string;
  isolation?: string;
  mount: string[];
  network?: string;
  'security-opt': string[];
  terminal?: boolean;
  ulimit: string[];
  user?: string;
  volume: string[];
  workingdir?: string;
  'add-host': string[];
  device: string[];
  cgroupns?: string;
  contextdir?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  'no-pivot'?: boolean;
  runtime?: string;
  'runtime-flag': string[];
  'no-hosts'?: boolean;
  'no-hostname'?: boolean;
  _: (string | number)[];
}

const list = { type: 'string', array: true, default: [] as string[] } as const;

/** The command after the container: positionals plus everything after `--`. */
function commandOf(args: Args): string[] {
  const rest = args._.slice(1).map(String); // _[0] is "run"
  return [...args.command, ...rest];
}

function securityOpts(opts: string[]): { noNewPrivileges: boolean; seccomp: boolean } {
  let noNewPrivileges = false;
  let seccomp = true;
  for (const o of opts) {
    if (o === 'no-new-privileges' || o === 'no-new-privileges=true' || o === 'no-new-privileges:true') noNewPrivileges = true;
    else if (o === 'no-new-privileges=false' || o === 'no-new-privileges:false') noNewPrivileges = false;
    else if (o === 'seccomp=unconfined' || o === 'seccomp:unconfined') seccomp = false;
    else if (/^seccomp[=:]/.test(o)) throw new NotImplementedError('seccomp profiles from a file (--security-opt seccomp=FILE)');
    else if (/^(label|apparmor|mask|unmask)[=:]/.test(o)) continue; // accepted for compatibility; not applied
    else throw new InvalidArgumentError(`parse --security-opt ${JSON.stringify(o)}: unknown option`);
  }
  return { noNewPrivileges, seccomp };
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'run <container> [command..]',
  describe: 'Run a command inside of the container',
  builder: (y) =>
    y
      .positional('container', { type: 'string', describe: 'working container name or id' })
      .positional('command', { type: 'string', array: true, default: [], describe: 'command and arguments (after --)' })
      .option('add-history', { type: 'boolean', describe: 'add an entry for this operation to the image history' })
      .option('add-host', { ...list, describe: 'add a custom host-to-IP mapping (host:ip)' })
      .option('cap-add', { ...list, describe: 'add the specified capability' })
      .option('cap-drop', { ...list, describe: 'drop the specified capability' })
      .option('cgroupns', { type: 'string', describe: "'host' or 'private' (accepted: trowel uses no cgroups)" })
      .option('contextdir', { type: 'string', describe: 'context directory that relative --mount sources are taken from' })
      .option('ipc', { type: 'string', describe: "IPC namespace: 'private' (the default) or 'host'" })
      .option('pid', { type: 'string', describe: "PID namespace: 'private' (the default) or 'host'" })
      .option('uts', { type: 'string', describe: "UTS namespace: 'private' (the default) or 'host'" })
      .option('no-pivot', { type: 'boolean', describe: 'accepted for compatibility: trowel always pivots into the root' })
      .option('runtime', { type: 'string', describe: 'accepted for compatibility: trowel runs commands with its own helper' })
      .option('runtime-flag', { ...list, describe: 'accepted for compatibility: trowel has no OCI runtime to pass flags to' })
      .option('device', { ...list, describe: 'additional devices to provide (HOST[:CONTAINER][:PERMS])' })
      .option('no-hosts', { type: 'boolean', describe: 'do not create /etc/hosts in the container' })
      .option('no-hostname', { type: 'boolean', describe: 'do not create /etc/hostname in the container' })
      .option('env', { ...list, alias: 'e', describe: 'add environment variable to be set temporarily when running command (default [])' })
      .option('hostname', { type: 'string', describe: 'set the hostname inside of the container' })
      .option('isolation', { type: 'string', describe: 'which process isolation technology to use: oci, rootless or chroot' })
      .option('mount', { ...list, describe: 'attach a filesystem mount to the container (type=bind|tmpfs|cache,…)' })
      .option('network', { type: 'string', alias: 'net', describe: 'network mode: host, none or private' })
      .option('security-opt', { ...list, describe: 'security options (no-new-privileges)' })
      .option('terminal', { type: 'boolean', alias: ['t', 'tty'], describe: 'allocate a pseudo-TTY in the container' })
      .option('ulimit', { ...list, describe: 'ulimit options (type=soft[:hard])' })
      .option('user', { type: 'string', describe: 'user[:group] to run the command as' })
      .option('volume', { ...list, alias: 'v', describe: 'bind mount a host location into the container while running the command' })
      .option('workingdir', { type: 'string', describe: 'temporarily set working directory for command' }) as never,
  handler: async (args) => {
    // Bad values fail before the store is opened.
    hostNamespacesOf({ pid: args.pid, ipc: args.ipc, uts: args.uts });
    if (args.cgroupns !== undefined && args.cgroupns !== 'host' && args.cgroupns !== 'private') {
      throw new InvalidArgumentError(`parse --cgroupns ${JSON.stringify(args.cgroupns)}: want host or private`);
    }
    const argv = commandOf(args);
    if (argv.length === 0) throw new InvalidArgumentError(`run container ${args.container}: missing command`);
    const store = openStore(args);
    let c = findContainer(store.containers(), args.container);
    // Only a container a killed commit left half-done needs the commit code (kept off start-up).
    if (c.pendingLayer) c = await (await import('../builder/commit.js')).finishPendingCommit(store, c);
    const driver = resolveStorageDriver({ storageDriver: args['storage-driver'], storageOpts: args['storage-opt'] ?? [] });
    const outcome = await runInWorkingContainer(
      storeRunTarget(store, c),
      {
        argv,
        user: args.user,
        workingDir: args.workingdir,
        env: args.env,
        hostname: args.hostname,
        pid: args.pid,
        ipc: args.ipc,
        uts: args.uts,
        network: args.network,
        volumes: args.volume,
        mounts: args.mount,
        capAdd: args['cap-add'],
        capDrop: args['cap-drop'],
        ulimits: args.ulimit,
        tty: args.terminal ?? false,
        isolation: args.isolation,
        addHosts: args['add-host'],
        devices: args.device,
        ...(args.contextdir ? { contextDir: args.contextdir } : {}),
        noHosts: args['no-hosts'] ?? false,
        noHostname: args['no-hostname'] ?? false,
        ...securityOpts(args['security-opt']),
      },
      storeRunContext(store, driver),
    );
    if (outcome.exitCode !== 0) {
      // buildah reports a failed command like this and exits with its status.
      process.stderr.write(`Error: exit status ${outcome.exitCode}\n`);
      process.exitCode = outcome.exitCode;
    }
  },
};
export default cmd;
