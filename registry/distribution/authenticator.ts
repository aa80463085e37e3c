import type { Dispatcher } from 'undici';
import { request } from './undici-lean.js';
import type { AuthChallenge } from './www-authenticate.js';
import { hasCredentials, type Credentials } from './credentials.js';
import { RegistryAuthError, RegistryError, type RegistryTarget } from './errors.js';
import { scopeKey } from './scope.js';

/** A bearer token and when it stops being usable. */
interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  registry: string;
  credentials?: Credentials;
  dispatcher: Dispatcher;
  /** Sent as `client_id` to token servers. */
  clientId?: string;
  userAgent?: string;
  headersTimeoutMs?: number;
  /** Debug lines (method, realm origin and path, status): never credentials or tokens. */
  log?: (line: string) => void;
}

/**
 * Turns the registry's challenge into Authorization headers. Basic challenges get the
 * credentials; bearer challenges get a token per set of scopes, fetched from the realm with
 * GET (anonymous or basic) or, with an identity token, POST `grant_type=refresh_token`.
 * Tokens are cached until shortly before they expire; concurrent callers share one fetch.
 */
export class Authenticator {
  private challenge: AuthChallenge | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  /** A refresh token handed out by the token server (kept for later POSTs). */
  private refreshToken: string | undefined;

  constructor(private readonly opts: AuthenticatorOptions) {}

  /** Records the challenge from a ping or a 401 (bearer preferred over basic). */
  setChallenges(challenges: AuthChallenge[]): void {
    const pick = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (pick) this.challenge = pick;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /**
   * Forgets the token for these scopes after the registry refused it. With `refused` (the
   * Authorization value that was sent), a token fetched meanwhile by a concurrent request is
   * kept, so a burst of 401s costs one new token, not one each.
   */
  async invalidate(scopes: readonly string[], refused?: string): Promise<void> {
    const key = scopeKey(scopes);
    const p = this.tokens.get(key);
    if (!p) return;
    if (refused !== undefined) {
      const current = await p.catch(() => undefined);
      if (current && `Bearer ${current.token}` !== refused) return;
    }
    if (this.tokens.get(key) === p) this.tokens.delete(key);
  }

  /** The Authorization header value for a request needing `scopes`, or undefined (anonymous). */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const cred = this.opts.credentials;
      if (!cred || cred.username === undefined) return undefined;
      return `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
    }
    if (c.scheme !== 'bearer') return undefined;
    const key = scopeKey(scopes);
    let p = this.tokens.get(key);
    if (p) {
      const t = await p.catch(() => undefined);
      if (!t || t.expiresAt <= Date.now()) {
        if (this.tokens.get(key) === p) this.tokens.delete(key);
        p = undefined;
      }
    }
    if (!p) {
      p = this.fetchToken(c, scopes);
      this.tokens.set(key, p);
      p.catch(() => { if (this.tokens.get(key) === p) this.tokens.delete(key); });
    }
    return `Bearer ${(await p).token}`;
  }

  private async fetchToken(c: AuthChallenge, scopes: readonly string[]): Promise<CachedToken> {
    const realm = c.params.realm;
    const target: RegistryTarget = { registry: this.opts.registry };
    if (!realm) throw new RegistryAuthError(`authenticate to ${this.opts.registry}: bearer challenge without a realm`, target);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`authenticate to ${this.opts.registry}: invalid token realm ${JSON.stringify(realm)}`, target);
    }
    const cred = this.opts.credentials;
    const refresh = cred?.identityToken ?? this.refreshToken;
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'trowel' };
    let res: Dispatcher.ResponseData;
    try {
      if (refresh) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: this.opts.clientId ?? 'trowel' });
        if (c.params.service) form.set('service', c.params.service);
        if (scopes.length) form.set('scope', scopes.join(' '));
        res = await request(url, {
          method: 'POST', dispatcher: this.opts.dispatcher, body: form.toString(),
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, headersTimeout: this.opts.headersTimeoutMs ?? null,
        });
      } else {
        if (c.params.service) url.searchParams.set('service', c.params.service);
        for (const s of scopes) url.searchParams.append('scope', s);
        if (hasCredentials(cred)) {
          headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
          url.searchParams.set('account', cred.username ?? '');
        }
        res = await request(url, { method: 'GET', dispatcher: this.opts.dispatcher, headers, headersTimeout: this.opts.headersTimeoutMs ?? null });
      }
    } catch (err) {
      throw new RegistryError(`authenticate to ${this.opts.registry}: token server ${url.origin}: ${(err as Error).message}`, target, { cause: err });
    }
    this.opts.log?.(`${refresh ? 'POST' : 'GET'} ${url.origin}${url.pathname} (token) -> ${res.statusCode}`);
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryAuthError(
        `authenticate to ${this.opts.registry}: ${res.statusCode} ${hasCredentials(cred) ? 'invalid username/password' : 'anonymous access refused'}`,
        target, { status: res.statusCode },
      );
    }
    if (res.statusCode !== 200) {
      throw new RegistryAuthError(`authenticate to ${this.opts.registry}: token server answered ${res.statusCode}`, target, { status: res.statusCode });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; refresh_token?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RegistryAuthError(`authenticate to ${this.opts.registry}: token server answered with something other than JSON`, target);
    }
    const token = body.access_token ?? body.token;
    if (!token) throw new RegistryAuthError(`authenticate to ${this.opts.registry}: token server answered without a token`, target);
    if (body.refresh_token) this.refreshToken = body.refresh_token;
    // The spec's default lifetime is 60 s; renew a little early (5 s, or half of a short
    // lifetime) so a token does not expire in flight.
    const lifetimeMs = Math.max(1, body.expires_in ?? 60) * 1000;
    return { token, expiresAt: Date.now() + lifetimeMs - Math.min(5000, lifetimeMs / 2) };
  }
}
