/**
 * An unprivileged user with sub-id ranges, for rootless tests. `ensureRootlessUser` (as root)
 * creates it idempotently: the account, one 65536-id range in /etc/subuid and /etc/subgid that
 * overlaps no other user's, and /dev/fuse mode 0666 as distributions ship it.
 * `reexecAsRootlessUser` lets a test file run its own tests as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The test user's name. */
export const ROOTLESS_USER = 'trowel-rootless';

/** One line of /etc/subuid or /etc/subgid. */
export interface SubIdRange {
  user: string;
  start: number;
  count: number;
}

function readRanges(file: string): SubIdRange[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3)
    .map(([user, start, count]) => ({ user: user!, start: Number(start), count: Number(count) }));
}

function ensureRange(file: string, user: string, uid: number): SubIdRange {
  const ranges = readRanges(file);
  const mine = ranges.find((r) => r.user === user || r.user === String(uid));
  if (mine) return mine;
  const end = ranges.reduce((m, r) => Math.max(m, r.start + r.count), 100000);
  const start = Math.max(end, 300000);
  appendFileSync(file, `${user}:${start}:65536\n`);
  return { user, start, count: 65536 };
}

/** The created user: its ids and sub-id ranges. */
export interface RootlessUser {
  name: string;
  uid: number;
  gid: number;
  subuid: SubIdRange;
  subgid: SubIdRange;
}

/** Creates (once) the unprivileged test user with sub-id ranges; must run as root. */
export function ensureRootlessUser(): RootlessUser {
  if (process.getuid?.() !== 0) throw new Error('ensureRootlessUser: must run as root');
  const exists = spawnSync('id', ['-u', ROOTLESS_USER]).status === 0;
  if (!exists) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', ROOTLESS_USER]);
  const uid = Number(execFileSync('id', ['-u', ROOTLESS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', ROOTLESS_USER], { encoding: 'utf8' }).trim());
  const subuid = ensureRange('/etc/subuid', ROOTLESS_USER, uid);
  const subgid = ensureRange('/etc/subgid', ROOTLESS_USER, uid);
  // Distributions ship both world-usable; rootless fuse-overlayfs and slirp4netns need them.
  if (existsSync('/dev/fuse')) chmodSync('/dev/fuse', 0o666);
  if (existsSync('/dev/net/tun')) chmodSync('/dev/net/tun', 0o666);
  return { name: ROOTLESS_USER, uid, gid, subuid, subgid };
}

/** A second unprivileged user that has no sub-id ranges at all (for the error path). */
export const NO_SUBIDS_USER = 'trowel-nosubids';

/** Creates (once) NO_SUBIDS_USER and makes sure neither sub-id file names it; must run as root. */
export function ensureUserWithoutSubIds(): { name: string; uid: number } {
  if (process.getuid?.() !== 0) throw new Error('ensureUserWithoutSubIds: must run as root');
  // A system account: useradd gives ordinary accounts sub-id ranges on its own (login.defs).
  if (spawnSync('id', ['-u', NO_SUBIDS_USER]).status !== 0) execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/sh', NO_SUBIDS_USER]);
  const uid = Number(execFileSync('id', ['-u', NO_SUBIDS_USER], { encoding: 'utf8' }).trim());
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const mine = readRanges(f).filter((r) => r.user === NO_SUBIDS_USER || r.user === String(uid));
    for (const r of mine) execFileSync('usermod', [f.endsWith('subuid') ? '--del-subuids' : '--del-subgids', `${r.start}-${r.start + r.count - 1}`, NO_SUBIDS_USER]);
  }
  return { name: NO_SUBIDS_USER, uid };
}

/**
 * When running as root, runs this test file again as the rootless user (stdio passed through)
 * and exits with its status, so the uvu summary is the unprivileged run's. Returns only when
 * already unprivileged. Call at the top of a rootless test file with `import.meta.url`.
 */
export function reexecAsRootlessUser(testFileUrl: string): void {
  if (process.getuid?.() !== 0) return;
  const user = ensureRootlessUser();
  const file = fileURLToPath(testFileUrl);
  const r = spawnSync('runuser', ['-u', user.name, '--', process.execPath, file], {
    stdio: 'inherit',
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${user.name}`, LANG: 'C.UTF-8' },
  });
  process.exit(r.status ?? 1);
}
