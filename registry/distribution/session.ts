import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, request } from './undici-lean.js';
import { TrowelError } from '../../oci/error.js';
import { Authenticator } from './authenticator.js';
import type { Credentials } from './credentials.js';
import {
  RegistryAuthError, RegistryConnectionError, RegistryError, RegistryNotFoundError, RegistryTimeoutError,
  formatTarget, type RegistryTarget,
} from './errors.js';
import { DEFAULT_RETRY_POLICY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, retryDelay, sleep, type RetryPolicy } from './retry.js';
import { registrySecureContext } from './trust.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface TlsOptions {
  /** CA certificates (PEM) to trust for this registry, besides the default roots. */
  ca?: Array<string | Buffer>;
  /** Client certificate and key (PEM) for registries that ask for one. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface Timeouts {
  /** TCP+TLS connect (default 30 s). */
  connectMs: number;
  /** From request sent to response headers (default 60 s). */
  headersMs: number;
  /** Longest silence while a body streams (default 60 s). */
  bodyMs: number;
}

/** How to reach one registry. Defaults are filled in by `RegistrySession`. */
export interface SessionOptions {
  /** The registry as named in references (`127.0.0.1:5000`, `quay.io`, `docker.io`). */
  registry: string;
  /** Host[:port] to connect to, when not `registry` (docker.io is served by registry-1.docker.io). */
  endpoint?: string;
  /** Skip TLS verification and fall back to plain HTTP (`--tls-verify=false`, registries.conf insecure). */
  insecure?: boolean;
  tls?: TlsOptions;
  credentials?: Credentials;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<Timeouts>;
  userAgent?: string;
  /**
   * Debug lines, one per HTTP exchange (`GET https://host/v2/repo/manifests/tag -> 200`):
   * method, origin and path only, never headers, query strings or bodies, so no credential
   * or token can reach a log.
   */
  log?: (line: string) => void;
}

/** One request to the registry. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v2/…` (relative to the registry) or an absolute URL (a Location the registry gave). */
  path: string;
  /** Token scopes the request needs. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** A buffer is resent on retries; a stream factory is called once per attempt. */
  body?: Buffer | string | (() => Readable | Promise<Readable>);
  /** What the request does, for messages: `pull manifest`, `push blob sha256:…`. */
  verb: string;
  target: RegistryTarget;
  /** Statuses returned to the caller instead of thrown (2xx always are). */
  allowStatus?: readonly number[];
  /** Retry on 429/5xx and broken connections (default true). */
  retry?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered (after redirects). */
  url: URL;
  /** The Authorization value sent with the final request, if any (never logged or shown). */
  sentAuthorization?: string;
}

/** First value of a header. */
export function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const MAX_REDIRECTS = 5;

/** `{ secureContext }` for undici's connect options, or nothing for Node's default context. */
function secureContextOption(opts: SessionOptions): { secureContext?: SecureContext } {
  let context: SecureContext | undefined;
  try {
    context = registrySecureContext({ ...opts.tls, ...(opts.insecure ? { insecure: true } : {}) });
  } catch (err) {
    throw new RegistryConnectionError(`load TLS certificates for ${opts.registry}: ${(err as Error).message}`, { registry: opts.registry }, err);
  }
  return context ? { secureContext: context } : {};
}

/**
 * The HTTP side of talking to one registry: picks https (or http when insecure and https
 * fails), pings `/v2/` for the auth challenge, adds Authorization, follows redirects (dropping
 * Authorization when they leave the registry's origin), retries 429/5xx and broken
 * connections with bounded backoff honouring Retry-After, and turns failures into one-line
 * RegistryErrors. Safe for concurrent use.
 */
export class RegistrySession {
  readonly registry: string;
  readonly retryPolicy: RetryPolicy;
  readonly timeouts: Timeouts;
  private readonly dispatcher: Agent;
  private readonly auth: Authenticator;
  private base: Promise<URL> | undefined;

  constructor(private readonly opts: SessionOptions) {
    this.registry = opts.registry;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.timeouts = { connectMs: 30_000, headersMs: 60_000, bodyMs: 60_000, ...opts.timeouts };
    this.dispatcher = new Agent({
      connect: {
        timeout: this.timeouts.connectMs,
        rejectUnauthorized: !opts.insecure,
        ...secureContextOption(opts),
      },
      headersTimeout: this.timeouts.headersMs,
      bodyTimeout: this.timeouts.bodyMs,
    });
    this.auth = new Authenticator({
      registry: opts.registry, dispatcher: this.dispatcher, headersTimeoutMs: this.timeouts.headersMs, ...(opts.log ? { log: opts.log } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}), ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
    });
  }

  /** The registry's base URL (`https://host/`), pinging it the first time. */
  baseUrl(): Promise<URL> {
    this.base ??= this.ping();
    this.base.catch(() => { this.base = undefined; });
    return this.base;
  }

  /** Pings `/v2/`; records the auth challenge. Throws when no registry answers. */
  private async ping(): Promise<URL> {
    const host = this.opts.endpoint ?? this.opts.registry;
    const target = { registry: this.registry };
    const tryScheme = async (scheme: 'https' | 'http', retry: boolean): Promise<URL> => {
      const base = new URL(`${scheme}://${host}/`);
      const res = await this.exchange({ method: 'GET', path: '/v2/', scopes: [], verb: 'ping registry', target, allowStatus: [401], retry }, base);
      await res.body.dump();
      if (res.status === 401) this.auth.setChallenges(parseWwwAuthenticate(res.headers['www-authenticate']));
      return base;
    };
    if (!this.opts.insecure) return tryScheme('https', true);
    try {
      return await tryScheme('https', false);
    } catch (err) {
      if (!(err instanceof RegistryConnectionError) && !(err instanceof RegistryTimeoutError)) throw err;
      return tryScheme('http', true);
    }
  }

  /** Sends a request (see RegistrySession); resolves once headers arrive. The caller consumes `body`. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    let base: URL;
    try {
      base = await this.baseUrl();
    } catch (err) {
      throw rephrase(err, `ping registry ${this.registry}`, `${req.verb} ${formatTarget(req.target)}`);
    }
    return this.exchange(req, base);
  }

  private async exchange(req: RegistryRequest, base: URL): Promise<RegistryResponse> {
    const policy = req.retry === false ? { ...this.retryPolicy, retries: 0 } : this.retryPolicy;
    let reauthorized = false;
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse;
      try {
        res = await this.once(req, base);
      } catch (err) {
        if (attempt < policy.retries && isRetryableNetworkError(err)) {
          await sleep(retryDelay(policy, attempt));
          continue;
        }
        throw networkFailure(req, err);
      }
      if (res.status === 401 && !reauthorized && req.path !== '/v2/') {
        // A challenge we had not seen, or an expired or too narrow token: get a fresh one once.
        await res.body.dump();
        this.auth.setChallenges(parseWwwAuthenticate(res.headers['www-authenticate']));
        await this.auth.invalidate(req.scopes, res.sentAuthorization);
        reauthorized = true;
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < policy.retries && !req.allowStatus?.includes(res.status)) {
        await res.body.dump();
        await sleep(retryDelay(policy, attempt, parseRetryAfter(header(res, 'retry-after'))));
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || req.allowStatus?.includes(res.status)) return res;
      throw await responseError(req, res);
    }
  }

  /** One attempt, following redirects. */
  private async once(req: RegistryRequest, base: URL): Promise<RegistryResponse> {
    let url = new URL(req.path, base);
    const authorization = await this.auth.authorization(req.scopes);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'trowel', ...req.headers };
      // Credentials go only to the registry's own origin, never to blob storage it redirects to.
      if (authorization && url.origin === base.origin) headers.authorization = authorization;
      // Only GET and HEAD are redirected, so a body is sent (and a stream opened) on the first hop only.
      const body = hop > 0 ? null : typeof req.body === 'function' ? await req.body() : req.body ?? null;
      const res = await request(url, { method: req.method, headers, body, dispatcher: this.dispatcher });
      this.opts.log?.(`${req.method} ${url.origin}${url.pathname} -> ${res.statusCode}`);
      const location = header(res, 'location');
      if (res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304 && location && (req.method === 'GET' || req.method === 'HEAD')) {
        await res.body.dump();
        if (hop >= MAX_REDIRECTS) throw new RegistryError(`${req.verb} ${formatTarget(req.target)}: too many redirects`, req.target, { status: res.statusCode });
        url = new URL(location, url);
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url, ...(headers.authorization ? { sentAuthorization: headers.authorization } : {}) };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Reads at most `limit` bytes of a body as text, discarding the rest. */
async function readSome(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      if (n < limit) chunks.push(c.subarray(0, limit - n));
      n += c.length;
    }
  } catch {
    // A body that breaks while we read an error message: the status is what matters.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A short description of an error body: registry JSON errors, an HTML title, or the first line. */
export function describeErrorBody(text: string, contentType: string | undefined): { detail: string; code?: string } {
  const t = text.trim();
  if (t === '') return { detail: '' };
  if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t) as { errors?: Array<{ code?: string; message?: string; detail?: unknown }>; error?: string; message?: string };
      const first = j.errors?.[0];
      if (first) {
        const msg = [first.code, first.message].filter(Boolean).join(': ');
        return first.code ? { detail: msg, code: first.code } : { detail: msg };
      }
      if (j.error || j.message) return { detail: String(j.error ?? j.message) };
    } catch {
      // not JSON after all
    }
  }
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(t)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(t)?.[1]?.trim()
      ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(t)?.[1]?.trim();
    return { detail: `HTML error page${title ? ` "${oneLine(title)}"` : ''}` };
  }
  return { detail: oneLine(t) };
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

async function responseError(req: RegistryRequest, res: RegistryResponse): Promise<RegistryError> {
  const text = req.method === 'HEAD' ? '' : await readSome(res.body, 64 * 1024);
  if (req.method === 'HEAD') await res.body.dump();
  const { detail, code } = describeErrorBody(text, header(res, 'content-type'));
  const status = `${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim();
  const message = `${req.verb} ${formatTarget(req.target)}: ${status}${detail ? `: ${detail}` : ''}`;
  const opts = { status: res.status, ...(code ? { registryCode: code } : {}) };
  if (res.status === 401 || res.status === 403) {
    const challenge = parseWwwAuthenticate(res.headers['www-authenticate']).find((c) => c.params.error);
    const why = challenge?.params.error === 'insufficient_scope' ? ` (insufficient_scope: the token lacks ${challenge.params.scope ?? req.scopes.join(' ')})` : '';
    return new RegistryAuthError(message + why, req.target, opts);
  }
  if (res.status === 404) return new RegistryNotFoundError(message, req.target, opts);
  return new RegistryError(message, req.target, opts);
}

/**
 * A readable cause for a TLS failure: OpenSSL's reason text without its source location, with
 * a hint for the common case of a registry that speaks plain HTTP.
 */
function tlsReason(message: string, code: string): string {
  const reason = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;
  const hint = code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? '; the registry may speak plain HTTP (--tls-verify=false allows it)' : '';
  return `${oneLine(reason)}${code ? ` (${code})` : ''}${hint}`;
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|EPROTO/;

/**
 * The error to report for a failed connection (refused, reset, TLS, timeout) during `verb` on
 * `target`: one line naming the registry and the cause. TrowelErrors pass through unchanged.
 */
export function networkFailure(req: Pick<RegistryRequest, 'verb' | 'target'>, err: unknown): TrowelError {
  // Our own errors (a digest check failing inside an upload body) pass through unchanged.
  if (err instanceof TrowelError) return err;
  const e = err as { code?: string; message?: string };
  const where = `${req.verb} ${formatTarget(req.target)}`;
  const code = e.code ?? '';
  if (/TIMEOUT/.test(code)) {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : code === 'UND_ERR_BODY_TIMEOUT' ? 'body' : 'response';
    return new RegistryTimeoutError(`${where}: timed out waiting for ${what} from ${req.target.registry}`, req.target, err);
  }
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(e.message ?? '')) {
    return new RegistryConnectionError(`${where}: TLS handshake with ${req.target.registry} failed: ${tlsReason(e.message ?? '', code)}`, req.target, err);
  }
  return new RegistryConnectionError(`${where}: cannot reach ${req.target.registry}: ${e.message ?? String(err)}${code && !(e.message ?? '').includes(code) ? ` (${code})` : ''}`, req.target, err);
}

/**
 * The ping's error told from the point of view of the operation that needed it (several
 * operations may share one failed ping, so the error is copied, not changed).
 */
function rephrase(err: unknown, from: string, to: string): unknown {
  if (!(err instanceof RegistryError) || !err.message.startsWith(from)) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as RegistryError;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: to + err.message.slice(from.length), enumerable: false, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: `${err.name}: ${copy.message}`, enumerable: false, writable: true, configurable: true });
  return copy;
}
