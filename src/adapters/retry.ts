// Retries with exponential backoff and full jitter, honouring Retry-After. Hand-written because no retry library
// is among the dependencies; cockatiel would fit (retry, breaker, timeout in one, TypeScript) and p-retry + opossum
// were considered too. The loop is small and every delay goes through an injected sleep, so tests need no timers.
import { sleep } from '../sleep.js';

export interface RetryPolicy {
  retries: number; // attempts after the first, for failures (timeouts, 5xx, unreachable, invalid answers)
  baseMs: number; // the first backoff ceiling; doubles with every retry
  maxMs: number; // the ceiling never grows past this
  maxRetryAfterMs: number; // a Retry-After longer than this is not waited for: the request fails instead
  rateLimitWaits: number; // 429 answers waited out per request, on top of `retries`
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, baseMs: 200, maxMs: 10_000, maxRetryAfterMs: 60_000, rateLimitWaits: 20 };

/** Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): uniform in [0, min(max, base·2^n)). */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from `nowMs`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** What the retry loop needs to know about a failure. */
export interface FailureInfo {
  retryable: boolean;
  /** Set for a 429: the server's Retry-After in ms, or null when it sent none. Undefined for other failures. */
  rateLimitedFor?: number | null;
}

export interface RetryOptions {
  policy: RetryPolicy;
  classify: (err: unknown) => FailureInfo;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
  /** Called before every retry; throws to stop retrying (an open circuit breaker). */
  beforeRetry?: () => void;
  onRetry?: (info: { err: unknown; retry: number; delayMs: number }) => void;
}

/** Runs `op` until it succeeds, a failure is not retryable, or the retries (and 429 waits) are used up. */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  let failures = 0;
  let rateLimited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const info = opts.classify(err);
      if (!info.retryable) throw err;
      let delayMs: number;
      if (info.rateLimitedFor !== undefined) {
        rateLimited += 1;
        if (rateLimited > opts.policy.rateLimitWaits) throw err;
        const asked = info.rateLimitedFor;
        // Stryker disable next-line ConditionalExpression: with no Retry-After, null > max is false: the same as the guard
        if (asked !== null && asked > opts.policy.maxRetryAfterMs) throw err;
        // At least what the server asked for; a little jitter on top so that waiting callers do not return together.
        delayMs = (asked ?? backoffDelay(rateLimited, opts.policy, random)) + backoffDelay(0, opts.policy, random);
      } else {
        if (failures >= opts.policy.retries) throw err;
        delayMs = backoffDelay(failures, opts.policy, random);
        failures += 1;
      }
      opts.onRetry?.({ err, retry: failures + rateLimited, delayMs });
      await wait(delayMs, opts.signal);
      opts.beforeRetry?.();
    }
  }
}
