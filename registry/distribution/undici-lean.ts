/**
 * The parts of undici trowel uses, each loaded from its own file. `import 'undici'` evaluates
 * every feature it has (fetch, WebSocket, cookies, mocks, caches, proxies): about 60 ms of
 * start-up for a command such as a re-push that makes five small requests. The agent, the
 * request API and the redirect interceptor alone cost a third of that. The types are undici's
 * own; the behaviour is `undici.request` with an explicit dispatcher. The agent and the request
 * API are imported statically so that scripts/bundle.mjs bundles them with the rest.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as Undici from 'undici';
import agentModule from 'undici/lib/dispatcher/agent.js';
import requestModule from 'undici/lib/api/api-request.js';

const load = createRequire(import.meta.url);

// undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it once with its baseline
// compiler and then again, optimised, on a background thread, and Node waits for that second
// compile before it exits: about 50 ms on every command that talks to a registry, for code that
// only reads response headers and framing. The baseline code is enough.
setFlagsFromString('--liftoff-only');

/** undici's `Agent` (connection pools per origin). */
export const Agent = agentModule as typeof Undici.Agent;
export type Agent = Undici.Agent;

type RequestMethod = (this: Undici.Dispatcher, opts: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;
const requestOn = requestModule as RequestMethod;

/** Options of {@link request}: undici's request options, the dispatcher required. */
export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: Undici.Dispatcher;
  method?: Undici.Dispatcher.HttpMethod;
};

/** `undici.request(url, opts)`: one request through `opts.dispatcher`. */
export function request(url: string | URL, opts: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher, ...rest } = opts;
  return requestOn.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
    method: opts.method ?? (opts.body ? 'PUT' : 'GET'),
  });
}

type RedirectInterceptor = typeof Undici.interceptors.redirect;

/** undici's redirect interceptor (`interceptors.redirect`), loaded on first use. */
export function redirectInterceptor(...args: Parameters<RedirectInterceptor>): ReturnType<RedirectInterceptor> {
  return (load('undici/lib/interceptor/redirect.js') as RedirectInterceptor)(...args);
}
