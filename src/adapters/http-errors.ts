// Why a registry request failed, by kind. The class name is the error kind the pipeline stores with a PENDING
// person (verification.detail.error). Messages carry status codes and counts, never a body: a garbled answer
// may hold personal data.
import { RegistryUnavailableError } from '../errors.js';

export class RegistryRequestError extends RegistryUnavailableError {
  /** Worth trying again: the same request may succeed later. */
  readonly retryable: boolean = true;
}

/** No answer within the per-request timeout (or the answer stalled part-way). */
export class RegistryTimeoutError extends RegistryRequestError {
  override name = 'RegistryTimeout';
}

/** Connection refused, reset, or closed before the whole answer arrived. */
export class RegistryUnreachableError extends RegistryRequestError {
  override name = 'RegistryUnreachable';
}

/** HTTP 5xx (or 408). */
export class RegistryServerError extends RegistryRequestError {
  override name = 'RegistryServerError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** HTTP 429: the registry asks us to slow down; `retryAfterMs` is its Retry-After, when it sent one. */
export class RegistryRateLimitedError extends RegistryRequestError {
  override name = 'RegistryRateLimited';
  constructor(readonly retryAfterMs: number | null, message: string) {
    super(message);
  }
}

/** A 2xx answer that is not JSON, does not fit the schema, or names people we did not ask about / misses some. */
export class RegistryInvalidAnswerError extends RegistryRequestError {
  override name = 'RegistryInvalidAnswer';
}

/** HTTP 401/403: the token is missing or wrong. Not retried: it will not fix itself. */
export class RegistryAuthError extends RegistryRequestError {
  override name = 'RegistryAuthRejected';
  override readonly retryable = false;
}

/** Another 4xx: the registry refuses the request as such (too large, malformed). Not retried. */
export class RegistryRejectedError extends RegistryRequestError {
  override name = 'RegistryRequestRejected';
  override readonly retryable = false;
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The circuit breaker is open: the registry is not asked until its cool-down ends. */
export class RegistryCircuitOpenError extends RegistryRequestError {
  override name = 'RegistryCircuitOpen';
  // Stryker disable next-line BooleanLiteral: the breaker's guard runs before every retry and throws again: a retry sends no request, it only waits
  override readonly retryable = false;
}

/** An answer body longer than the bound (DDCN_REGISTRY_MAX_ANSWER_BYTES): not read further, not used. */
export class RegistryAnswerTooLargeError extends RegistryInvalidAnswerError {
  override name = 'RegistryAnswerTooLarge';
}

/**
 * HTTP 400 refusing what the request says (not its JSON or its ids): the data of one or more people in it, which a
 * smaller request without them may not have. `paths` are where the registry says the request does not fit
 * (`requests.3.ho_ten`), structure only, never values. Not retried, and not a sign that the registry is down.
 */
export class RegistryRefusedError extends RegistryRejectedError {
  // Named as its parent: the error kind stored with PENDING people and counted in the summary stays the same.
  constructor(message: string, readonly paths: string[]) {
    super(400, message);
  }
}
