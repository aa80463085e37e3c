import type { CommandModule } from 'yargs';
import { parseDnsSettings, type DnsSettings } from '../builder/run/etc-files.js';
import { parseShmSize } from '../builder/run/mount-options.js';
import type { RunDefaults } from '../storage/records.js';
import { recordHistory, runHistory, wantsHistory } from '../builder/history-entries.js';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { findContainer } from '../storage/lookup.js';
import { runInWorkingContainer } from '../builder/run/run-step.js';
import { storeRunContext, storeRunTarget } from '../builder/run/store-target.js';
import { resolveStorageDriver } from '../builder/run/storage-driver.js';
import { InvalidArgumentError } from '../oci/error.js';
import { checkRunSettings, runSettingFlags, securityOpts, withRunDefaults, type RunSettingArgs } from './run-settings.js';

interface Args extends GlobalArgs, RunSettingArgs {
  container: string;
  command: string[];
  'add-history'?: boolean;
  env: string[];
  hostname?: string;
  mount: string[];
  terminal?: boolean;
  user?: string;
  workingdir?: string;
  contextdir?: string;
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

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'run <container> [command..]',
  describe: 'Run a command inside of the container',
  builder: (y) =>
    runSettingFlags(y)
      .positional('container', { type: 'string', describe: 'working container name or id' })
      .positional('command', { type: 'string', array: true, default: [], describe: 'command and arguments (after --)' })
      .option('add-history', { type: 'boolean', describe: 'record the command in the image history (default $TROWEL_HISTORY, $BUILDAH_HISTORY, else false)' })
      .option('contextdir', { type: 'string', describe: 'context directory that relative --mount sources are taken from' })
      .option('no-pivot', { type: 'boolean', describe: 'accepted for compatibility: trowel always pivots into the root' })
      .option('runtime', { type: 'string', describe: 'accepted for compatibility: trowel runs commands with its own helper' })
      .option('runtime-flag', { ...list, describe: 'accepted for compatibility: trowel has no OCI runtime to pass flags to' })
      .option('no-hosts', { type: 'boolean', describe: 'do not create /etc/hosts in the container' })
      .option('no-hostname', { type: 'boolean', describe: 'do not create /etc/hostname in the container' })
      .option('env', { ...list, alias: 'e', describe: 'add environment variable to be set temporarily when running command (default [])' })
      .option('hostname', { type: 'string', describe: 'set the hostname inside of the container' })
      .option('mount', { ...list, describe: 'attach a filesystem mount to the container (type=bind|tmpfs|cache,…)' })
      .option('terminal', { type: 'boolean', alias: ['t', 'tty'], describe: 'allocate a pseudo-TTY in the container' })
      .option('user', { type: 'string', describe: 'user[:group] to run the command as' })
      .option('workingdir', { type: 'string', describe: 'temporarily set working directory for command' }) as never,
  handler: async (args) => {
    // Bad values fail before the store is opened.
    checkRunSettings(args);
    const argv = commandOf(args);
    if (argv.length === 0) throw new InvalidArgumentError(`run container ${args.container}: missing command`);
    const history = wantsHistory(args['add-history']);
    const store = openStore(args);
    let c = findContainer(store.containers(), args.container);
    // What `from` was given applies unless this run says otherwise.
    args = withRunDefaults(args, c.runDefaults);
    // Only a container a killed commit left half-done needs the commit code (kept off start-up).
    if (c.pendingLayer) c = await (await import('../builder/commit.js')).finishPendingCommit(store, c);
    const driver = resolveStorageDriver({ storageDriver: args['storage-driver'], storageOpts: args['storage-opt'] ?? [] });
    let target = storeRunTarget(store, c);
    let ctx = storeRunContext(store, driver);
    // from --userns-uid-map: the run's root is an unprivileged host id (builder/run/mapped-stack.ts).
    const mapped = c.runDefaults?.userns
      ? await (await import('../builder/run/mapped-stack.js')).prepareMappedRun(store.root, target, ctx, c.runDefaults.userns)
      : undefined;
    if (mapped) ({ target, ctx } = mapped);
    let outcome;
    try {
      outcome = await runInWorkingContainer(
        target,
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
          ...dnsDefaults(c.runDefaults),
          httpProxy: c.runDefaults?.httpProxy ?? true,
          ...(c.runDefaults?.shmSize !== undefined ? { shmSize: parseShmSize(c.runDefaults.shmSize) } : {}),
          noHostname: args['no-hostname'] ?? false,
          ...securityOpts(args['security-opt']),
        },
        ctx,
      );
    } finally {
      await mapped?.release();
    }
    if (outcome.exitCode !== 0) {
      // buildah reports a failed command like this and exits with its status.
      process.stderr.write(`Error: exit status ${outcome.exitCode}\n`);
      process.exitCode = outcome.exitCode;
    } else if (history) {
      await recordHistory(store, c.id, [runHistory(c.config.config?.Shell, argv)]);
    }
  },
};
/** The `--dns*` settings `from` kept for the container's runs. */
function dnsDefaults(d: RunDefaults | undefined): { dns?: DnsSettings } {
  const dns = d ? parseDnsSettings({ servers: d.dns ?? [], search: d.dnsSearch ?? [], options: d.dnsOptions ?? [] }) : undefined;
  return dns ? { dns } : {};
}

export default cmd;
