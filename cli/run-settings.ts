import type { Argv } from 'yargs';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import type { RunDefaults } from '../storage/records.js';
import { hostNamespacesOf } from '../builder/run/namespace-options.js';

/** The run settings `from` and `run` share (buildah's names). */
export interface RunSettingArgs {
  'add-host': string[];
  'cap-add': string[];
  'cap-drop': string[];
  cgroupns?: string;
  device: string[];
  ipc?: string;
  pid?: string;
  uts?: string;
  isolation?: string;
  network?: string;
  'security-opt': string[];
  ulimit: string[];
  volume: string[];
}

const list = { type: 'string', array: true, default: [] as string[] } as const;

/** Declares the shared run settings on a command. */
export function runSettingFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('add-host', { ...list, describe: 'add a custom host-to-IP mapping (host:ip)' })
    .option('cap-add', { ...list, describe: 'add the specified capability' })
    .option('cap-drop', { ...list, describe: 'drop the specified capability' })
    .option('cgroupns', { type: 'string', describe: "'host' or 'private' (accepted: trowel uses no cgroups)" })
    .option('device', { ...list, describe: 'additional devices to provide (HOST[:CONTAINER][:PERMS])' })
    .option('ipc', { type: 'string', describe: "IPC namespace: 'private' (the default) or 'host'" })
    .option('pid', { type: 'string', describe: "PID namespace: 'private' (the default) or 'host'" })
    .option('uts', { type: 'string', describe: "UTS namespace: 'private' (the default) or 'host'" })
    .option('isolation', { type: 'string', describe: 'which process isolation technology to use: oci, rootless or chroot' })
    .option('network', { type: 'string', alias: 'net', describe: 'network mode: host, none or private' })
    .option('security-opt', { ...list, describe: 'security options (no-new-privileges, seccomp=unconfined)' })
    .option('ulimit', { ...list, describe: 'ulimit options (type=soft[:hard])' })
    .option('volume', { ...list, alias: 'v', describe: 'bind mount a host location into the container while running the command' }) as Argv<T>;
}

/** `--security-opt` values as the helper takes them; unknown ones are refused by name. */
export function securityOpts(opts: string[]): { noNewPrivileges: boolean; seccomp: boolean } {
  let noNewPrivileges = false;
  let seccomp = true;
  for (const o of opts) {
    if (o === 'no-new-privileges' || o === 'no-new-privileges=true' || o === 'no-new-privileges:true') noNewPrivileges = true;
    else if (o === 'no-new-privileges=false' || o === 'no-new-privileges:false') noNewPrivileges = false;
    else if (o === 'seccomp=unconfined' || o === 'seccomp:unconfined') seccomp = false;
    else if (/^seccomp[=:]/.test(o)) throw new NotImplementedError('seccomp profiles from a file (--security-opt seccomp=FILE)');
    else if (/^(label|apparmor|mask|unmask)[=:]/.test(o)) continue; // accepted for compatibility; not applied
    else throw new InvalidArgumentError(`parse --security-opt ${JSON.stringify(o)}: unknown option`);
  }
  return { noNewPrivileges, seccomp };
}

/** Refuses bad single values before anything is touched (lists are checked where they are used). */
export function checkRunSettings(args: RunSettingArgs): void {
  hostNamespacesOf({ pid: args.pid, ipc: args.ipc, uts: args.uts });
  if (args.cgroupns !== undefined && args.cgroupns !== 'host' && args.cgroupns !== 'private') {
    throw new InvalidArgumentError(`parse --cgroupns ${JSON.stringify(args.cgroupns)}: want host or private`);
  }
  securityOpts(args['security-opt']);
}

/** What `from` keeps for later runs: only what was given. */
export function runDefaultsOf(args: RunSettingArgs): RunDefaults {
  const d: RunDefaults = {};
  const lists: Array<[keyof RunDefaults, string[]]> = [
    ['addHosts', args['add-host']], ['capAdd', args['cap-add']], ['capDrop', args['cap-drop']], ['devices', args.device],
    ['securityOpt', args['security-opt']], ['ulimits', args.ulimit], ['volumes', args.volume],
  ];
  for (const [key, values] of lists) if (values.length > 0) (d as Record<string, string[]>)[key] = [...values];
  const singles: Array<[keyof RunDefaults, string | undefined]> = [
    ['cgroupns', args.cgroupns], ['ipc', args.ipc], ['pid', args.pid], ['uts', args.uts], ['isolation', args.isolation], ['network', args.network],
  ];
  for (const [key, value] of singles) if (value !== undefined) (d as Record<string, string>)[key] = value;
  return d;
}

/** A run's settings over the container's defaults: lists add up (defaults first), single values replace. */
export function withRunDefaults<T extends RunSettingArgs>(args: T, d: RunDefaults | undefined): T {
  if (!d) return args;
  return {
    ...args,
    'add-host': [...(d.addHosts ?? []), ...args['add-host']],
    'cap-add': [...(d.capAdd ?? []), ...args['cap-add']],
    'cap-drop': [...(d.capDrop ?? []), ...args['cap-drop']],
    device: [...(d.devices ?? []), ...args.device],
    'security-opt': [...(d.securityOpt ?? []), ...args['security-opt']],
    ulimit: [...(d.ulimits ?? []), ...args.ulimit],
    volume: [...(d.volumes ?? []), ...args.volume],
    cgroupns: args.cgroupns ?? d.cgroupns,
    ipc: args.ipc ?? d.ipc,
    pid: args.pid ?? d.pid,
    uts: args.uts ?? d.uts,
    isolation: args.isolation ?? d.isolation,
    network: args.network ?? d.network,
  };
}
