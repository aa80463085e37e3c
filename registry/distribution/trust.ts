import { readFileSync } from 'node:fs';
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
}

/**
 * One TLS context for every connection to a registry, or undefined when Node's default one
 * does (nothing to add, no client certificate). Built once: a `ca` list given to each
 * connection instead would be parsed again, roots and all, on every connect.
 * Throws (with OpenSSL's reason) when a certificate or key cannot be read.
 */
export function registrySecureContext(tls: RegistryTls, env: NodeJS.ProcessEnv = process.env,
  warn?: (line: string) => void): SecureContext | undefined {
  const ca = trustedCertificates({ ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.insecure ? { insecure: true } : {}) }, env, warn);
  if (!ca && !tls.cert) return undefined;
  return createSecureContext({ ...(ca ? { ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) });
}

/**
 * The certificates a TLS connection to a registry trusts, as containers/image chooses them:
 * - `insecure`: none at all. Nothing is verified, so not even the root store is loaded;
 * - otherwise the default roots, plus the extra CA file handed over by the launcher (what Node
 *   itself would have trusted), plus `ca` (the registry's certs.d directory or `--cert-dir`);
 * - undefined when there is nothing to add: Node's default store, as it stands.
 * An unreadable extra CA file is skipped with one warning per process, as Node skips it.
 */
export function trustedCertificates(opts: { ca?: Array<string | Buffer>; insecure?: boolean }, env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = warnOnStderr): TrustedCertificates {
  if (opts.insecure) return [];
  const extra = extraCertificates(env, warn);
  if (!extra && !opts.ca) return undefined;
  return [...rootCertificates, ...(extra ? [extra] : []), ...(opts.ca ?? [])];
}

function warnOnStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Each extra CA file as read once per process: its bytes, or why it could not be read. */
const extraFiles = new Map<string, { bytes: Buffer } | { failure: string }>();

/** The handed-over extra CA file's bytes, or undefined when there is none or it cannot be read. */
function extraCertificates(env: NodeJS.ProcessEnv, warn: (line: string) => void): Buffer | undefined {
  const file = env[EXTRA_CA_CERTS_ENV];
  if (!file) return undefined;
  let read = extraFiles.get(file);
  if (!read) {
    try {
      read = { bytes: readFileSync(file) };
    } catch (err) {
      read = { failure: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
      warn(`Warning: ignoring extra certificates from ${file}: ${read.failure}`);
    }
    extraFiles.set(file, read);
  }
  return 'bytes' in read ? read.bytes : undefined;
}
