import { spawn } from 'node:child_process';
import type { Credentials } from '../distribution/credentials.js';
import { hostProgramEnvironment } from './host-environment.js';
import { RegistryConfigError } from './errors.js';

/**
 * Docker credential helpers: `docker-credential-<name>` on PATH, spoken to with one action
 * argument (`get`, `store`, `erase`) and the request on stdin. Secrets travel only over the
 * pipes and never appear in an error.
 */

interface HelperResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, host: string, env: NodeJS.ProcessEnv): Promise<HelperResult> {
  const program = `docker-credential-${helper}`;
  const r = await new Promise<HelperResult & { spawnError?: Error }>((resolve) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], env: hostProgramEnvironment(env) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => resolve({ code: null, stdout: out, stderr: err, spawnError: e }));
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    child.stdin.on('error', () => { /* the helper may exit before reading */ });
    child.stdin.end(input);
  });
  if (r.spawnError) {
    const why = (r.spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : r.spawnError.message;
    throw new RegistryConfigError(`run credential helper ${program} for ${host}: ${why}`);
  }
  return r;
}

function isNotFound(r: HelperResult): boolean {
  return /credentials not found/i.test(r.stdout + r.stderr);
}

function failure(helper: string, action: string, host: string, r: HelperResult): RegistryConfigError {
  const msg = (r.stdout + r.stderr).trim().split('\n')[0];
  return new RegistryConfigError(`run credential helper docker-credential-${helper} ${action} for ${host}: exit status ${r.code}${msg ? `: ${msg}` : ''}`);
}

/**
 * Asks a helper for a registry's credentials: JSON `{ Username, Secret }` on stdout. A helper
 * that knows nothing about the host yields undefined. `<token>` as Username means the secret
 * is an identity token.
 */
export async function credentialsFromHelper(helper: string, host: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const r = await runHelper(helper, 'get', host, host, env);
  if (r.code !== 0) {
    if (isNotFound(r)) return undefined;
    throw failure(helper, 'get', host, r);
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    throw new RegistryConfigError(`run credential helper docker-credential-${helper} get for ${host}: output is not JSON`);
  }
  if (!parsed.Secret && !parsed.Username) return undefined;
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret ?? '' };
  return { username: parsed.Username ?? '', password: parsed.Secret ?? '' };
}

/** Stores `username`/`secret` for `host` in a helper. */
export async function storeInHelper(helper: string, host: string, username: string, secret: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = await runHelper(helper, 'store', JSON.stringify({ ServerURL: host, Username: username, Secret: secret }), host, env);
  if (r.code !== 0) throw failure(helper, 'store', host, r);
}

/** Erases a host's credentials from a helper; false when it had none. */
export async function eraseFromHelper(helper: string, host: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const r = await runHelper(helper, 'erase', host, host, env);
  if (r.code === 0) return true;
  if (isNotFound(r)) return false;
  throw failure(helper, 'erase', host, r);
}
