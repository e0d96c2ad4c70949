import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, withRetry, type FailureInfo, type RetryPolicy } from '../../src/adapters/retry.js';
import { sleep } from '../../src/sleep.js';

const POLICY: RetryPolicy = { retries: 3, baseMs: 100, maxMs: 1_000, maxRetryAfterMs: 5_000, rateLimitWaits: 2 };

class Flaky extends Error {
  constructor(readonly info: FailureInfo) {
    super('flaky');
  }
}
const classify = (err: unknown): FailureInfo => (err instanceof Flaky ? err.info : { retryable: false });

/** Records the delays instead of waiting them. */
function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('backoffDelay (full jitter)', () => {
  it('stays below base·2^n and never above the cap', () => {
    expect(backoffDelay(0, POLICY, () => 0.999)).toBe(99);
    expect(backoffDelay(2, POLICY, () => 0.999)).toBe(399);
    expect(backoffDelay(10, POLICY, () => 0.999)).toBe(999);
    expect(backoffDelay(3, POLICY, () => 0)).toBe(0);
  });

  it('spreads delays over the whole range rather than clustering them', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = Array.from({ length: 2000 }, () => backoffDelay(3, POLICY, random));
    expect(Math.min(...delays)).toBeLessThan(50);
    expect(Math.max(...delays)).toBeGreaterThan(750);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(600);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-06-03T01:30:00Z');
  it('reads delta-seconds and HTTP-dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 03 Jun 2024 01:30:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 03 Jun 2024 01:29:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    // Seconds only as a whole run of digits, spaces around allowed; digits beside other text are not seconds.
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('x5', now)).toBeNull();
    expect(parseRetryAfter('5 s', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('withRetry', () => {
  it('retries retryable failures with growing backoff until one succeeds', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const attempts: number[] = [];
    const out = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        calls += 1;
        if (calls < 3) throw new Flaky({ retryable: true });
        return 'ok';
      },
      { policy: POLICY, classify, sleep, random: () => 0.5 },
    );
    expect(out).toBe('ok');
    expect(calls).toBe(3);
    expect(attempts).toEqual([0, 1, 2]); // each attempt is told its number
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after the configured retries and throws the last failure', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls += 1;
        throw new Flaky({ retryable: true });
      },
      { policy: POLICY, classify, sleep, random: () => 0.5 },
    );
    await expect(failing).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(4); // 1 + 3 retries
    expect(waits).toHaveLength(3);
  });

  it('does not retry a failure that is not retryable', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Flaky({ retryable: false });
        },
        { policy: POLICY, classify, sleep },
      ),
    ).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('waits at least the Retry-After of a 429, without spending the failure retries', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const out = await withRetry(
      async () => {
        calls += 1;
        if (calls <= 2) throw new Flaky({ retryable: true, rateLimitedFor: 2000 });
        if (calls <= 5) throw new Flaky({ retryable: true });
        return calls;
      },
      { policy: POLICY, classify, sleep, random: () => 0 },
    );
    expect(out).toBe(6); // two 429 waits, then three failures: exactly the 3 retries
    expect(waits.slice(0, 2)).toEqual([2000, 2000]);
  });

  it('stops on 429 when the server asks for longer than it is willing to wait, or too often', async () => {
    const tooLong = withRetry(async () => Promise.reject(new Flaky({ retryable: true, rateLimitedFor: 60_000 })), { policy: POLICY, classify, sleep: async () => undefined });
    await expect(tooLong).rejects.toBeInstanceOf(Flaky);
    let asked = 0;
    const askedOnce = withRetry(async () => {
      asked += 1;
      throw new Flaky({ retryable: true, rateLimitedFor: 60_000 });
    }, { policy: POLICY, classify, sleep: async () => undefined });
    await expect(askedOnce).rejects.toBeInstanceOf(Flaky);
    expect(asked).toBe(1); // not asked again at all
    let calls = 0;
    const tooOften = withRetry(
      async () => {
        calls += 1;
        throw new Flaky({ retryable: true, rateLimitedFor: 10 });
      },
      { policy: POLICY, classify, sleep: async () => undefined },
    );
    await expect(tooOften).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(3); // 1 + rateLimitWaits
  });

  it('stops retrying when beforeRetry throws (an open circuit breaker)', async () => {
    let calls = 0;
    const stopped = new Error('breaker open');
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Flaky({ retryable: true });
        },
        { policy: POLICY, classify, sleep: async () => undefined, beforeRetry: () => {
          if (calls >= 2) throw stopped;
        } },
      ),
    ).rejects.toBe(stopped);
    expect(calls).toBe(2);
  });

  it('stops waiting between attempts as soon as the run is stopped, with the stop\'s reason, and tries no more', async () => {
    let calls = 0;
    const stop = new AbortController();
    const reason = new Error('interrupted');
    const retrying = withRetry(
      async () => {
        calls += 1;
        if (calls === 1) setTimeout(() => stop.abort(reason), 10); // stopped during the minute-long wait that follows
        throw new Flaky({ retryable: true });
      },
      { policy: { ...POLICY, baseMs: 60_000, maxMs: 60_000 }, classify, signal: stop.signal, random: () => 0.999 },
    );
    await expect(retrying).rejects.toBe(reason);
    expect(calls).toBe(1);
    await expect(sleep(60_000, stop.signal)).rejects.toBe(reason); // a wait asked for after the stop does not start
  }, 10_000);

  it('sleeps without a stop signal too, and leaves no listener on the run\'s signal after a sleep, ended or stopped', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const run = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    const stopped = sleep(60_000, run.signal);
    run.abort(new Error('stop'));
    await expect(stopped).rejects.toThrow('stop');
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  }, 10_000);

  it('waits what a 429 asked for (up to the most it will wait) plus a little jitter; without a Retry-After, a back-off', async () => {
    const { waits, sleep } = recorder();
    const answers: Array<number | null> = [POLICY.maxRetryAfterMs, null];
    let calls = 0;
    const out = await withRetry(async () => {
      calls += 1;
      if (calls <= answers.length) throw new Flaky({ retryable: true, rateLimitedFor: answers[calls - 1] });
      return 'ok';
    }, { policy: POLICY, classify, sleep, random: () => 0.5 });
    expect(out).toBe('ok');
    // jitter: half of min(maxMs, baseMs) = 50; the back-off for the second 429: half of min(maxMs, baseMs·2²) = 200
    expect(waits).toEqual([5000 + 50, 200 + 50]);
  });

  it('does not retry once the run is stopped', async () => {
    const { waits, sleep } = recorder();
    const stop = new AbortController();
    let calls = 0;
    const failed = new Flaky({ retryable: true });
    const run = withRetry(async () => {
      calls += 1;
      stop.abort(new Error('stop'));
      throw failed;
    }, { policy: POLICY, classify, sleep, signal: stop.signal });
    await expect(run).rejects.toBe(failed);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });
});
