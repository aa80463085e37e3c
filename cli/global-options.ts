import type { Argv } from 'yargs';

/** Flags every command accepts, with buildah's names. */
export interface GlobalArgs {
  root?: string;
  runroot?: string;
  'storage-driver'?: string;
  'storage-opt'?: string[];
  'log-level': string;
}

export function globalOptions(y: Argv): Argv<GlobalArgs> {
  return y
    .option('root', { type: 'string', describe: 'storage root directory (default /var/lib/trowel, or $XDG_DATA_HOME/trowel rootless)', global: true })
    .option('runroot', { type: 'string', describe: 'storage state directory', global: true })
    .option('storage-driver', { type: 'string', describe: 'storage driver: overlay or vfs', global: true })
    .option('storage-opt', { type: 'string', array: true, describe: 'storage driver option (e.g. overlay.mount_program=/usr/bin/fuse-overlayfs)', global: true })
    .option('log-level', { type: 'string', default: 'warn', choices: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'], describe: 'logging level', global: true }) as Argv<GlobalArgs>;
}
