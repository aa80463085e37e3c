import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsOptions } from '../distribution/session.js';
import { RegistryConfigError } from './errors.js';

/** Where per-registry certificates live when `--cert-dir` is not given (containers' and Docker's). */
export const SYSTEM_CERT_DIRS = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/**
 * Reads a certificate directory laid out as containers/image expects: `*.crt` are CA
 * certificates to trust, `name.cert` + `name.key` a client certificate. A missing directory
 * yields nothing; a `.cert` without its `.key` (or the reverse) is an error naming the file.
 */
export function readCertDir(dir: string): TlsOptions {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return {};
    throw new RegistryConfigError(`read certificate directory ${dir}: ${(err as Error).message}`, dir);
  }
  const tls: TlsOptions = {};
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (err) {
      throw new RegistryConfigError(`read certificate ${join(dir, name)}: ${(err as Error).message}`, join(dir, name));
    }
  };
  for (const name of names) {
    if (name.endsWith('.crt')) (tls.ca ??= []).push(read(name));
    else if (name.endsWith('.cert')) {
      const key = `${name.slice(0, -5)}.key`;
      if (!names.includes(key)) throw new RegistryConfigError(`read certificate ${join(dir, name)}: missing key ${key}`, join(dir, name));
      tls.cert = read(name);
      tls.key = read(key);
    } else if (name.endsWith('.key')) {
      const cert = `${name.slice(0, -4)}.cert`;
      if (!names.includes(cert)) throw new RegistryConfigError(`read certificate ${join(dir, name)}: missing certificate ${cert}`, join(dir, name));
    }
  }
  return tls;
}

/**
 * TLS settings for a registry host: `certDir` when given (as `--cert-dir` does), else the
 * host's directory under each of `systemDirs`.
 */
export function tlsForHost(host: string, opts: { certDir?: string; systemDirs?: string[] } = {}): TlsOptions {
  if (opts.certDir) return readCertDir(opts.certDir);
  const merged: TlsOptions = {};
  for (const base of opts.systemDirs ?? SYSTEM_CERT_DIRS) {
    const t = readCertDir(join(base, host));
    if (t.ca) (merged.ca ??= []).push(...t.ca);
    if (t.cert && !merged.cert) {
      merged.cert = t.cert;
      if (t.key) merged.key = t.key;
    }
  }
  return merged;
}
