import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRetryableNetworkError, isRetryableStatus, parseRetryAfter, retryDelay } from './retry.js';

test('Retry-After in seconds and as an HTTP date', () => {
  assert.is(parseRetryAfter('3'), 3000);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.is(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.is(parseRetryAfter('soon'), undefined);
  assert.is(parseRetryAfter(undefined), undefined);
});

test('delay honours Retry-After but never beyond the cap', () => {
  const p = { retries: 3, baseDelayMs: 100, maxDelayMs: 2000 };
  assert.is(retryDelay(p, 0, 1500), 1500);
  assert.is(retryDelay(p, 0, 3_600_000), 2000);
  const d = retryDelay(p, 2);
  assert.ok(d >= 300 && d <= 500, `backoff ${d}`);
  assert.is(retryDelay(p, 20), 2000);
});

test('statuses and network errors worth retrying', () => {
  assert.ok(isRetryableStatus(429) && isRetryableStatus(503));
  assert.not.ok(isRetryableStatus(404) || isRetryableStatus(401));
  assert.ok(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
  assert.ok(isRetryableNetworkError(new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) })));
  assert.not.ok(isRetryableNetworkError(Object.assign(new Error('tls'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })));
});

test.run();
