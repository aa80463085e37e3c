import { execute } from './process.js';

/**
 * Whether `trowel <command>` exists: `--help` must exit 0 and print that command's own
 * usage. yargs prints the global usage (and exits 0) for a command it does not know, so the
 * exit status alone proves nothing.
 */
export async function trowelHasCommand(exe: readonly string[], command: string): Promise<boolean> {
  const [file, ...rest] = exe;
  if (!file) return false;
  const r = await execute({ argv: [file, ...rest, command, '--help'], timeoutMs: 30_000 }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return false;
  const usage = r.stdout.split('\n')[0] ?? '';
  return new RegExp(`^trowel (\\S+ )?${command}\\b`).test(usage);
}

/** Memoised probes for one bench run: the answer cannot change while it runs. */
export class TrowelFeatures {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(private readonly exe: readonly string[]) {}

  has(command: string): Promise<boolean> {
    let p = this.known.get(command);
    if (!p) {
      p = trowelHasCommand(this.exe, command);
      this.known.set(command, p);
    }
    return p;
  }

  /** The commands in `commands` trowel does not have yet, once each, in the order given. */
  async missing(commands: readonly string[]): Promise<string[]> {
    const unique = [...new Set(commands)];
    const flags = await Promise.all(unique.map((c) => this.has(c)));
    return unique.filter((_, i) => !flags[i]);
  }
}
