import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Credentials } from '../distribution/credentials.js';
import { credentialsFromHelper, eraseFromHelper, storeInHelper } from './credential-helper.js';
import { NotLoggedInError, RegistryConfigError } from './errors.js';

/** The parts of auth.json / Docker's config.json trowel reads and writes. Other keys are kept. */
export interface AuthFileContent {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

export interface AuthFileOptions {
  /** `--authfile`: the only file read and the one written. */
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Home directory (default os.homedir()). */
  home?: string;
}

/**
 * The file `login` writes and `logout` edits: `--authfile`, else $REGISTRY_AUTH_FILE, else
 * `${XDG_RUNTIME_DIR}/containers/auth.json` (as podman and buildah: `/run/containers/<uid>/auth.json`
 * when XDG_RUNTIME_DIR is unset).
 */
export function defaultAuthFile(opts: AuthFileOptions = {}): string {
  const env = opts.env ?? process.env;
  if (opts.authFile) return opts.authFile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return join('/run/containers', String(process.getuid?.() ?? 0), 'auth.json');
}

/**
 * Files searched for credentials, in order: the login file, then containers' and Docker's
 * per-user files, then Docker's legacy `~/.dockercfg`.
 */
export function authFileSearchPath(opts: AuthFileOptions = {}): string[] {
  if (opts.authFile) return [opts.authFile];
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const docker = env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json');
  return [...new Set([defaultAuthFile(opts), join(configHome, 'containers', 'auth.json'), docker, join(home, LEGACY_DOCKERCFG)])];
}

const LEGACY_DOCKERCFG = '.dockercfg';

/** Docker's legacy file holds the `auths` map at its top level. */
function asModern(file: string, content: AuthFileContent): AuthFileContent {
  if (!file.endsWith(`/${LEGACY_DOCKERCFG}`)) return content;
  return { auths: content as NonNullable<AuthFileContent['auths']> };
}

/** Reads an auth file; a missing file is empty, a malformed one an error naming it. */
export function readAuthFile(file: string): AuthFileContent {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new RegistryConfigError(`read auth file ${file}: ${(err as Error).message}`, file);
  }
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as AuthFileContent;
  } catch (err) {
    throw new RegistryConfigError(`read auth file ${file}: ${(err as Error).message}`, file);
  }
}

/** Writes an auth file atomically with mode 0600 (its directory 0700 when created). */
export function writeAuthFile(file: string, content: AuthFileContent): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(content, null, '\t') + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    throw new RegistryConfigError(`write auth file ${file}: ${(err as Error).message}`, file);
  }
}

/**
 * Normalizes an auths key: Docker writes `https://index.docker.io/v1/` and `http://host`;
 * containers/image writes `host` or `host/namespace`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  if (/^[^/]+\/v[12]\/?$/.test(k)) k = k.slice(0, k.indexOf('/'));
  k = k.replace(/\/+$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return 'docker.io';
  return k;
}

/** Keys to try for `host/repository`, most specific first: `host/a/b`, `host/a`, `host`. */
export function authKeyCandidates(host: string, repository?: string): string[] {
  const out: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) out.push(`${host}/${parts.slice(0, n).join('/')}`);
  }
  out.push(host);
  return out;
}

function decodeEntry(entry: NonNullable<AuthFileContent['auths']>[string], file: string, key: string): Credentials {
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new RegistryConfigError(`read auth file ${file}: entry ${JSON.stringify(key)} is not base64 of user:password`, file);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined) return { username: entry.username, password: entry.password ?? '' };
  return {};
}

/** Where credentials were found, for `login --get-login` and messages. */
export interface FoundCredentials {
  credentials: Credentials;
  file: string;
  /** The auths key or helper that matched. */
  source: string;
}

/**
 * Looks up credentials for `host` (and optionally `repository`, for namespace-scoped entries)
 * through the search path: per-registry credential helpers, then `auths` entries (most specific
 * key first), then the file's `credsStore`. Undefined when nothing matches.
 */
export async function findCredentials(host: string, repository: string | undefined, opts: AuthFileOptions = {}): Promise<FoundCredentials | undefined> {
  for (const file of authFileSearchPath(opts)) {
    const content = asModern(file, readAuthFile(file));
    const helper = content.credHelpers?.[host];
    if (helper) {
      const c = await credentialsFromHelper(helper, host, opts.env);
      if (c) return { credentials: c, file, source: `docker-credential-${helper}` };
      continue;
    }
    const auths = content.auths ?? {};
    const byKey = new Map(Object.entries(auths).map(([k, v]) => [normalizeAuthKey(k), { key: k, v }]));
    for (const candidate of authKeyCandidates(host, repository)) {
      const hit = byKey.get(candidate);
      if (hit) {
        const c = decodeEntry(hit.v, file, hit.key);
        if (c.username !== undefined || c.identityToken) return { credentials: c, file, source: hit.key };
      }
    }
    if (content.credsStore) {
      const c = await credentialsFromHelper(content.credsStore, host, opts.env);
      if (c) return { credentials: c, file, source: `docker-credential-${content.credsStore}` };
    }
  }
  return undefined;
}

/** The credential helper the login file names for `host` (`credHelpers`, else `credsStore`). */
function helperFor(content: AuthFileContent, host: string): string | undefined {
  return content.credHelpers?.[host] ?? content.credsStore;
}

/**
 * Stores `user:password` for `key` (a host or host/namespace): in the credential helper the
 * login file names for that host, else in the login file's `auths`. Returns where it went
 * (a file path or `docker-credential-<name>`).
 */
export async function storeCredentials(key: string, username: string, password: string, opts: AuthFileOptions = {}): Promise<string> {
  const file = defaultAuthFile(opts);
  const content = readAuthFile(file);
  const k = normalizeAuthKey(key);
  // Helpers are keyed by host; namespace-scoped logins can only live in the file.
  const helper = k.includes('/') ? undefined : helperFor(content, k);
  if (helper) {
    await storeInHelper(helper, k, username, password, opts.env);
    return `docker-credential-${helper}`;
  }
  content.auths ??= {};
  content.auths[k] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeAuthFile(file, content);
  return file;
}

/**
 * Removes the credentials for `key` from the login file and from its credential helper (or
 * every `auths` entry with `all`). Throws NotLoggedInError when there were none; says so when
 * they live in another file (Docker's) instead.
 */
export async function removeCredentials(key: string | undefined, opts: AuthFileOptions & { all?: boolean } = {}): Promise<string> {
  const file = defaultAuthFile(opts);
  const content = readAuthFile(file);
  if (opts.all) {
    content.auths = {};
    writeAuthFile(file, content);
    return file;
  }
  const want = normalizeAuthKey(key ?? '');
  const helper = want.includes('/') ? undefined : helperFor(content, want);
  const erased = helper ? await eraseFromHelper(helper, want, opts.env) : false;
  const found = Object.keys(content.auths ?? {}).filter((k) => normalizeAuthKey(k) === want);
  if (found.length === 0) {
    if (erased) return `docker-credential-${helper}`;
    const elsewhere = authFileSearchPath(opts).slice(1).find((f) => Object.keys(asModern(f, readAuthFile(f)).auths ?? {}).some((k) => normalizeAuthKey(k) === want));
    if (elsewhere) throw new NotLoggedInError(`log out of ${want}: not logged in with this tool; the credentials are in ${elsewhere}`);
    throw new NotLoggedInError(`log out of ${want}: not logged in`);
  }
  for (const k of found) delete content.auths![k];
  writeAuthFile(file, content);
  return file;
}
