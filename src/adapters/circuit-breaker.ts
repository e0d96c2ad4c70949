// A circuit breaker over whole registry requests (each after its own retries). `failureThreshold` requests failing
// in a row open it: from then on requests fail at once, without touching the network, until `cooldownMs` has
// passed. Then one request is let through as a probe: success closes the breaker, failure opens it again.
// Counting whole requests rather than attempts keeps a flaky-but-working registry (a third of attempts failing)
// from tripping it, while a registry that is down trips it after a handful of requests.
import { RegistryCircuitOpenError } from './http-errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 3, cooldownMs: 30_000 };

/** Handed to the guarded function: throws once the breaker has opened, so a retrying request stops. */
export type BreakerGuard = () => void;

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  /** How often the breaker opened; for the run summary. */
  opened = 0;

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState, info: { failures: number }) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  private transition(to: BreakerState): void {
    if (this.current === to) return;
    this.current = to;
    if (to === 'open') {
      this.openedAt = this.now();
      this.opened += 1;
    }
    this.onChange(to, { failures: this.consecutiveFailures });
  }

  private refused(): RegistryCircuitOpenError {
    const left = Math.max(0, this.options.cooldownMs - (this.now() - this.openedAt));
    return new RegistryCircuitOpenError(
      `registry circuit breaker is open after ${this.consecutiveFailures} failed requests in a row; not asking for another ${Math.ceil(left / 1000)} s`,
    );
  }

  /** Runs fn unless the breaker is open; records its outcome. Errors that `counts` rejects do not count as failures. */
  async execute<T>(fn: (guard: BreakerGuard) => Promise<T>, counts: (err: unknown) => boolean = () => true): Promise<T> {
    let probe = false;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) throw this.refused();
      this.transition('half-open');
    }
    if (this.current === 'half-open') {
      if (this.probing) throw this.refused();
      this.probing = true;
      probe = true;
    }
    const guard: BreakerGuard = () => {
      if (!probe && this.current !== 'closed') throw this.refused();
    };
    try {
      const out = await fn(guard);
      this.consecutiveFailures = 0;
      this.transition('closed');
      return out;
    } catch (err) {
      if (err instanceof RegistryCircuitOpenError || !counts(err)) throw err;
      this.consecutiveFailures += 1;
      if (probe) {
        this.openedAt = this.now();
        this.transition('open');
      } else if (this.current === 'closed' && this.consecutiveFailures >= this.options.failureThreshold) {
        this.transition('open');
      }
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }
}
