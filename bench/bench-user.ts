import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchSetupError } from './errors.js';

/** The unprivileged account rootless scenarios run as. */
export interface BenchUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export const BENCH_USER = 'trowel-bench';

function lookup(name: string): BenchUser | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(name + ':'));
  if (!line) return undefined;
  const [, , uid, gid, , home] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? `/home/${name}` };
}

function hasRange(file: string, name: string): boolean {
  try {
    return readFileSync(file, 'utf8').split('\n').some((l) => l.startsWith(name + ':'));
  } catch {
    return false;
  }
}

/**
 * Returns the bench user, creating it (with a home directory) and its /etc/subuid and
 * /etc/subgid ranges when missing. Idempotent; needs root the first time.
 */
export function ensureBenchUser(): BenchUser {
  try {
    if (!lookup(BENCH_USER)) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', BENCH_USER], { stdio: 'pipe' });
    // useradd gives sub-id ranges on current Debian; older ones do not.
    const add: string[] = [];
    if (!hasRange('/etc/subuid', BENCH_USER)) add.push('--add-subuids', '3000000-3065535');
    if (!hasRange('/etc/subgid', BENCH_USER)) add.push('--add-subgids', '3000000-3065535');
    if (add.length) execFileSync('usermod', [...add, BENCH_USER], { stdio: 'pipe' });
  } catch (err) {
    throw new BenchSetupError(`create user ${BENCH_USER}: ${(err as Error).message.split('\n')[0]}`);
  }
  const user = lookup(BENCH_USER);
  if (!user) throw new BenchSetupError(`create user ${BENCH_USER}: not in /etc/passwd after useradd`);
  return user;
}

/**
 * argv that runs `argv` as `user` with a clean environment (setpriv keeps the same pid, so
 * GNU time's figures are the command's own).
 */
export function asUser(user: BenchUser, runtimeDir: string, argv: readonly string[]): string[] {
  return [
    'setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups',
    'env', '-i', `HOME=${user.home}`, `USER=${user.name}`, `LOGNAME=${user.name}`,
    'PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin', `XDG_RUNTIME_DIR=${runtimeDir}`, 'LC_ALL=C',
    ...argv,
  ];
}
