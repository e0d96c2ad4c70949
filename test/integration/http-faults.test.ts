// The nightly run against a registry that misbehaves: a flaky registry (30 % 5xx, 5 % no answer, 5 % garbage)
// still ends with exactly the results of a clean run, and a registry that is down leaves everyone PENDING, exits
// non-zero with a message that says so, and the next run resumes cleanly.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { HttpRegistry } from '../../src/adapters/http.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import { createLogger } from '../../src/log.js';
import { runBatch } from '../../src/pipeline/run.js';
import { createRegistryServer, type RegistryServer } from '../../src/registry-server/server.js';
import { createTestDatabase } from '../helpers/db.js';
import { databasePerFile, runDeps, rows } from '../helpers/pipeline.js';
import { ddcn, endState, expectEndState, FIXTURE_REGISTRY, importFixtures, startRegistryServer } from './http-harness.js';

const database = databasePerFile();
const log = createLogger('silent');
const CONFIG = { chunkSize: 100, batchSize: 10, concurrency: 4 };

let reference: Awaited<ReturnType<typeof endState>>;

beforeAll(async () => {
  const t = await createTestDatabase();
  try {
    await importFixtures(t.db);
    const clean = await runBatch(runDeps(t.db, new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)), CONFIG), { province: null });
    expect(clean.counts).toMatchObject({ matched: 291, mismatched: 35, missing: 7, conflict: 2, pending: 0 });
    reference = await endState(t.db);
  } finally {
    await t.drop();
  }
});

describe('a flaky registry', () => {
  let server: RegistryServer;
  let url: string;
  beforeAll(async () => {
    server = createRegistryServer({
      registry: new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)),
      log,
      faults: { latencyMs: 0, failRate: 0.3, timeoutRate: 0.05, garbageRate: 0.05, rateLimit: 0, seed: 4 },
    });
    url = await server.listen(0);
  });
  afterAll(() => server?.close());

  it('with --fail-rate 0.3 --timeout-rate 0.05 --garbage-rate 0.05 ends, over at most a few runs, with exactly the clean results', async () => {
    const { db } = database();
    await importFixtures(db);
    const runs: Array<{ pending: number; shareFailed: number }> = [];
    for (let i = 0; i < 4; i++) {
      const registry = new HttpRegistry(
        { url, timeoutMs: 250, concurrency: 4, retry: { retries: 5, baseMs: 5, maxMs: 50, maxRetryAfterMs: 1000, rateLimitWaits: 5 }, breaker: { failureThreshold: 5, cooldownMs: 1000 } },
        log,
      );
      const r = await runBatch(runDeps(db, registry, CONFIG), { province: null });
      runs.push({ pending: r.counts.pending, shareFailed: r.shareFailed });
      if (r.counts.pending === 0 && r.shareFailed === 0) break;
    }
    expect(runs.length).toBeLessThanOrEqual(3);
    expect(server.stats.failed + server.stats.timedOut + server.stats.garbage).toBeGreaterThan(10); // the faults did happen
    const state = await endState(db);
    expectEndState(state, reference);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

describe('the registry down', () => {
  it('leaves everyone PENDING, exits non-zero saying the registry is unavailable, and the next run resumes cleanly', async () => {
    const { db, url: databaseUrl } = database();
    await importFixtures(db);
    const env = { DATABASE_URL: databaseUrl, DDCN_REGISTRY_BACKOFF_MS: '10', DDCN_REGISTRY_RETRIES: '2', DDCN_REGISTRY_TOKEN: 's3cret' };
    const args = (url: string) => ['run', '--registry', 'http', '--registry-url', url, '--batch-size', '20'];

    const [down, misconfigured] = await Promise.all([
      ddcn(args(`http://127.0.0.1:${await closedPort()}`), env),
      ddcn(['run', '--registry', 'http'], { DATABASE_URL: databaseUrl, DDCN_REGISTRY_TIMEOUT_MS: 'ten' }),
    ]);
    expect(misconfigured.code).toBe(2);
    expect(misconfigured.stderr).toContain('--registry-url / DDCN_REGISTRY_URL: is required');
    expect(misconfigured.stderr).toContain('--registry-timeout / DDCN_REGISTRY_TIMEOUT_MS: must be a whole number');

    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ddcn: the registry is unavailable \(.*RegistryUnreachable.*circuit breaker opened.*\): 328 people could not be verified/);
    expect(down.stderr).toContain('They are PENDING and the next `ddcn run` picks them up.');
    expect(await rows(db, 'SELECT status, count(*)::int AS n FROM participant GROUP BY 1 ORDER BY 1')).toEqual([
      { status: 'MISSING_ID', n: 7 },
      { status: 'PENDING', n: 328 },
    ]);
    expect(await rows(db, 'SELECT phase FROM batch')).toEqual([{ phase: 'done' }]); // bookkeeping finished

    const server = await startRegistryServer(['--token', 's3cret', '--latency-ms', '5']);
    try {
      const back = await ddcn(args(server.url), env);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stderr).toMatch(/328 read · 291 MATCHED · 35 MISMATCHED · 0 MISSING_ID · 2 CONFLICT · 0 PENDING · 0 errors · 291 shared/);
    } finally {
      await server.stop();
    }
    const state = await endState(db);
    expect(state.results).toBe(reference.results);
    expect(state.history).toEqual(reference.history);
    expect(state.shares).toEqual(reference.shares);
  });
});
