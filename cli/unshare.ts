import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { unshareCommand } from '../builder/run/user-namespace.js';
import { hostProgramEnvironment } from '../registry/config/host-environment.js';
import { InvalidArgumentError } from '../oci/error.js';

/** `--mount [NAME=]CONTAINER`: the container is mounted and NAME (else its name) holds the path. */
export interface UnshareMount {
  variable: string;
  container: string;
}

/** What follows `unshare`: the containers to mount and the command with its own flags. */
export interface UnshareCommandLine {
  mounts: UnshareMount[];
  command: string[];
  /** The trowel flags before `unshare` (`--root`, `--storage-driver`…), for the mounts. */
  globalFlags: string[];
}

function parseMount(value: string): UnshareMount {
  const eq = value.indexOf('=');
  const mount = eq < 0 ? { variable: value, container: value } : { variable: value.slice(0, eq), container: value.slice(eq + 1) };
  if (mount.variable === '' || mount.container === '') throw new InvalidArgumentError(`parse unshare --mount ${JSON.stringify(value)}: want [NAME=]CONTAINER`);
  return mount;
}

/**
 * The words after `unshare` on the command line: its own flags, then the command, whose flags
 * are its own (`trowel unshare sh -c …`), as in buildah. Read from the raw argv because the
 * command's options must not be parsed as trowel's.
 */
export function unshareCommandLine(raw: string[]): UnshareCommandLine {
  const at = raw.indexOf('unshare');
  const rest = at < 0 ? [] : raw.slice(at + 1);
  const mounts: UnshareMount[] = [];
  while (rest.length > 0 && rest[0]!.startsWith('-')) {
    const flag = rest.shift()!;
    if (flag === '--') break;
    if (flag === '--mount' || flag === '-m') {
      const value = rest.shift();
      if (value === undefined) throw new InvalidArgumentError(`parse unshare flag ${flag}: missing [NAME=]CONTAINER`);
      mounts.push(parseMount(value));
    } else if (flag.startsWith('--mount=')) {
      mounts.push(parseMount(flag.slice('--mount='.length)));
    } else {
      throw new InvalidArgumentError(`parse unshare flag ${flag}: unknown flag`);
    }
  }
  return { mounts, command: rest, globalFlags: at < 0 ? [] : raw.slice(0, at) };
}

/** A word for sh, quoted so it is read back exactly. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that, inside the namespace, mounts each container with this trowel, runs
 * `command` with the mount points in its environment, and unmounts them whatever happened
 * (exit status: the command's; 125 when a mount fails).
 */
export function mountingCommand(line: UnshareCommandLine, self: string[], command: string[]): string[] {
  const trowel = [...self, ...line.globalFlags].map(shellQuote).join(' ');
  const unmount = line.mounts.map((m) => `${trowel} umount ${shellQuote(m.container)}`).join('; ');
  const script = [
    `cleanup() { (${unmount}) >/dev/null 2>&1; }`,
    'trap cleanup EXIT',
    ...line.mounts.map((m, i) => `m${i}=$(${trowel} mount ${shellQuote(m.container)}) || exit 125`),
    `env ${line.mounts.map((m, i) => `${shellQuote(`${m.variable}=`)}"$m${i}"`).join(' ')} "$@"`,
    's=$?',
    'exit $s',
  ].join('\n');
  return ['/bin/sh', '-c', script, 'sh', ...command];
}

const cmd: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'unshare [command..]',
  describe: 'Run a command in a modified user namespace',
  builder: (y) =>
    y
      .parserConfiguration({ 'halt-at-non-option': true, 'unknown-options-as-args': true })
      .strict(false)
      .positional('command', { type: 'string', array: true, describe: 'command to run (default: $SHELL)' })
      .option('mount', { type: 'string', array: true, alias: 'm', describe: '[NAME=]CONTAINER: mount the working container, its path in $NAME (default: the container name)' }) as never,
  handler: async () => {
    const line = unshareCommandLine(process.argv.slice(2));
    const env = hostProgramEnvironment();
    const command = line.command.length > 0 ? line.command : [env.SHELL || '/bin/sh'];
    const argv = line.mounts.length > 0 ? mountingCommand(line, [process.execPath, process.argv[1]!], command) : line.command;
    process.exitCode = await unshareCommand(argv, { env });
  },
};
export default cmd;
