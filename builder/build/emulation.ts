/**
 * Whether this machine can run a platform's programs (for RUN steps): natively, or through a
 * binfmt_misc handler such as qemu-user-static registers (`/proc/sys/fs/binfmt_misc/qemu-aarch64`).
 * Without either, a RUN for that platform would die with "exec format error" somewhere inside
 * the step; the build refuses it up front instead, naming what is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TrowelError } from '../../oci/error.js';
import { formatPlatform, hostPlatform, type Platform } from '../../oci/platform.js';

/** Where the kernel lists binfmt_misc handlers. */
export const BINFMT_MISC_DIR = '/proc/sys/fs/binfmt_misc';

/** QEMU's name for an OCI architecture (its user-mode binaries are `qemu-<name>`). */
const QEMU_NAMES: Record<string, string> = {
  amd64: 'x86_64', '386': 'i386', arm64: 'aarch64', arm: 'arm', ppc64le: 'ppc64le', ppc64: 'ppc64',
  s390x: 's390x', riscv64: 'riscv64', mips64le: 'mips64el', mips64: 'mips64', mipsle: 'mipsel', mips: 'mips',
  loong64: 'loongarch64',
};

/**
 * Architectures a host runs without emulation besides its own: a 64-bit x86 kernel runs 32-bit
 * x86, and most arm64 machines run 32-bit arm (as Docker assumes too; on CPUs without AArch32 a
 * RUN then fails with the kernel's "exec format error" instead of this up-front refusal).
 */
const NATIVE_ALSO: Record<string, string[]> = { amd64: ['386'], arm64: ['arm'] };

/** No way to run a platform's programs here. */
export class EmulatorMissingError extends TrowelError {
  constructor(readonly platform: Platform, binfmtDir: string) {
    const host = hostPlatform();
    const qemu = `qemu-${QEMU_NAMES[platform.architecture] ?? platform.architecture}`;
    super('NO_EMULATOR', platform.os !== host.os
      ? `run for ${formatPlatform(platform)}: a ${host.os} machine cannot run ${platform.os} programs`
      : `run for ${formatPlatform(platform)}: this ${formatPlatform(host)} machine needs an emulator for ${platform.architecture} programs, `
        + `and no ${qemu} handler is registered in ${binfmtDir}${existsSync(join(binfmtDir, 'status')) ? '' : ', where binfmt_misc is not even mounted'}; `
        + 'install qemu-user-static with binfmt_misc support to run RUN steps for it');
  }
}

/** Whether the host's CPU and kernel run `p`'s programs themselves. */
export function runsNatively(p: Platform, host: Platform = hostPlatform()): boolean {
  if (p.os !== host.os) return false;
  return p.architecture === host.architecture || (NATIVE_ALSO[host.architecture] ?? []).includes(p.architecture);
}

/** A registered binfmt_misc handler. */
export interface EmulatorHandler {
  /** Its entry's name in binfmt_misc (`qemu-aarch64`). */
  name: string;
  interpreter?: string;
  /**
   * The F (fix-binary) flag: the kernel opened the interpreter at registration, so it works
   * inside a container's root too. Without it the interpreter is looked up in the container.
   */
  fixBinary: boolean;
}

/**
 * The name of an enabled binfmt_misc handler for `p`'s architecture in `dir`, if any: an entry
 * whose name or interpreter is `qemu-<arch>` (optionally with a suffix such as `-static`),
 * as qemu-user-static and tonistiigi/binfmt register them.
 */
export function findEmulator(p: Platform, dir = BINFMT_MISC_DIR): string | undefined {
  return findEmulatorHandler(p, dir)?.name;
}

/** Like {@link findEmulator}, with the handler's interpreter and flags. */
export function findEmulatorHandler(p: Platform, dir = BINFMT_MISC_DIR): EmulatorHandler | undefined {
  const qemu = `qemu-${QEMU_NAMES[p.architecture] ?? p.architecture}`;
  const matches = (name: string) => name === qemu || name.startsWith(`${qemu}-`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined; // binfmt_misc not mounted: nothing is registered
  }
  for (const name of entries) {
    if (name === 'status' || name === 'register') continue;
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    if (lines[0]?.trim() !== 'enabled') continue;
    const interpreter = lines.find((l) => l.startsWith('interpreter '))?.slice('interpreter '.length).trim();
    if (matches(name) || (interpreter !== undefined && matches(basename(interpreter)))) {
      const flags = lines.find((l) => l.startsWith('flags:'))?.slice('flags:'.length).trim() ?? '';
      return { name, ...(interpreter !== undefined ? { interpreter } : {}), fixBinary: flags.includes('F') };
    }
  }
  return undefined;
}

/**
 * Throws EmulatorMissingError unless `p`'s programs can run here; returns the handler that will
 * run them, or `undefined` when they run natively. A platform with no architecture recorded is
 * taken as runnable: there is nothing to check.
 */
export function assertCanRun(p: Platform, dir = BINFMT_MISC_DIR): EmulatorHandler | undefined {
  if (!p.architecture || !p.os || runsNatively(p)) return undefined;
  const handler = p.os === hostPlatform().os ? findEmulatorHandler(p, dir) : undefined;
  if (handler) return handler;
  throw new EmulatorMissingError(p, dir);
}

/**
 * The warning for a handler without the F flag (its interpreter must then be in the image at
 * the same path, which images rarely have), or `undefined` when there is nothing to say.
 */
export function emulatorWarning(p: Platform, handler: EmulatorHandler | undefined): string | undefined {
  if (!handler || handler.fixBinary) return undefined;
  return `RUN for ${formatPlatform(p)}: the binfmt_misc handler ${handler.name} has no F (fix-binary) flag, `
    + `so its interpreter ${handler.interpreter ?? '(unknown)'} must exist at that path inside the image; register it with F as qemu-user-static does`;
}
