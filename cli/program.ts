import type { Argv, CommandModule } from 'yargs';
import { TrowelError } from '../oci/error.js';
import { globalOptions, type GlobalArgs } from './global-options.js';
import { fastParse } from './fast-parse.js';

/** Commands by name, loaded lazily. `describe` is here so `--help` needs no imports. */
const COMMANDS: Record<string, { describe: string; load: () => Promise<CommandModule<GlobalArgs, any>>; aliases?: string[] }> = {
  from: { describe: 'Create a working container based on an image', load: async () => (await import('./from.js')).default },
  containers: { describe: 'List working containers and their base images', load: async () => (await import('./containers.js')).default },
  mount: { describe: "Mount a working container's root filesystem", load: async () => (await import('./mount.js')).default },
  umount: { describe: 'Unmount the root file system of working containers', load: async () => (await import('./umount.js')).default, aliases: ['unmount'] },
  rm: { describe: 'Remove one or more working containers', load: async () => (await import('./rm.js')).default, aliases: ['delete'] },
  rename: { describe: 'Rename a working container', load: async () => (await import('./rename.js')).default },
  config: { describe: 'Update image configuration settings', load: async () => (await import('./config.js')).default },
  commit: { describe: 'Create an image from a working container', load: async () => (await import('./commit.js')).default },
  images: { describe: 'List images in local storage', load: async () => (await import('./images.js')).default, aliases: ['list-images'] },
  inspect: { describe: 'Inspect the configuration of a container or image', load: async () => (await import('./inspect.js')).default },
  tag: { describe: 'Add an additional name to a local image', load: async () => (await import('./tag.js')).default },
  rmi: { describe: 'Remove one or more images from local storage', load: async () => (await import('./rmi.js')).default },
  copy: { describe: 'Copy content into a working container', load: async () => (await import('./copy.js')).default },
  add: { describe: 'Add content to a working container, extracting local archives', load: async () => (await import('./add.js')).default },
  push: { describe: 'Push an image to a specified destination', load: async () => (await import('./push.js')).default },
  manifest: { describe: 'Manipulate manifest lists', load: async () => (await import('./manifest.js')).default },
  pull: { describe: 'Pull an image from the specified location', load: async () => (await import('./pull.js')).default },
  info: { describe: 'Display trowel system information', load: async () => (await import('./info.js')).default },
  version: { describe: 'Display the trowel version information', load: async () => (await import('./version.js')).default },
  login: { describe: 'Login to a container registry', load: async () => (await import('./login.js')).default },
  logout: { describe: 'Logout of a container registry', load: async () => (await import('./logout.js')).default },
  bud: { describe: 'Build an image using instructions in a Containerfile', load: async () => (await import('./bud.js')).default, aliases: ['build', 'build-using-dockerfile'] },
  run: { describe: 'Run a command inside of the container', load: async () => (await import('./run.js')).default },
  unshare: { describe: 'Run a command in a modified user namespace', load: async () => (await import('./unshare.js')).default },
};

/** Global flags that take a value in the next argument (when not written `--flag=value`). */
const GLOBAL_VALUE_FLAGS = new Set(['--root', '--runroot', '--storage-driver', '--storage-opt', '--log-level']);

/** The first argument that is neither a flag nor a global flag's value. */
function firstPositional(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (GLOBAL_VALUE_FLAGS.has(a)) i++;
  }
  return undefined;
}

function findCommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (GLOBAL_VALUE_FLAGS.has(a)) i++;
      continue;
    }
    for (const [name, c] of Object.entries(COMMANDS)) {
      if (name === a || c.aliases?.includes(a)) return name;
    }
    return undefined;
  }
  return undefined;
}

/** Prints a one-line error (stack only at --log-level debug) and sets the exit status. */
export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof TrowelError) {
    process.stderr.write(`Error: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string' && !debug) {
    // System errors (ENOSPC, EACCES…) are the user's environment, not a bug: one line.
    process.stderr.write(`Error: ${e.message}\n`);
    return 125;
  }
  process.stderr.write(`Error: ${(e as Error)?.stack ?? String(err)}\n`);
  return 125;
}

/** Commands that work without the rootless user namespace (no store, or they make it themselves). */
const OUTSIDE_USER_NAMESPACE = new Set(['version', 'login', 'logout', 'unshare', 'info']);

export async function runCli(argv: string[]): Promise<void> {
  const debug = argv.some((a, i) => (a === '--log-level=debug') || (a === '--log-level' && argv[i + 1] === 'debug') || a === '--debug');
  const name = findCommand(argv);
  // Rootless: re-run this trowel inside the user's namespace (sub-ids mapped), like buildah.
  if (name && !OUTSIDE_USER_NAMESPACE.has(name) && !argv.includes('--help') && process.geteuid?.() !== 0 && !process.env._TROWEL_ROOTLESS_UID) {
    try {
      process.exitCode = await (await import('../builder/run/user-namespace.js')).reenterUserNamespace();
    } catch (err) {
      process.exitCode = reportError(err, debug);
    }
    return;
  }
  const wantsHelpEarly = argv.includes('--help') || argv.includes('-h');
  if (name && !wantsHelpEarly) {
    // The usual case: one command with flags yargs would read the same way. Skips loading
    // yargs altogether; anything unusual (and every usage error) goes through yargs below.
    const mod = await COMMANDS[name]!.load();
    const parsed = fastParse(mod, globalOptions as never, argv, firstPositional(argv)!);
    if (parsed) {
      try {
        await mod.handler(parsed as never);
      } catch (err) {
        process.exitCode = reportError(err, debug);
      }
      return;
    }
  }
  const { default: yargs } = await import('yargs');
  let y: Argv<GlobalArgs> = globalOptions(yargs(argv))
    .scriptName('trowel')
    .parserConfiguration({ 'greedy-arrays': false, 'boolean-negation': false, 'camel-case-expansion': false })
    .strict()
    .demandCommand(1, 'missing command: see trowel --help')
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new TrowelError('INVALID_ARGUMENT', msg ?? 'invalid arguments');
    });
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const firstWord = firstPositional(argv);
  if (!name && firstWord !== undefined) {
    process.exitCode = reportError(new TrowelError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(firstWord)} for "trowel"`), debug);
    return;
  }
  if (name && !wantsHelp) {
    // Start-up is on every command's clock: only the command being run is set up.
    const c = COMMANDS[name]!;
    y = y.command({ ...(await c.load()), aliases: c.aliases ?? [] });
  } else {
    y = y.recommendCommands().wrap(Math.min(120, process.stdout.columns || 100));
    for (const [n, c] of Object.entries(COMMANDS)) {
      if (n === name) y = y.command({ ...(await c.load()), aliases: c.aliases ?? [] });
      else y = y.command(n, c.describe);
    }
  }
  try {
    await y.parseAsync();
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}
