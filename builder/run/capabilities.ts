/**
 * Linux capabilities by name, and the set a RUN gets: buildah's default (containers.conf
 * default_capabilities) changed by `--cap-add` and `--cap-drop` (`ALL` allowed in both).
 */
import { InvalidArgumentError } from '../../oci/error.js';

/** Capability numbers from linux/capability.h, indexed by name without the CAP_ prefix. */
export const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13,
  IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19,
  SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25,
  SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37,
  PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

/** buildah's default set (the same as Podman's containers.conf default_capabilities). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/** `net_admin`, `CAP_NET_ADMIN` and `NET_ADMIN` all become `CAP_NET_ADMIN`. */
export function normalizeCapability(name: string, flag: string): string {
  const upper = name.trim().toUpperCase();
  const bare = upper.startsWith('CAP_') ? upper.slice(4) : upper;
  if (!(bare in CAPABILITY_NUMBERS)) throw new InvalidArgumentError(`parse ${flag} ${JSON.stringify(name)}: unknown capability`);
  return `CAP_${bare}`;
}

/**
 * The effective set: defaults, minus `drop`, plus `add`, as buildah applies them (drop ALL then
 * add some gives only those). Returns sorted names.
 */
export function effectiveCapabilities(add: string[] = [], drop: string[] = [], base: readonly string[] = DEFAULT_CAPABILITIES): string[] {
  const all = Object.keys(CAPABILITY_NUMBERS).map((n) => `CAP_${n}`);
  let set = new Set(base);
  for (const d of drop) {
    if (d.toUpperCase() === 'ALL') set = new Set();
    else set.delete(normalizeCapability(d, '--cap-drop'));
  }
  for (const a of add) {
    if (a.toUpperCase() === 'ALL') all.forEach((c) => set.add(c));
    else set.add(normalizeCapability(a, '--cap-add'));
  }
  return [...set].sort();
}

/** Capability numbers for names from effectiveCapabilities. */
export function capabilityNumbers(names: string[]): number[] {
  return names.map((n) => CAPABILITY_NUMBERS[n.replace(/^CAP_/, '')]!).sort((a, b) => a - b);
}
