import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { unshareCommand } from '../builder/run/user-namespace.js';
import { hostProgramEnvironment } from '../registry/config/host-environment.js';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';

/**
 * The words after `unshare` on the command line: its own flags, then the command, whose flags
 * are its own (`trowel unshare sh -c …`), as in buildah. Read from the raw argv because the
 * command's options must not be parsed as trowel's.
 */
export function unshareCommandLine(raw: string[]): string[] {
  const at = raw.indexOf('unshare');
  const rest = at < 0 ? [] : raw.slice(at + 1);
  while (rest.length > 0 && rest[0]!.startsWith('-')) {
    const flag = rest.shift()!;
    if (flag === '--') break;
    if (flag === '--mount' || flag === '-m' || flag.startsWith('--mount=')) throw new NotImplementedError('trowel unshare --mount');
    throw new InvalidArgumentError(`parse unshare flag ${flag}: unknown flag`);
  }
  return rest;
}

const cmd: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'unshare [command..]',
  describe: 'Run a command in a modified user namespace',
  builder: (y) =>
    y
      .parserConfiguration({ 'halt-at-non-option': true, 'unknown-options-as-args': true })
      .strict(false)
      .positional('command', { type: 'string', array: true, describe: 'command to run (default: $SHELL)' })
      .option('mount', { type: 'string', array: true, alias: 'm', describe: 'mount the specified working containers (not supported yet)' }) as never,
  handler: async () => {
    process.exitCode = await unshareCommand(unshareCommandLine(process.argv.slice(2)), { env: hostProgramEnvironment() });
  },
};
export default cmd;
