import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { EXTRA_CA_CERTS_ENV } from '../config/host-environment.js';

/** What a connection trusts, as the `ca` option of `tls.connect` (undefined: Node's default store). */
export type TrustedCertificates = Array<string | Buffer> | undefined;

/** What `registrySecureContext` needs: the registry's certificates and whether it is insecure. */
export interface RegistryTls {
  ca?: Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecure?: boolean;
  /** Where to look for the system's CA bundle (default SYSTEM_ROOT_BUNDLES). */
  systemBundles?: string[];
}

/**
 * One TLS context for every connection to a registry, or undefined when Node's default one
 * does (no system bundle, nothing to add, no client certificate). Built once: a `ca` list given to each
 * connection instead would be parsed again, roots and all, on every connect.
 * Throws (with OpenSSL's reason) when a certificate or key cannot be read.
 */
export function registrySecureContext(tls: RegistryTls, env: NodeJS.ProcessEnv = process.env,
  warn?: (line: string) => void): SecureContext | undefined {
  const ca = trustedCertificates({
    ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.insecure ? { insecure: true } : {}), ...(tls.systemBundles ? { systemBundles: tls.systemBundles } : {}),
  }, env, warn);
  if (!ca && !tls.cert) return undefined;
  return createSecureContext({ ...(ca ? { ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) });
}

/**
 * The certificates a TLS connection to a registry trusts, as containers/image chooses them:
 * - `insecure`: none at all. Nothing is verified, so not even a root store is loaded;
 * - otherwise the system's roots (see `systemRootsFile`; Node's bundled roots on a system
 *   without a bundle), plus the extra CA file handed over by the launcher (what Node itself
 *   would have trusted), plus `ca` (the registry's certs.d directory or `--cert-dir`);
 * - undefined when there is nothing but Node's bundled roots: Node's default store, as it stands.
 * An unreadable extra CA file is skipped with one warning per process, as Node skips it.
 */
export function trustedCertificates(opts: { ca?: Array<string | Buffer>; insecure?: boolean; systemBundles?: string[] },
  env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = warnOnStderr): TrustedCertificates {
  if (opts.insecure) return [];
  const systemFile = systemRootsFile(env, opts.systemBundles);
  const system = systemFile ? bytesOf(readOnce(systemFile)) : undefined;
  // NODE_EXTRA_CA_CERTS often names the system bundle itself: once is enough.
  const extra = env[EXTRA_CA_CERTS_ENV] === systemFile && system ? undefined : extraCertificates(env, warn);
  const dirs = certDirCertificates(env);
  if (!system && !extra && !opts.ca && dirs.length === 0) return undefined;
  return [...(system ? [system] : rootCertificates), ...dirs, ...(extra ? [extra] : []), ...(opts.ca ?? [])];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates in the directories `SSL_CERT_DIR` lists (colon-separated), added to the
 * roots as Go adds them: every file's PEM certificates, other files and unreadable ones
 * skipped. Go also reads /etc/ssl/certs when the variable is unset; its certificates are the
 * ones the system bundle holds, so that directory is not read again here.
 */
function certDirCertificates(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.SSL_CERT_DIR ?? '').split(':').filter(Boolean);
  const out: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const bytes = bytesOf(readOnce(join(dir, name)));
      if (bytes) out.push(...(bytes.toString('latin1').match(PEM_CERTIFICATE) ?? []));
    }
  }
  return out;
}

/**
 * Where the system keeps its CA bundle, as Go (and so buildah) looks for it: `SSL_CERT_FILE`,
 * else the first of the distributions' usual places that exists.
 */
export const SYSTEM_ROOT_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7
  '/etc/ssl/cert.pem', // Alpine
];

/** The system's CA bundle file, or undefined when there is none (see SYSTEM_ROOT_BUNDLES). */
export function systemRootsFile(env: NodeJS.ProcessEnv = process.env, candidates = SYSTEM_ROOT_BUNDLES): string | undefined {
  if (env.SSL_CERT_FILE) return env.SSL_CERT_FILE;
  return candidates.find((f) => existsSync(f));
}

/** A certificate file as read once per process: its bytes, or why it could not be read. */
type FileRead = { bytes: Buffer } | { failure: string };

const files = new Map<string, FileRead>();

/** Reads `file` the first time it is asked for; `first` says whether this call read it. */
function readOnce(file: string): FileRead & { first: boolean } {
  const known = files.get(file);
  if (known) return { ...known, first: false };
  let read: FileRead;
  try {
    read = { bytes: readFileSync(file) };
  } catch (err) {
    read = { failure: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  files.set(file, read);
  return { ...read, first: true };
}

function bytesOf(read: FileRead | undefined): Buffer | undefined {
  return read && 'bytes' in read ? read.bytes : undefined;
}

function warnOnStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The handed-over extra CA file's bytes, or undefined when there is none or it cannot be read (warned once). */
function extraCertificates(env: NodeJS.ProcessEnv, warn: (line: string) => void): Buffer | undefined {
  const file = env[EXTRA_CA_CERTS_ENV];
  if (!file) return undefined;
  const read = readOnce(file);
  if ('failure' in read && read.first) warn(`Warning: ignoring extra certificates from ${file}: ${read.failure}`);
  return bytesOf(read);
}
