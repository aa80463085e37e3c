/**
 * The /etc/hosts, /etc/resolv.conf and /etc/hostname a RUN sees. They are generated into a
 * per-run directory on the host and bind-mounted over the container's paths, so they never
 * end up in the upper dir or a layer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../oci/error.js';
import { join } from 'node:path';
import type { ContainerMount } from '../../native/runner.js';
import { readLayeredFile, type LayerDirs } from './layered-file.js';

/** Addresses slirp4netns gives a private network (its defaults). */
export const SLIRP = { containerIp: '10.0.2.100', hostIp: '10.0.2.2', dns: '10.0.2.3' } as const;

/** What the generated files depend on. */
export interface EtcFilesInput {
  hostname: string;
  network: 'host' | 'none' | 'private';
  layers: LayerDirs;
  /** The host's resolv.conf text (default: read /etc/resolv.conf). */
  hostResolvConf?: string;
  /** Extra `--add-host` entries, `name:ip`. */
  addHosts?: string[];
  /** `--dns`, `--dns-search`, `--dns-option`. */
  dns?: DnsSettings;
}

/**
 * `--dns` name servers (`none`: no generated resolv.conf, the image's own stays), `--dns-search`
 * domains (`.`: none) and `--dns-option` options; each given list replaces the host's lines.
 */
export interface DnsSettings {
  servers: string[];
  search: string[];
  options: string[];
}

/** Checks `--dns*` values. @throws InvalidArgumentError naming the flag and value */
export function parseDnsSettings(flags: { servers?: readonly string[]; search?: readonly string[]; options?: readonly string[] }): DnsSettings | undefined {
  const split = (v: readonly string[] | undefined) => (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  const servers = split(flags.servers);
  const search = split(flags.search);
  const options = split(flags.options);
  for (const s of servers) {
    if (s !== 'none' && isIP(s) === 0) throw new InvalidArgumentError(`parse --dns ${JSON.stringify(s)}: not an IP address`);
  }
  if (servers.includes('none') && servers.length > 1) throw new InvalidArgumentError('parse --dns: none cannot be given with name servers');
  for (const d of search) {
    if (d !== '.' && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(d)) throw new InvalidArgumentError(`parse --dns-search ${JSON.stringify(d)}: not a domain name`);
  }
  for (const o of options) {
    if (/\s/.test(o)) throw new InvalidArgumentError(`parse --dns-option ${JSON.stringify(o)}: options have no spaces`);
  }
  return servers.length + search.length + options.length > 0 ? { servers, search, options } : undefined;
}

/** The image's /etc/hosts (or localhost lines) plus the container's own name and the host's. */
export function hostsFile(input: EtcFilesInput): string {
  let base = readLayeredFile(input.layers, '/etc/hosts') ?? '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  if (!base.endsWith('\n')) base += '\n';
  const extra: string[] = [];
  for (const h of input.addHosts ?? []) {
    const i = h.indexOf(':');
    extra.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  if (input.network === 'private') {
    extra.push(`${SLIRP.hostIp}\thost.containers.internal`);
    extra.push(`${SLIRP.containerIp}\t${input.hostname}`);
  } else {
    extra.push(`127.0.1.1\t${input.hostname}`);
  }
  return base + extra.join('\n') + '\n';
}

/**
 * The host's resolv.conf; on a private network, loopback name servers (systemd-resolved,
 * dnsmasq) are unreachable, so slirp4netns's forwarder replaces them.
 */
export function resolvConf(input: EtcFilesInput): string | undefined {
  const dns = input.dns;
  if (dns?.servers.includes('none')) return undefined;
  let text = input.hostResolvConf;
  if (text === undefined) {
    try {
      text = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      text = '';
    }
  }
  let lines = text.split('\n');
  if (dns) {
    const replace = (re: RegExp, given: string[], line: string[]) => {
      if (given.length === 0) return;
      lines = [...line, ...lines.filter((l) => !re.test(l))];
    };
    replace(/^\s*options\s/, dns.options, [`options ${dns.options.join(' ')}`]);
    replace(/^\s*(search|domain)\s/, dns.search, dns.search.includes('.') ? [] : [`search ${dns.search.join(' ')}`]);
    replace(/^\s*nameserver\s/, dns.servers, dns.servers.map((s) => `nameserver ${s}`));
  }
  if (input.network === 'private' && !(dns && dns.servers.length > 0)) {
    const kept = lines.filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
    const hasServer = kept.some((l) => /^\s*nameserver\s/.test(l));
    lines = hasServer ? kept : [`nameserver ${SLIRP.dns}`, ...kept];
  }
  const out = lines.join('\n').replace(/\n*$/, '\n');
  return out === '\n' ? '' : out;
}

/**
 * Writes hosts, resolv.conf and hostname into `dir` and returns the bind mounts for them,
 * skipping any path the user mounts something on already.
 */
export function etcFileMounts(dir: string, input: EtcFilesInput, taken: Set<string>): ContainerMount[] {
  const files: Array<[string, string | undefined]> = [
    ['/etc/hosts', hostsFile(input)],
    ['/etc/resolv.conf', resolvConf(input)],
    ['/etc/hostname', `${input.hostname}\n`],
  ];
  const mounts: ContainerMount[] = [];
  for (const [target, text] of files) {
    if (taken.has(target) || text === undefined) continue;
    const source = join(dir, target.slice('/etc/'.length));
    writeFileSync(source, text, { mode: 0o644 });
    mounts.push({ type: 'bind', source, target, file: true });
  }
  return mounts;
}
