/**
 * The binding to the fs addon (native/addon/fsops.c): synchronous xattr, mknod and mount calls
 * Node lacks. This is the only file that loads the addon. Every call throws a Node-style error
 * (an Error with `code` such as 'EPERM' or 'ENOENT', `errno`, `syscall` and `path`) on failure,
 * exactly like `fs.*Sync`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrowelError } from '../oci/error.js';

/** The shape of the compiled addon's exports. */
interface FsOpsAddon {
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lsetxattr(path: string, name: string, value: Buffer, flags: number): void;
  lremovexattr(path: string, name: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
}

/** A Node-style system error as thrown by the addon (and by node:fs). */
export interface SystemError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** True when `err` is a system error (has a string `code`) and, if codes are given, has one of them. */
export function isErrnoError(err: unknown, ...codes: string[]): err is SystemError {
  if (!(err instanceof Error) || typeof (err as SystemError).code !== 'string') return false;
  return codes.length === 0 || codes.includes((err as SystemError).code);
}

/**
 * The package root: the nearest ancestor of this file holding trowel's package.json. Found by
 * walking up so the addon is located the same way from native/ (ts sources) and dist/native/.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name"\s*:\s*"trowel"/.test(readFileSync(pkg, 'utf8'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('fsops: package root of trowel not found');
    dir = parent;
  }
}

let addon: FsOpsAddon | undefined;

function load(): FsOpsAddon {
  if (addon) return addon;
  const file = join(packageRoot(), 'native', 'addon', 'build', 'fsops.node');
  if (!existsSync(file)) {
    throw new TrowelError('NATIVE_ADDON_MISSING', `load native addon: ${file} is missing; run "npm run build"`);
  }
  addon = createRequire(import.meta.url)(file) as FsOpsAddon;
  return addon;
}

/** Flags of lsetxattr(2). */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** Flags of mount(2) used by trowel. */
export const MountFlags = {
  MS_RDONLY: 1,
  MS_NOSUID: 2,
  MS_NODEV: 4,
  MS_NOEXEC: 8,
  MS_REMOUNT: 32,
  MS_BIND: 4096,
  MS_MOVE: 8192,
  MS_REC: 16384,
  MS_PRIVATE: 1 << 18,
  MS_SLAVE: 1 << 19,
  MS_SHARED: 1 << 20,
} as const;

/** Flags of umount2(2). */
export const UmountFlags = { MNT_FORCE: 1, MNT_DETACH: 2, MNT_EXPIRE: 4, UMOUNT_NOFOLLOW: 8 } as const;

/** File type bits for mknod's mode (from <sys/stat.h>). */
export const FileType = { S_IFIFO: 0o010000, S_IFCHR: 0o020000, S_IFBLK: 0o060000 } as const;

/** The value of extended attribute `name` of `path` (not following a final symlink), or null if it is not set. */
export function lgetxattr(path: string, name: string): Buffer | null {
  return load().lgetxattr(path, name);
}

/** The names of all extended attributes of `path` (not following a final symlink), in the kernel's order. */
export function llistxattr(path: string): string[] {
  return load().llistxattr(path);
}

/** Sets extended attribute `name` of `path` to the bytes of `value` (not following a final symlink). */
export function lsetxattr(path: string, name: string, value: Buffer | Uint8Array | string, flags = 0): void {
  load().lsetxattr(path, name, Buffer.isBuffer(value) ? value : Buffer.from(value), flags);
}

/** Removes extended attribute `name` of `path`; throws ENODATA if it is not set. */
export function lremovexattr(path: string, name: string): void {
  load().lremovexattr(path, name);
}

/** Creates a device node or fifo; `mode` holds the type bits (FileType) and the permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  load().mknod(path, mode, major, minor);
}

/** mount(2). `source`, `fstype` and `data` may be null, as for bind mounts and remounts. */
export function mount(source: string | null, target: string, fstype: string | null, flags = 0, data: string | null = null): void {
  load().mount(source, target, fstype, flags, data);
}

/** umount2(2) with UmountFlags. */
export function umount2(target: string, flags = 0): void {
  load().umount2(target, flags);
}
