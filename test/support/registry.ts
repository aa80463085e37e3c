/**
 * A real registry for tests: Debian's `docker-registry` (the CNCF distribution registry)
 * started on 127.0.0.1 on a free port, in plain HTTP or TLS (a CA made by openssl for the
 * test), with no auth, htpasswd basic auth, or bearer tokens from a token server that lives
 * in this process. A fault-injecting HTTP proxy can be put in front of it.
 *
 * Everything started here is stopped by `stop()`, and also when the process exits (a failed
 * test that never reaches its clean-up still leaves no registry behind).
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Children and servers to tear down if the process exits without `stop()`. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A certificate authority and a server certificate for 127.0.0.1 and localhost, made by openssl. */
export interface TestCertificates {
  dir: string;
  /** CA certificate (PEM path); trust this to talk to the server. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A directory laid out like /etc/containers/certs.d/<host>/ (holds ca.crt). */
  certDir: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a CA and a server certificate signed by it, valid for IP 127.0.0.1 and DNS localhost. */
export function makeCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
    '-subj', '/CN=trowel test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt',
    '-days', '2', '-extfile', 'server.ext'], dir);
  const certDir = join(dir, 'certs.d');
  mkdirSync(certDir, { recursive: true });
  copyFileSync(join(dir, 'ca.crt'), join(certDir, 'ca.crt'));
  return { dir, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), certDir };
}

// ---------------------------------------------------------------------------------------------
// Token server

/** One request the token server answered, for tests to assert on. */
export interface TokenRequest {
  method: 'GET' | 'POST';
  /** The `scope` values asked for (each `repository:name:actions`). */
  scopes: string[];
  /** Who authenticated (basic auth user, password grant user, refresh-token owner), if anyone. */
  account?: string;
  grantType?: string;
  status: number;
}

export interface TokenServerOptions {
  /** Users and their passwords (default `{ alice: 'wonderland' }`). */
  users?: Record<string, string>;
  /**
   * Which actions an account may have on a repository; the token grants the intersection
   * with what was asked. Default: authenticated users get all they ask, anonymous nothing.
   */
  permit?: (account: string | undefined, repository: string) => string[];
  /** Token lifetime in seconds (default 300). */
  ttlSeconds?: number;
}

export interface TokenServer {
  url: string;
  /** Realm for the registry's `auth: token:` config. */
  realm: string;
  service: string;
  issuer: string;
  /** Root certificate bundle the registry trusts for token signatures. */
  certFile: string;
  requests: TokenRequest[];
  /** Refresh tokens issued, by value, to their account. */
  refreshTokens: Map<string, string>;
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/**
 * Starts a token server (the Docker token authentication protocol): GET with basic auth and
 * `scope`/`service` query parameters, and POST with `grant_type=password|refresh_token`.
 * Tokens are RS256 JWTs whose `x5c` header carries the (self-signed) signing certificate.
 */
export async function startTokenServer(dir: string, opts: TokenServerOptions = {}): Promise<TokenServer> {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2',
    '-subj', '/CN=trowel test token issuer'], dir);
  const key = createPrivateKey(readFileSync(join(dir, 'token.key')));
  const certDer = new X509Certificate(readFileSync(join(dir, 'token.crt'))).raw;
  const users = opts.users ?? { alice: 'wonderland' };
  const permit = opts.permit ?? ((account) => (account ? ['pull', 'push', 'delete', '*'] : []));
  const ttl = opts.ttlSeconds ?? 300;
  const service = 'trowel-test-registry';
  const issuer = 'trowel-test-issuer';
  const requests: TokenRequest[] = [];
  const refreshTokens = new Map<string, string>();

  const sign = (account: string | undefined, scopes: string[]): string => {
    const access = scopes.flatMap((s) => {
      const m = /^repository:([^:]+):(.*)$/.exec(s);
      if (!m) return [];
      const allowed = permit(account, m[1]!);
      const actions = m[2]!.split(',').filter((a) => allowed.includes(a) || allowed.includes('*'));
      return [{ type: 'repository', name: m[1]!, actions }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + ttl, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(key);
    return `${input}.${b64url(sig)}`;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, body: unknown, entry: Omit<TokenRequest, 'status'>): void => {
        requests.push({ ...entry, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET') {
        const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        let account: string | undefined;
        const auth = req.headers.authorization;
        if (auth?.startsWith('Basic ')) {
          const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
          if (!u || users[u] !== p.join(':')) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, { method: 'GET', scopes, account: u });
          account = u;
        }
        const body: Record<string, unknown> = { token: sign(account, scopes), expires_in: ttl, issued_at: new Date().toISOString() };
        if (account && url.searchParams.get('offline_token') === 'true') {
          const rt = randomBytes(16).toString('hex');
          refreshTokens.set(rt, account);
          body.refresh_token = rt;
        }
        return reply(200, body, { method: 'GET', scopes, ...(account ? { account } : {}) });
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const grantType = form.get('grant_type') ?? '';
        let account: string | undefined;
        if (grantType === 'password') {
          const u = form.get('username') ?? '';
          if (users[u] !== form.get('password')) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, { method: 'POST', scopes, grantType, account: u });
          account = u;
        } else if (grantType === 'refresh_token') {
          account = refreshTokens.get(form.get('refresh_token') ?? '');
          if (!account) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad refresh token' }] }, { method: 'POST', scopes, grantType });
        } else {
          return reply(400, { errors: [{ code: 'UNSUPPORTED', message: 'grant_type' }] }, { method: 'POST', scopes, grantType });
        }
        const body: Record<string, unknown> = { access_token: sign(account, scopes), expires_in: ttl, issued_at: new Date().toISOString() };
        if (grantType === 'password' && form.get('access_type') === 'offline') {
          const rt = randomBytes(16).toString('hex');
          refreshTokens.set(rt, account);
          body.refresh_token = rt;
        }
        return reply(200, body, { method: 'POST', scopes, grantType, account });
      }
      res.writeHead(405).end();
    });
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    url, realm: `${url}/token`, service, issuer, certFile: join(dir, 'token.crt'), requests, refreshTokens,
    stop: () => closeServer(server),
  };
}

// ---------------------------------------------------------------------------------------------
// Registry

export interface RegistryOptions {
  /** Serve HTTPS with a certificate from a CA made for the test (default plain HTTP). */
  tls?: boolean;
  /** `htpasswd`: basic auth; `token`: bearer tokens from a token server started alongside. */
  auth?: 'none' | 'htpasswd' | 'token';
  /** Users for htpasswd or the token server (default `{ alice: 'wonderland' }`). */
  users?: Record<string, string>;
  /** Token server options (auth `token` only). */
  token?: Omit<TokenServerOptions, 'users'>;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as used in image references. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** Temp directory holding config, storage, certificates. */
  dir: string;
  users: Record<string, string>;
  certs?: TestCertificates;
  tokenServer?: TokenServer;
  /** What the registry printed (for failure messages). */
  output(): string;
  /** Kills the registry (and token server) and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

function registryConfig(o: { port: number; storage: string; certs?: TestCertificates; htpasswd?: string; token?: TokenServer }): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${o.storage}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
  ];
  if (o.certs) lines.push('  tls:', `    certificate: ${o.certs.certFile}`, `    key: ${o.certs.keyFile}`);
  if (o.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: trowel-test', `    path: ${o.htpasswd}`);
  if (o.token) {
    lines.push('auth:', '  token:', `    realm: ${o.token.realm}`, `    service: ${o.token.service}`, `    issuer: ${o.token.issuer}`,
      `    rootcertbundle: ${o.token.certFile}`);
  }
  return lines.join('\n') + '\n';
}

/** Waits until something answers HTTP on `url` + /v2/ (any status), or throws after `ms`. */
async function waitForHttp(url: string, ca: Buffer | undefined, child: ChildProcess, out: () => string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${out()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const mod = url.startsWith('https:') ? https : http;
      const req = mod.get(`${url}/v2/`, { ...(ca ? { ca } : {}), timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => { req.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url}: ${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a registry as described by `opts`. Remember to `stop()` it (in `test.after`). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'trowel-registry-'));
  const users = opts.users ?? { alice: 'wonderland' };
  let tokenServer: TokenServer | undefined;
  try {
    const certs = opts.tls ? makeCertificates(join(dir, 'tls')) : undefined;
    let htpasswd: string | undefined;
    if (opts.auth === 'htpasswd') {
      htpasswd = join(dir, 'htpasswd');
      writeFileSync(htpasswd, '');
      for (const [u, p] of Object.entries(users)) {
        execFileSync('htpasswd', ['-B', '-b', '-C', '4', htpasswd, u, p], { stdio: 'ignore' });
      }
    }
    if (opts.auth === 'token') tokenServer = await startTokenServer(join(dir, 'token'), { ...opts.token, users });
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configFile = join(dir, 'config.yml');
      writeFileSync(configFile, registryConfig({ port, storage: join(dir, 'storage'), ...(certs ? { certs } : {}), ...(htpasswd ? { htpasswd } : {}), ...(tokenServer ? { token: tokenServer } : {}) }));
      const child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      live.add(child);
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      child.stderr!.on('data', (d) => { out += d; });
      const url = `${certs ? 'https' : 'http'}://127.0.0.1:${port}`;
      try {
        await waitForHttp(url, certs ? readFileSync(certs.caFile) : undefined, child, () => out);
      } catch (err) {
        child.kill('SIGKILL');
        live.delete(child);
        if (attempt < 3 && /address already in use/.test(out)) continue;
        throw err;
      }
      let stopped = false;
      const stop = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exited;
          clearTimeout(t);
        }
        live.delete(child);
        await tokenServer?.stop();
        rmSync(dir, { recursive: true, force: true });
      };
      return { host: `127.0.0.1:${port}`, url, dir, users, ...(certs ? { certs } : {}), ...(tokenServer ? { tokenServer } : {}), output: () => out, stop };
    }
  } catch (err) {
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Fault-injecting proxy

/** What the proxy does with a matching request instead of (or while) forwarding it. */
export type FaultAction =
  /** Answer with this status (and Retry-After, body) without forwarding. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; contentType?: string; headers?: Record<string, string> }
  /** Forward, then cut the connection after this many bytes of the response body. */
  | { kind: 'drop-response'; afterBytes: number }
  /** Forward, then stop sending (connection left open) after this many bytes of the response body. */
  | { kind: 'stall-response'; afterBytes: number }
  /** Forward only this many bytes of the request body, then cut both connections. */
  | { kind: 'drop-request'; afterBytes: number }
  /** Accept and never answer. */
  | { kind: 'hang' }
  /** Forward, flipping one byte of the response body. */
  | { kind: 'corrupt' }
  /** Answer 307 with Location `to + path?query`. */
  | { kind: 'redirect'; to: string };

export interface FaultRule {
  method?: string;
  /** Matched against the request path and query. */
  path?: RegExp;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** How many matching requests to let through untouched first (default 0). */
  after?: number;
  action: FaultAction;
}

/** One request the proxy saw. */
export interface ProxyLogEntry {
  method: string;
  url: string;
  /** Request headers as received (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** The fault applied, if any. */
  fault?: FaultAction['kind'];
  status?: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT` (or `localhost:PORT` when asked), for image references. */
  host: string;
  url: string;
  log: ProxyLogEntry[];
  /** Adds a rule; rules are tried in order and used up after `times` matches. */
  add(rule: FaultRule): void;
  clear(): void;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Host name to advertise (default 127.0.0.1); `localhost` makes a second, distinct origin. */
  hostname?: string;
  /** Headers added to every forwarded request (a storage backend that authorizes by itself). */
  setHeaders?: Record<string, string>;
}

/**
 * Starts a plain-HTTP proxy in front of `upstream` (a plain-HTTP registry URL). The Host
 * header is passed through so the registry's Location headers point back at the proxy.
 */
export async function startFaultProxy(upstream: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const up = new URL(upstream);
  const rules: Array<FaultRule & { left: number; skip: number }> = [];
  const log: ProxyLogEntry[] = [];
  const server = http.createServer((req, res) => {
    const entry: ProxyLogEntry = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    log.push(entry);
    let rule = rules.find((r) => r.left > 0 && (!r.method || r.method === req.method) && (!r.path || r.path.test(req.url ?? '')));
    if (rule && rule.skip > 0) {
      rule.skip -= 1;
      rule = undefined;
    }
    const action = rule?.action;
    if (rule) {
      rule.left -= 1;
      entry.fault = rule.action.kind;
    }
    if (action?.kind === 'status') {
      req.resume();
      const headers: Record<string, string> = { 'content-type': action.contentType ?? 'application/json' };
      if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
      Object.assign(headers, action.headers);
      entry.status = action.status;
      res.writeHead(action.status, headers);
      res.end(action.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] }));
      return;
    }
    if (action?.kind === 'hang') {
      req.resume();
      return;
    }
    if (action?.kind === 'redirect') {
      req.resume();
      entry.status = 307;
      res.writeHead(307, { location: action.to + (req.url ?? '/') });
      res.end();
      return;
    }
    const headers = { ...req.headers, ...opts.setHeaders };
    const upReq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (upRes) => {
      entry.status = upRes.statusCode;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      let sent = 0;
      let flipped = false;
      upRes.on('data', (chunk: Buffer) => {
        if (action?.kind === 'drop-response' || action?.kind === 'stall-response') {
          const room = action.afterBytes - sent;
          if (room <= 0) return;
          if (chunk.length >= room) {
            const stall = action.kind === 'stall-response';
            res.write(chunk.subarray(0, room), () => { if (!stall) res.socket?.destroy(); upRes.destroy(); });
            sent += room;
            return;
          }
        }
        if (action?.kind === 'corrupt' && !flipped && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] = chunk[0]! ^ 0xff;
          flipped = true;
        }
        sent += chunk.length;
        res.write(chunk);
      });
      upRes.on('end', () => res.end());
      upRes.on('error', () => { if (action?.kind !== 'stall-response') res.destroy(); });
      upRes.on('close', () => { if (action?.kind !== 'stall-response' && !upRes.complete) res.destroy(); });
    });
    upReq.on('error', () => res.destroy());
    if (action?.kind === 'drop-request') {
      let got = 0;
      let cut = false;
      const breakBoth = (): void => {
        if (cut) return;
        cut = true;
        // Let the partial body reach the registry before the connection breaks, as a real
        // network failure would have delivered what it had.
        setTimeout(() => { upReq.destroy(); req.socket.destroy(); }, 200);
      };
      if (action.afterBytes <= 0) upReq.flushHeaders();
      req.on('data', (chunk: Buffer) => {
        const room = action.afterBytes - got;
        if (room > 0) {
          got += Math.min(room, chunk.length);
          upReq.write(chunk.subarray(0, room));
        }
        if (got >= action.afterBytes) breakBoth();
      });
      req.on('end', () => { if (got < action.afterBytes) upReq.end(); });
      return;
    }
    req.pipe(upReq);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await listen(server);
  const host = `${opts.hostname ?? '127.0.0.1'}:${port}`;
  return {
    host, url: `http://${host}`, log,
    add: (rule) => { rules.push({ ...rule, left: rule.times ?? 1, skip: rule.after ?? 0 }); },
    clear: () => { rules.length = 0; },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------
// Test images

/** A small image written as an OCI layout, for pushing with skopeo or a transport. */
export interface TestImage {
  /** The layout directory; `oci:${dir}:${tag}` names the image. */
  dir: string;
  tag: string;
  manifest: Buffer;
  manifestDigest: `sha256:${string}`;
  config: Buffer;
  /** Each layer as stored (gzip-compressed tar) with its digest. */
  layers: Array<{ blob: Buffer; digest: `sha256:${string}` }>;
}

/**
 * Writes an OCI image layout holding one image whose layers are gzip tars of one file each
 * (`file0`, `file1`, …) with the given sizes of pseudo-random (incompressible) content.
 */
export async function writeTestImage(dir: string, opts: { tag?: string; layerSizes?: number[]; seed?: string } = {}): Promise<TestImage> {
  const sha = (b: Buffer): `sha256:${string}` => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const tag = opts.tag ?? 'latest';
  const seed = opts.seed ?? 'trowel';
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer): `sha256:${string}` => {
    const d = sha(b);
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layers: TestImage['layers'] = [];
  const diffIds: string[] = [];
  for (const [i, size] of (opts.layerSizes ?? [1024]).entries()) {
    const content = pseudoRandom(`${seed}-${i}`, size);
    const p = pack();
    p.entry({ name: `file${i}`, size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    const tar = Buffer.concat(chunks);
    diffIds.push(sha(tar));
    const blob = gzipSync(tar, { level: 1 });
    layers.push({ blob, digest: put(blob) });
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'test' })),
  }));
  const configDigest = put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.blob.length })),
  }));
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { dir, tag, manifest, manifestDigest, config, layers };
}

/** Deterministic incompressible bytes (sha256 in counter mode). */
export function pseudoRandom(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, n = 0; off < size; n++) {
    const block = createHash('sha256').update(`${seed}:${n}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

/**
 * Runs `skopeo` with the given arguments (an oracle for what is in the registry); resolves to
 * stdout, rejects with skopeo's stderr. Asynchronous because the token server lives in this
 * process and must keep answering while skopeo runs.
 */
export function skopeo(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { encoding: 'utf8', timeout: 60000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`skopeo ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
