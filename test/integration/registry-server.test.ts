// The mock registry server (`ddcn registry serve`) on a real socket: the same answers as the in-process mock, the
// API's errors, the bearer token, and each kind of injected fault as the client sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import { HttpRegistry } from '../../src/adapters/http.js';
import { parseVerifyResponse } from '../../src/adapters/http-wire.js';
import type { VerifyRequest } from '../../src/adapters/types.js';
import { exportChunk } from '../../src/db/verifications.js';
import { preflight } from '../../src/pipeline/preflight.js';
import { createLogger } from '../../src/log.js';
import { createRegistryServer, type RegistryServer } from '../../src/registry-server/server.js';
import type { FaultOptions } from '../../src/registry-server/faults.js';
import { databasePerFile } from '../helpers/pipeline.js';
import { FIXTURE_REGISTRY, importFixtures } from './http-harness.js';

const database = databasePerFile();
const log = createLogger('silent');

let mock: MockRegistry;
const servers: RegistryServer[] = [];

async function serve(opts: { token?: string; faults?: Partial<FaultOptions> } = {}) {
  const s = createRegistryServer({
    registry: mock,
    token: opts.token,
    log,
    faults: { latencyMs: 0, failRate: 0, timeoutRate: 0, garbageRate: 0, rateLimit: 0, seed: 1, ...opts.faults },
  });
  servers.push(s);
  return { ...s, url: await s.listen(0) };
}

function client(url: string, token?: string) {
  return new HttpRegistry(
    { url, token, timeoutMs: 2000, concurrency: 4, retry: { retries: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0, rateLimitWaits: 0 }, breaker: { failureThreshold: 1000, cooldownMs: 0 } },
    log,
  );
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const ONE: VerifyRequest = { requestId: '0100000001', hoTen: 'Nguyễn Thị Tuyết', ngaySinh: '1966-08-15', gioiTinh: 'F', soGiayTo: '096166538554' };
const wireOne = { requests: [{ request_id: '0100000001', ho_ten: 'Nguyễn Thị Tuyết', ngay_sinh: '1966-08-15', gioi_tinh: 'F', so_giay_to: '096166538554' }] };

beforeAll(async () => {
  mock = new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('mock registry server', () => {
  it('answers every fixture participant exactly as the in-process mock does', async () => {
    const { db } = database();
    await importFixtures(db);
    const people = await exportChunk(db, { keyFrom: '0000000000', keyTo: '9999999999', province: null });
    const { toSend } = preflight(people);
    expect(toSend.length).toBe(328);
    const s = await serve();
    const http = client(s.url);
    const batches: VerifyRequest[][] = [];
    for (let i = 0; i < toSend.length; i += 100) batches.push(toSend.slice(i, i + 100));
    for (const b of batches) expect(await http.verify(b)).toEqual(await mock.verify(b));
    expect(s.stats).toMatchObject({ requests: 4, answered: 4, people: 328 });
  });

  it('acknowledges shared insurance information by request id', async () => {
    const s = await serve();
    const acked = await client(s.url).share([
      { requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '096166538554', vssid: true },
      { requestId: '0100000003', maSoBhxh: '0100000003', soDdcn: '079196153124', vssid: false },
    ]);
    expect(acked).toEqual(['0100000001', '0100000003']);
  });

  it('requires the bearer token when it has one, and says so with 401 and WWW-Authenticate', async () => {
    const s = await serve({ token: 'n1ght-run' });
    const none = await post(s.url, '/v1/verify', wireOne);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect((await post(s.url, '/v1/verify', wireOne, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(s.url, '/v1/verify', wireOne, { authorization: 'Bearer n1ght-run' })).status).toBe(200);
    await expect(client(s.url).verify([ONE])).rejects.toMatchObject({ name: 'RegistryAuthRejected' });
    expect(await client(s.url, 'n1ght-run').verify([ONE])).toEqual([{ requestId: '0100000001', matched: true, soDdcn: '096166538554', fields: [] }]);
  });

  it('refuses requests that do not fit the API with 4xx and a reason that carries no personal data', async () => {
    const s = await serve();
    const bad = await post(s.url, '/v1/verify', { requests: [{ ...wireOne.requests[0], so_giay_to: '12345', gioi_tinh: 'X' }] });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('requests.0.so_giay_to');
    expect(body.error.message).not.toContain('12345');
    expect((await post(s.url, '/v1/verify', '{"requests": [')).status).toBe(400);
    expect((await post(s.url, '/v1/verify', { requests: [wireOne.requests[0], wireOne.requests[0]] })).status).toBe(400);
    const many = { requests: Array.from({ length: 1001 }, (_, i) => ({ ...wireOne.requests[0], request_id: String(i) })) };
    expect((await post(s.url, '/v1/verify', many)).status).toBe(413);
    expect((await post(s.url, '/v1/nope', {})).status).toBe(404);
    expect((await fetch(`${s.url}/v1/verify`)).status).toBe(405);
    expect(await (await fetch(`${s.url}/v1/health`)).json()).toEqual({ status: 'ok' });
  });

  it('rate-limits with 429 and Retry-After in seconds', async () => {
    const s = await serve({ faults: { rateLimit: 2 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await post(s.url, '/v1/verify', wireOne);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(retryAfter).toBe('1');
  });

  it('injects HTTP 500/503 at --fail-rate', async () => {
    const s = await serve({ faults: { failRate: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) statuses.add((await post(s.url, '/v1/verify', wireOne)).status);
    expect([...statuses].sort()).toEqual([500, 503]);
  });

  it('never answers at --timeout-rate', async () => {
    const s = await serve({ faults: { timeoutRate: 1 } });
    const started = Date.now();
    const res = await fetch(`${s.url}/v1/verify`, { method: 'POST', body: JSON.stringify(wireOne), signal: AbortSignal.timeout(300) }).catch((e: Error) => e);
    expect(res).toBeInstanceOf(Error);
    expect((res as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(s.stats.timedOut).toBeGreaterThanOrEqual(1);
  });

  it('at --garbage-rate answers in ways the client must refuse: malformed, truncated, strangers, missing people, wrong types', async () => {
    const s = await serve({ faults: { garbageRate: 1 } });
    const asked: VerifyRequest[] = [ONE, { ...ONE, requestId: '0100000002', soGiayTo: '685506654' }];
    const outcomes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      let text: string;
      try {
        const res = await post(s.url, '/v1/verify', { requests: asked.map((r) => ({ request_id: r.requestId, ho_ten: r.hoTen, ngay_sinh: r.ngaySinh, gioi_tinh: r.gioiTinh, so_giay_to: r.soGiayTo })) });
        text = await res.text();
      } catch {
        outcomes.add('truncated');
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        outcomes.add('not-json');
        continue;
      }
      const parsed = parseVerifyResponse(json, asked);
      expect(typeof parsed, 'a garbage answer must never parse as answers').toBe('string');
      outcomes.add(parsed as string);
    }
    expect([...outcomes].sort()).toEqual(['missing_id', 'not-json', 'schema', 'truncated', 'unknown_id']);
    expect(s.stats.garbage).toBe(40);
  });
});
