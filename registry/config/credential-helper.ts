import { spawn } from 'node:child_process';
import type { Credentials } from '../distribution/credentials.js';
import { RegistryConfigError } from './errors.js';

/**
 * Asks a Docker credential helper (`docker-credential-<name>` on PATH) for a registry's
 * credentials: `get` with the host on stdin, JSON `{ Username, Secret }` on stdout. A helper
 * that knows nothing about the host yields undefined. `<token>` as Username means the
 * secret is an identity token. The secret is never put in an error.
 */
export async function credentialsFromHelper(helper: string, host: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr, spawnError } = await new Promise<{ code: number | null; stdout: string; stderr: string; spawnError?: Error }>((resolve) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => resolve({ code: null, stdout: out, stderr: err, spawnError: e }));
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    child.stdin.on('error', () => { /* the helper may exit before reading */ });
    child.stdin.end(host);
  });
  if (spawnError) throw new RegistryConfigError(`run credential helper ${program} for ${host}: ${(spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : spawnError.message}`);
  if (code !== 0) {
    const msg = (stdout + stderr).trim();
    if (/credentials not found/i.test(msg)) return undefined;
    throw new RegistryConfigError(`run credential helper ${program} for ${host}: exit status ${code}${msg ? `: ${msg.split('\n')[0]}` : ''}`);
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new RegistryConfigError(`run credential helper ${program} for ${host}: output is not JSON`);
  }
  if (!parsed.Secret && !parsed.Username) return undefined;
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret ?? '' };
  return { username: parsed.Username ?? '', password: parsed.Secret ?? '' };
}
