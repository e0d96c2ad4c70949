import type { Logger } from '../log.js';

/**
 * Registry requests that failed in one chunk step, said once at its end (the first error, how many requests and
 * people): one warning per request, each with its stack, buried the run's summary when the registry was down for
 * everyone. Each request is logged at debug as it fails.
 */
export class FailedRequests {
  private requests = 0;
  private people = 0;
  private first: unknown;

  constructor(private readonly log: Logger, private readonly what: string) {}

  add(err: unknown, people: number): void {
    this.log.debug({ err, people }, `${this.what} request failed`);
    this.requests += 1;
    this.people += people;
    if (this.requests === 1) this.first = err;
  }

  /** The warning, when any request failed: `${what} requests failed; ${consequence}`. */
  warn(consequence: string): void {
    if (this.requests) this.log.warn({ err: this.first, requests: this.requests, people: this.people }, `${this.what} requests failed; ${consequence}`);
  }
}
