import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerState } from '../../src/adapters/circuit-breaker.js';
import { RegistryCircuitOpenError } from '../../src/adapters/http-errors.js';

function setup(failureThreshold = 3, cooldownMs = 1000) {
  let now = 0;
  const changes: BreakerState[] = [];
  const failuresAtChange: number[] = [];
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs }, () => now, (s, info) => {
    changes.push(s);
    failuresAtChange.push(info.failures);
  });
  const calls = { n: 0 };
  const ok = () => breaker.execute(async () => void (calls.n += 1));
  const bad = () => breaker.execute(async () => {
    calls.n += 1;
    throw new Error('HTTP 503');
  });
  /** A request that is out until `settle` is called, then succeeds or fails. */
  const pending = () => {
    let settle!: (fail: boolean) => void;
    const done = breaker.execute(() => new Promise<void>((ok, no) => (settle = (fail) => (fail ? no(new Error('HTTP 503')) : ok()))));
    return { done, settle: (fail: boolean) => settle(fail) };
  };
  return { breaker, changes, failuresAtChange, calls, ok, bad, pending, advance: (ms: number) => void (now += ms) };
}

describe('circuit breaker', () => {
  it('opens after the threshold of failed requests in a row and then fails fast without calling', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow('HTTP 503');
    expect(b.breaker.state).toBe('open');
    await expect(b.ok()).rejects.toBeInstanceOf(RegistryCircuitOpenError);
    expect(b.calls.n).toBe(3);
    expect(b.changes).toEqual(['open']);
  });

  it('does not open while failures are interrupted by successes', async () => {
    const b = setup();
    for (let i = 0; i < 10; i++) {
      await expect(b.bad()).rejects.toThrow();
      await expect(b.bad()).rejects.toThrow();
      await b.ok();
    }
    expect(b.breaker.state).toBe('closed');
  });

  it('lets one probe through after the cool-down: success closes it', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow();
    b.advance(999);
    await expect(b.ok()).rejects.toBeInstanceOf(RegistryCircuitOpenError);
    b.advance(1);
    let release!: () => void;
    const probe = b.breaker.execute(() => new Promise<void>((r) => (release = r)));
    // While the probe is out, everyone else still fails fast.
    await expect(b.ok()).rejects.toBeInstanceOf(RegistryCircuitOpenError);
    release();
    await probe;
    expect(b.breaker.state).toBe('closed');
    await b.ok();
    expect(b.changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again at once when the probe fails', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow();
    b.advance(1000);
    await expect(b.bad()).rejects.toThrow('HTTP 503');
    expect(b.breaker.state).toBe('open');
    await expect(b.ok()).rejects.toBeInstanceOf(RegistryCircuitOpenError);
    expect(b.breaker.opened).toBe(2);
  });

  it('stops a request that is retrying once the breaker has opened (the guard)', async () => {
    const b = setup(1);
    let release!: () => void;
    const retrying = b.breaker.execute(async (guard) => {
      await new Promise<void>((r) => (release = r));
      guard(); // before its next attempt
      return 'should not get here';
    });
    await expect(b.bad()).rejects.toThrow(); // opens it (threshold 1)
    release();
    await expect(retrying).rejects.toBeInstanceOf(RegistryCircuitOpenError);
  });

  it('does not count failures the caller says are not the registry’s (a shutdown)', async () => {
    const b = setup(1);
    await expect(b.breaker.execute(async () => Promise.reject(new Error('aborted')), () => false)).rejects.toThrow('aborted');
    expect(b.breaker.state).toBe('closed');
  });

  // What the operator reads when a request is refused, and what the log says when the breaker opens.
  it('says how many requests failed and how long it will not ask, and reports the count when it opens', async () => {
    const b = setup(3, 30_000);
    b.advance(5000); // a clock that does not start at 0
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow();
    expect(b.failuresAtChange).toEqual([3]);
    b.advance(10_400);
    await expect(b.ok()).rejects.toThrow('open after 3 failed requests in a row; not asking for another 20 s');
    b.advance(19_000);
    await expect(b.ok()).rejects.toThrow('not asking for another 1 s');
  });

  it('lets a probe through after every cool-down, not only the first', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow();
    b.advance(1000);
    await expect(b.bad()).rejects.toThrow('HTTP 503'); // the first probe fails
    b.advance(1000);
    await b.ok(); // the second is let through, and closes it
    expect(b.breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) await expect(b.bad()).rejects.toThrow();
    b.advance(1000);
    await b.ok(); // and after opening again, so is the next
    expect(b.changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed', 'open', 'half-open', 'closed']);
  });

  it('lets one probe at a time through: a request sent before it opened neither frees a second probe nor re-opens it', async () => {
    const b = setup(1);
    const stale = b.pending(); // out while the breaker is still closed
    await expect(b.bad()).rejects.toThrow(); // opens it
    b.advance(1000);
    const probe = b.pending();
    expect(b.breaker.state).toBe('half-open');
    stale.settle(true);
    await expect(stale.done).rejects.toThrow('HTTP 503');
    expect(b.breaker.state).toBe('half-open');
    await expect(b.ok()).rejects.toBeInstanceOf(RegistryCircuitOpenError); // still the one probe
    probe.settle(false);
    await probe.done;
    expect(b.changes).toEqual(['open', 'half-open', 'closed']);
    expect(b.breaker.opened).toBe(1);
  });
});
