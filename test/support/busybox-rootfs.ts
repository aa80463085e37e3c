/**
 * A small real root filesystem for tests: /bin/busybox from busybox-static with a symlink per
 * applet (like `busybox --install -s`), /etc/passwd and /etc/group with root, a `tester` user
 * (1000:1000, also in group `extra` 1001) and nobody, and the usual empty directories.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The host busybox the fixture copies (busybox-static, so it needs no libraries). */
export const HOST_BUSYBOX = '/bin/busybox';

let appletCache: string[] | undefined;

/** Applet paths busybox installs, e.g. `/bin/sh`, `/usr/bin/id`. */
export function busyboxApplets(): string[] {
  appletCache ??= execFileSync(HOST_BUSYBOX, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.length > 0);
  return appletCache;
}

/**
 * Writes a busybox root into `dir` (created when missing) and returns `dir`. Directories are
 * 0755 and files world-readable, so an unprivileged user can use it as an overlay lower dir.
 */
export function writeBusyboxRootfs(dir: string): string {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/tester', 'var']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(HOST_BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const applet of busyboxApplets()) {
    const rel = applet.replace(/^\/+/, '');
    if (rel === 'bin/busybox') continue;
    const depth = rel.split('/').length - 1;
    try {
      symlinkSync('../'.repeat(depth) + 'bin/busybox', join(dir, rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntester:x:1000:\nextra:x:1001:tester\nnogroup:x:65534:\n');
  return dir;
}

/** A fresh busybox root in a new temporary directory (the caller removes it). */
export function makeBusyboxRootfs(prefix = 'trowel-busybox-'): string {
  const parent = mkdtempSync(join(tmpdir(), prefix));
  return writeBusyboxRootfs(join(parent, 'rootfs'));
}
