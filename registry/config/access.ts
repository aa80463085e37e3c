import { InvalidArgumentError } from '../../oci/error.js';
import type { Credentials } from '../distribution/credentials.js';
import type { TlsOptions } from '../distribution/session.js';
import { findCredentials } from './auth-file.js';
import { tlsForHost } from './cert-dir.js';
import { findRegistryEntry, type RegistriesConf } from './registries-conf.js';

/** What the user said about reaching registries (buildah's flags), all optional. */
export interface RegistryAccessOptions {
  /** `--authfile`. */
  authFile?: string;
  /** `--creds user[:password]`: used instead of any stored credentials. */
  creds?: string;
  /** `--tls-verify`; undefined means registries.conf decides (insecure = false unless listed). */
  tlsVerify?: boolean;
  /** `--cert-dir`, instead of /etc/containers/certs.d/<host>/. */
  certDir?: string;
  /** Loaded registries.conf (for `insecure`). */
  registriesConf?: RegistriesConf;
  /** Base directories searched for `<host>/` certificate directories (default containers' and Docker's). */
  systemCertDirs?: string[];
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** How to reach one registry: the settings a RegistryClient takes. */
export interface RegistryAccess {
  credentials?: Credentials;
  insecure: boolean;
  tls: TlsOptions;
}

/** Splits `--creds user:password` at the first colon. The password is never echoed in errors. */
export function parseCreds(creds: string): Credentials {
  const colon = creds.indexOf(':');
  const username = colon < 0 ? creds : creds.slice(0, colon);
  if (username === '') throw new InvalidArgumentError('parse --creds: user name is empty (expected USERNAME[:PASSWORD])');
  return { username, password: colon < 0 ? '' : creds.slice(colon + 1) };
}

/**
 * Settles credentials, TLS trust and insecurity for `host` (and `repository`, for
 * namespace-scoped credentials): `--creds` over auth files and helpers; `--tls-verify` over
 * registries.conf's `insecure`; `--cert-dir` over the system certificate directories.
 */
export async function registryAccess(host: string, repository: string | undefined, opts: RegistryAccessOptions = {}): Promise<RegistryAccess> {
  let credentials: Credentials | undefined;
  if (opts.creds !== undefined) credentials = parseCreds(opts.creds);
  else {
    const found = await findCredentials(host, repository, {
      ...(opts.authFile ? { authFile: opts.authFile } : {}), ...(opts.env ? { env: opts.env } : {}), ...(opts.home ? { home: opts.home } : {}),
    });
    credentials = found?.credentials;
  }
  let insecure: boolean;
  if (opts.tlsVerify !== undefined) insecure = !opts.tlsVerify;
  else insecure = opts.registriesConf ? findRegistryEntry(opts.registriesConf, repository ? `${host}/${repository}` : host)?.insecure ?? false : false;
  const tls = tlsForHost(host, { ...(opts.certDir ? { certDir: opts.certDir } : {}), ...(opts.systemCertDirs ? { systemDirs: opts.systemCertDirs } : {}) });
  return { ...(credentials ? { credentials } : {}), insecure, tls };
}
