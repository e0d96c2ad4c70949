// The population registry over HTTP/JSON (README "Registry API (HTTP)"). Every request has its own timeout, is
// retried with backoff for timeouts, 5xx, 429 and answers that do not fit, and goes through a circuit breaker;
// requests in flight are bounded across the whole run. Throwing from verify/share is how a failed request is
// reported: the pipeline leaves its people PENDING and the next run asks again.
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../log.js';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions } from './circuit-breaker.js';
import {
  RegistryAuthError, RegistryCircuitOpenError, RegistryInvalidAnswerError, RegistryRateLimitedError, RegistryRejectedError,
  RegistryRefusedError, RegistryRequestError, RegistryServerError, RegistryTimeoutError, RegistryUnreachableError,
} from './http-errors.js';
import { badRequest, DEFAULT_MAX_ANSWER_BYTES, readBounded } from './http-body.js';
import { answersMisfit, parseVerifyResponse, toWireRequest, toWireShare, WireShareResponse } from './http-wire.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, withRetry, type FailureInfo, type RetryPolicy } from './retry.js';
import { sleep as realSleep } from '../sleep.js';
import { RegistryClosedError, type RegistryAdapter, type ShareRecord, type VerifyAnswer, type VerifyRequest } from './types.js';

export interface HttpRegistrySettings {
  url: string; // base URL; endpoints are /v1/verify and /v1/share below it
  token?: string; // bearer token
  timeoutMs: number; // per attempt, from sending the request to the last byte of the answer
  concurrency: number; // requests in flight, whatever the pipeline asks for
  maxAnswerBytes?: number; // an answer body longer than this is a failure of the request (default 4 MiB)
  retry: RetryPolicy;
  breaker: BreakerOptions;
}

export const DEFAULT_HTTP_SETTINGS: Omit<HttpRegistrySettings, 'url'> = {
  timeoutMs: 10_000,
  concurrency: 4,
  maxAnswerBytes: DEFAULT_MAX_ANSWER_BYTES,
  retry: DEFAULT_RETRY_POLICY,
  breaker: DEFAULT_BREAKER,
};

/** Seams for tests: a clock, the jitter source and the backoff sleep. */
export interface HttpRegistryHooks {
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told of every 429 with the wait it asked for, so that other processes can slow down too. */
  onRateLimited?: (waitMs: number) => void;
}

/** ECONNREFUSED and friends, from undici's "fetch failed" (the cause may be an AggregateError of several tries). */
function networkCode(err: unknown): string | undefined {
  const cause = (err as Error).cause as (NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] }) | undefined;
  // Stryker disable next-line OptionalChaining: undici's 'fetch failed' always has a cause, whose errors (an AggregateError's) is absent or not empty
  return cause?.code ?? cause?.errors?.[0]?.code;
}

const NO_TLS_HINT = 'no TLS at this address: check that --registry-url / DDCN_REGISTRY_URL is https:// only if the registry speaks TLS';

/**
 * What a connection's failure code means for the address, which the code alone does not say: a wrong host, port or
 * scheme in the URL fails every retry and every night as an outage would. A refused connection, an unknown host name,
 * and what OpenSSL says when an https:// address answers in plain HTTP (`wrong version number`, `packet length too
 * long`): a URL written https:// for a server that has no TLS.
 */
const ADDRESS_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nobody listens at this address: the registry is down, or --registry-url / DDCN_REGISTRY_URL names the wrong host or port',
  ENOTFOUND: 'no such host name: check the host in --registry-url / DDCN_REGISTRY_URL',
  ERR_SSL_WRONG_VERSION_NUMBER: NO_TLS_HINT,
  ERR_SSL_PACKET_LENGTH_TOO_LONG: NO_TLS_HINT,
  ERR_SSL_HTTP_REQUEST: NO_TLS_HINT,
};

/** Statuses that say the address has no such API (not found, method not allowed): a wrong registry URL. */
const NO_API_THERE = new Set([404, 405]);

function classify(err: unknown): FailureInfo {
  if (err instanceof RegistryRateLimitedError) return { retryable: true, rateLimitedFor: err.retryAfterMs };
  // Stryker disable next-line ConditionalExpression: any other error would get retryable: undefined, as falsy as the false below, which is not reached anyway
  if (err instanceof RegistryRequestError) return { retryable: err.retryable };
  // Not reached in practice: attempt() throws only RegistryRequestErrors, or the caller's abort, which withRetry
  // rethrows before asking. A retried unknown error would fail the same after a few back-off waits.
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: not reached (attempt throws only RegistryRequestErrors or the caller's abort)
  return { retryable: false };
}

export class HttpRegistry implements RegistryAdapter {
  readonly kind = 'http';
  readonly breaker: CircuitBreaker;
  private readonly limit: LimitFunction;
  private readonly closing = new AbortController();
  private readonly log: Logger;
  private readonly now: () => number;
  /** Requests (not attempts) that failed for good, by error kind: for the run summary. */
  readonly failures = new Map<string, number>();
  /** Kinds of failure a retry cannot help (a refused token, a rejected request): not retried, and said so. */
  private readonly notRetried = new Set<string>();
  private lastError: string | null = null;

  constructor(
    private readonly settings: HttpRegistrySettings,
    log: Logger,
    private readonly hooks: HttpRegistryHooks = {},
  ) {
    this.log = log.child({ stage: 'registry', registry: 'http' });
    this.now = hooks.now ?? Date.now;
    this.limit = pLimit(settings.concurrency);
    this.breaker = new CircuitBreaker(settings.breaker, this.now, (state, { failures }) => {
      if (state === 'open') {
        this.log.error({ failures, cooldownMs: settings.breaker.cooldownMs }, 'registry circuit breaker opened: not asking the registry until the cool-down ends');
      } else {
        this.log.info({ state }, `registry circuit breaker ${state}`);
      }
    });
  }

  async verify(batch: VerifyRequest[], signal?: AbortSignal): Promise<VerifyAnswer[]> {
    if (batch.length === 0) return [];
    const body = JSON.stringify({ requests: batch.map(toWireRequest) });
    return this.call('verify', body, signal, (json) => {
      const parsed = parseVerifyResponse(json, batch);
      if (typeof parsed === 'string') throw new RegistryInvalidAnswerError(`verify answer does not fit the request (${parsed}); not used`);
      return parsed;
    });
  }

  async share(records: ShareRecord[], signal?: AbortSignal): Promise<string[]> {
    if (records.length === 0) return [];
    const body = JSON.stringify({ records: records.map(toWireShare) });
    return this.call('share', body, signal, (json) => {
      const parsed = WireShareResponse.safeParse(json);
      if (!parsed.success) throw new RegistryInvalidAnswerError('share answer does not fit the schema; not used');
      // Acknowledging fewer than sent is allowed (the rest is shared again next run); naming strangers is not.
      const misfit = answersMisfit(records.map((r) => r.requestId), parsed.data.acknowledged);
      if (misfit === 'unknown_id' || misfit === 'duplicate_id') throw new RegistryInvalidAnswerError(`share answer does not fit the request (${misfit}); not used`);
      return parsed.data.acknowledged;
    });
  }

  async close(): Promise<void> {
    this.closing.abort(new RegistryClosedError());
  }

  /** Why requests failed in this run, for the operator; null when none did. */
  /** Whether the registry has refused this client's token (HTTP 401/403) on some request. */
  get tokenRefused(): boolean {
    return this.failures.has('RegistryAuthRejected');
  }

  /** Whether the registry URL answered that it has no such API (HTTP 404/405) on some request. */
  addressWrong = false;

  failureSummary(): string | null {
    // Stryker disable next-line ConditionalExpression: the breaker opens only after failures, all of them recorded: with no failure it has not opened
    if (this.failures.size === 0 && this.breaker.opened === 0) return null;
    const n = [...this.failures.values()].reduce((a, b) => a + b, 0);
    const kinds = [...this.failures].map(([k, c]) => `${c} × ${k}${this.notRetried.has(k) ? ', not retried' : ''}`).join(', ');
    const retried = [...this.failures.keys()].some((k) => !this.notRetried.has(k));
    const parts = [`${n} registry request${n === 1 ? '' : 's'} failed${retried ? ' after retries' : ''}${kinds ? ` (${kinds})` : ''}`];
    if (this.breaker.opened > 0) parts.push('the circuit breaker opened and the registry was not asked again during its cool-down');
    // Stryker disable next-line ConditionalExpression: the summary gets here only after a recorded failure, which always sets lastError
    if (this.lastError) parts.push(`last error: ${this.lastError}`);
    return parts.join('; ');
  }

  private async call<T>(endpoint: 'verify' | 'share', body: string, signal: AbortSignal | undefined, parse: (json: unknown) => T): Promise<T> {
    const outer = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    try {
      return await this.limit(() =>
        this.breaker.execute(
          (guard) => {
            guard(); // the breaker may have opened while this request waited for a slot
            return withRetry(() => this.attempt(endpoint, body, outer, parse), {
              policy: this.settings.retry,
              classify,
              signal: outer,
              sleep: this.hooks.sleep ?? realSleep,
              random: this.hooks.random,
              beforeRetry: guard,
              onRetry: ({ err, retry, delayMs }) => {
                if (err instanceof RegistryRateLimitedError) this.hooks.onRateLimited?.(delayMs);
                this.log.debug({ endpoint, retry, delayMs, kind: (err as Error).name }, 'registry request failed; retrying');
              },
            });
          },
          // A refusal of one person's data says the registry is working: it does not open the breaker.
          (err) => !outer.aborted && !(err instanceof RegistryRefusedError),
        ),
      );
    } catch (err) {
      // Stryker disable next-line StringLiteral: every failure here is an Error (a caller's abort reason too: ddcn aborts with InterruptedError or a DOMException)
      const kind = err instanceof Error ? err.name : 'registry_error';
      if (!(err instanceof RegistryCircuitOpenError)) {
        this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
        if (err instanceof RegistryRequestError && !err.retryable) this.notRetried.add(kind);
        if (err instanceof RegistryRejectedError && NO_API_THERE.has(err.status)) this.addressWrong = true;
        this.lastError = (err as Error).message;
      }
      throw err;
    }
  }

  /** One HTTP exchange: the answer parsed, or an error of a kind from http-errors.ts. */
  private async attempt<T>(endpoint: string, body: string, outer: AbortSignal, parse: (json: unknown) => T): Promise<T> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const url = new URL(`v1/${endpoint}`, this.settings.url.endsWith('/') ? this.settings.url : `${this.settings.url}/`);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    let status: number;
    let text: string;
    let retryAfter: string | null = null;
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([outer, timeout]) });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await readBounded(res, this.settings.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES, endpoint);
    } catch (err) {
      if (err instanceof RegistryRequestError) throw err;
      if (outer.aborted) throw err;
      if (timeout.aborted) throw new RegistryTimeoutError(`${endpoint}: no complete answer within ${this.settings.timeoutMs} ms`, { cause: err });
      const code = networkCode(err);
      const hint = code !== undefined && Object.hasOwn(ADDRESS_HINTS, code) ? ` (${ADDRESS_HINTS[code]})` : '';
      throw new RegistryUnreachableError(`${endpoint}: ${code ?? (err as Error).message} at ${url.origin}${hint}`, { cause: err });
    }
    if (status === 429) {
      throw new RegistryRateLimitedError(parseRetryAfter(retryAfter, this.now()), `${endpoint}: HTTP 429, rate limited`);
    }
    if (status === 401 || status === 403) {
      // No token at all (the settings file not read, under cron): "refused the token" sent the operator to check one
      // that was never sent.
      if (!this.settings.token) {
        throw new RegistryAuthError(`${endpoint}: HTTP ${status}; the registry asks for a token and none was given (set DDCN_REGISTRY_TOKEN)`);
      }
      throw new RegistryAuthError(`${endpoint}: HTTP ${status}; the registry refused the token (check --registry-token / DDCN_REGISTRY_TOKEN)`);
    }
    if (status >= 500 || status === 408) throw new RegistryServerError(status, `${endpoint}: HTTP ${status}`);
    if (status === 400) throw badRequest(endpoint, text);
    if (status === 413) throw new RegistryRejectedError(status, `${endpoint}: HTTP 413, request too large; lower --batch-size`);
    // Another service, or the API under another path, at that address: every request fails so until the URL is
    // corrected. The address without what a URL may carry besides (a user and password, a query).
    if (NO_API_THERE.has(status)) {
      throw new RegistryRejectedError(
        status,
        `${endpoint}: HTTP ${status} at ${url.origin}${url.pathname}: no registry API there; check --registry-url / DDCN_REGISTRY_URL (the API's base URL, to which ddcn adds v1/${endpoint})`,
      );
    }
    // Stryker disable next-line ConditionalExpression: a 1xx status is never a final answer: Node's fetch handles 100-199 itself and hands back the answer that follows
    if (status < 200 || status >= 300) throw new RegistryRejectedError(status, `${endpoint}: HTTP ${status}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RegistryInvalidAnswerError(`${endpoint} answer is not JSON (${text.length} characters); not used`);
    }
    return parse(json);
  }
}
