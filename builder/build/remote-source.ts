/**
 * ADD's http(s) sources: downloaded with undici into a temporary directory before the step
 * runs (their content is a cache input), verified against `--checksum` when given (sha256,
 * sha384 or sha512), and then copied like a context file, never extracted. The
 * file is named after the URL's last path segment and gets mode 0600, as buildah does.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openSync, rmSync, utimesSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import type { Agent } from '../../registry/distribution/undici-lean.js';
import { TrowelError } from '../../oci/error.js';

/** A download failed or its content does not match `--checksum`; `verb` says what it was for. */
export class RemoteSourceError extends TrowelError {
  constructor(verb: string, readonly url: string, why: string) {
    super('REMOTE_SOURCE', `${verb} ${redactUrl(url)}: ${why}`);
  }
}

/** The URL as messages show it: a password in it becomes `xxxxx`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = 'xxxxx';
    return u.toString();
  } catch {
    return url;
  }
}

/** Whether an ADD source is fetched rather than read from the context. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Downloaded ADD sources: `dir` holds one file per URL, `names[i]` for `urls[i]`. */
export interface Downloads {
  dir: string;
  names: string[];
  /** sha256 hex of each download, for the cache key. */
  digests: string[];
  remove(): void;
}

let agent: ReturnType<Agent['compose']> | undefined;
/**
 * One agent for all downloads, following up to 10 redirects, and undici's request. Loaded on
 * use: undici is a large part of start-up, and few builds download anything.
 */
async function http(): Promise<{ dispatcher: ReturnType<Agent['compose']>; request: typeof import('../../registry/distribution/undici-lean.js').request }> {
  const undici = await import('../../registry/distribution/undici-lean.js');
  agent ??= new undici.Agent().compose(undici.redirectInterceptor({ maxRedirections: 10 }));
  return { dispatcher: agent, request: undici.request };
}

/** A successful (2xx) response to GET `url`, redirects followed; `verb` names the use in errors. */
export async function fetchUrl(url: string, verb: string, signal?: AbortSignal): Promise<{ body: Readable; headers: Record<string, string | string[] | undefined> }> {
  let res;
  try {
    const { dispatcher, request } = await http();
    res = await request(url, { dispatcher, ...(signal ? { signal } : {}) });
  } catch (e) {
    throw new RemoteSourceError(verb, url, (e as Error).message);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump();
    throw new RemoteSourceError(verb, url, `the server answered ${res.statusCode}`);
  }
  return res;
}

/** The file name a URL gives its download. */
export function downloadName(url: string): string {
  const path = new URL(url).pathname;
  const base = posix.basename(path);
  return base === '' || base === '/' ? 'download' : decodeURIComponent(base);
}

function checkChecksum(url: string, checksum: string | undefined, hashes: Map<string, string>): void {
  if (checksum === undefined) return;
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(checksum);
  if (!m) throw new RemoteSourceError('add', url, `--checksum ${JSON.stringify(checksum)}: expected sha256:<hex> (or sha384/sha512)`);
  const got = hashes.get(m[1]!);
  if (got !== m[2]) throw new RemoteSourceError('add', url, `checksum mismatch: expected ${checksum}, got ${m[1]}:${got}`);
}

/**
 * Fetches `urls` (following redirects) into a new directory under `tmpDir`.
 * @throws RemoteSourceError for a failed request, a non-2xx status or a checksum mismatch.
 */
export async function downloadSources(urls: readonly string[], tmpDir: string, checksum: string | undefined, signal?: AbortSignal): Promise<Downloads> {
  const dir = mkdtempSync(join(tmpDir, 'build-add-'));
  const out: Downloads = { dir, names: [], digests: [], remove: () => rmSync(dir, { recursive: true, force: true }) };
  try {
    for (const url of urls) {
      const res = await fetchUrl(url, 'add', signal);
      const name = downloadName(url);
      const path = join(dir, name);
      const hashes = new Map(['sha256', 'sha384', 'sha512'].map((a) => [a, createHash(a)] as const));
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          for (const h of hashes.values()) h.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeline(res.body, tap, createWriteStream(path, { fd: openSync(path, 'w', 0o600) }));
      const hex = new Map([...hashes].map(([a, h]) => [a, h.digest('hex')] as const));
      checkChecksum(url, checksum, hex);
      const modified = res.headers['last-modified'];
      if (typeof modified === 'string' && !Number.isNaN(Date.parse(modified))) {
        const t = new Date(modified);
        utimesSync(path, t, t);
      }
      out.names.push(name);
      out.digests.push(hex.get('sha256')!);
    }
    return out;
  } catch (e) {
    out.remove();
    throw e;
  }
}
