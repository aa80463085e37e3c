/**
 * When and how long to wait before trying a registry request again. Retries are bounded in
 * count and in delay: a Retry-After of an hour is honoured only up to `maxDelayMs`.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (default 4; 0 turns retrying off). */
  retries: number;
  /** First backoff delay (default 250 ms), doubled per retry with ±25% jitter. */
  baseDelayMs: number;
  /** Longest single wait, including one asked for by Retry-After (default 30 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

/** HTTP statuses worth another try: throttling and transient server failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status === 500 || status === 502 || status === 503 || status === 504;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Whether an error thrown by the HTTP stack is a broken or stalled connection (worth a retry). */
export function isRetryableNetworkError(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * Milliseconds asked for by a Retry-After value (delta-seconds or an HTTP date), or undefined
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** The wait before retry number `retry` (0-based): Retry-After when given, else jittered backoff; capped. */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const base = policy.baseDelayMs * 2 ** retry;
  const jitter = base * (Math.random() * 0.5 - 0.25);
  return Math.min(policy.maxDelayMs, Math.max(0, Math.round(base + jitter)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
