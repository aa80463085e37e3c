import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** The machine and tool versions a set of figures belongs to. */
export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  kernel: string;
  cpu: string;
  node: string;
  buildah: string;
  trowel: string;
  /** 1, 5 and 15 minute load averages when the figures were taken: other work skews them. */
  load: string;
}

function firstLine(file: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}

/** Collects what docs/BENCHMARKS.md states about the machine. `repo` is trowel's checkout. */
export function describeMachine(repo: string): MachineInfo {
  const version = firstLine(process.execPath, ['-p', `require(${JSON.stringify(repo + '/package.json')}).version`]);
  // -dirty: the figures are of a working tree with changes not yet committed.
  const commit = firstLine('git', ['describe', '--always', '--dirty'], repo);
  return {
    nproc: Number(firstLine('nproc', [])) || cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    buildah: firstLine('buildah', ['--version']),
    trowel: `${version} (commit ${commit})`,
    load: loadavg().map((l) => l.toFixed(2)).join(', '),
  };
}
