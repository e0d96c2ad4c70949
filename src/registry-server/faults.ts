// Fault injection for the mock registry server: what goes wrong with one request, drawn from one seeded
// random stream so that a test can replay the same sequence of faults.
import { mulberry32 } from '../prng.js';

export interface FaultOptions {
  latencyMs: number; // added before every answer
  failRate: number; // HTTP 500 / 503
  timeoutRate: number; // never answers
  garbageRate: number; // malformed or truncated bodies, answers for people not asked, missing answers
  rateLimit: number; // requests per second before 429 with Retry-After; 0 = no limit
  seed?: number; // fixes the random stream
}

export const NO_FAULTS: FaultOptions = { latencyMs: 0, failRate: 0, timeoutRate: 0, garbageRate: 0, rateLimit: 0 };

export type Fault = 'none' | 'timeout' | 'fail' | 'garbage';
export type Garbage = 'malformed' | 'truncated' | 'stranger' | 'missing' | 'wrong_type';
export const GARBAGE: readonly Garbage[] = ['malformed', 'truncated', 'stranger', 'missing', 'wrong_type'];


export class FaultPlan {
  private readonly random: () => number;
  private windowStart = 0;
  private inWindow = 0;

  constructor(
    readonly options: FaultOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.random = options.seed === undefined ? Math.random : mulberry32(options.seed);
  }

  /** One draw decides the fault, so the rates are exact and never overlap. */
  draw(): Fault {
    const r = this.random();
    const o = this.options;
    if (r < o.timeoutRate) return 'timeout';
    if (r < o.timeoutRate + o.failRate) return 'fail';
    if (r < o.timeoutRate + o.failRate + o.garbageRate) return 'garbage';
    return 'none';
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** A fixed one-second window: null while under the limit, else the seconds to wait (Retry-After). */
  rateLimited(): number | null {
    if (this.options.rateLimit <= 0) return null;
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow += 1;
    if (this.inWindow <= this.options.rateLimit) return null;
    return Math.max(1, Math.ceil((this.windowStart + 1000 - now) / 1000));
  }
}
