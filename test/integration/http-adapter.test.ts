// The HTTP adapter against local servers that misbehave on purpose (real sockets, no mocked fetch): timeouts,
// 429 with Retry-After, 5xx, cut-off bodies, answers that do not fit, a registry that stays down; and the
// settings check at start-up.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serversClosedAfterEach } from '../helpers/test-servers.js';
import { HttpRegistry, type HttpRegistrySettings } from '../../src/adapters/http.js';
import { fromWireRequest, toWireAnswer, WireShareRequest, WireVerifyRequest } from '../../src/adapters/http-wire.js';
import type { MockRegistry } from '../../src/adapters/mock.js';
import { UsageError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { registrySettings } from '../../src/cli/registry.js';
import {
  databasePerFile, deps, exportedResults, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();
const log = createLogger('silent');

const PEOPLE: ParticipantInput[] = Array.from({ length: 12 }, (_, k) => {
  const i = String(k + 1).padStart(2, '0');
  return { ma_so_bhxh: `01000000${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `01/01/1990`, gioi_tinh: 'Nam', so_giay_to: `0123456${i}`, ma_don_vi: 'TA0001A', ma_tinh: '01' };
});
const REGISTRY: RegistryInput[] = PEOPLE.map((p, k) => ({
  so_ddcn: `0010900000${String(k + 1).padStart(2, '0')}`, so_cmnd: p.so_giay_to, ho_ten: p.ho_ten!, ngay_sinh: p.ngay_sinh!, gioi_tinh: 'Nam',
}));

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: unknown, n: number) => void | Promise<void>;

const opened = serversClosedAfterEach();

/** A local registry whose every answer the test decides; `seen` records when each request arrived. */
async function scripted(handler: Handler) {
  const seen: Array<{ at: number; path: string; auth?: string }> = [];
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    seen.push({ at: Date.now(), path: req.url ?? '', auth: req.headers.authorization });
    await handler(req, res, JSON.parse(Buffer.concat(parts).toString() || 'null'), seen.length);
  });
  opened.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The correct answer to a verify or share body, from the in-process mock. */
async function answer(mock: MockRegistry, body: unknown): Promise<{ answers: Array<Record<string, unknown>> } | { acknowledged: string[] }> {
  const share = WireShareRequest.safeParse(body);
  if (share.success) return { acknowledged: share.data.records.map((r) => r.request_id) };
  const req = WireVerifyRequest.parse(body);
  return { answers: (await mock.verify(req.requests.map(fromWireRequest))).map(toWireAnswer) };
}

function adapter(url: string, over: Partial<HttpRegistrySettings> = {}) {
  return new HttpRegistry(
    {
      url, timeoutMs: 300, concurrency: 2,
      retry: { retries: 3, baseMs: 10, maxMs: 50, maxRetryAfterMs: 5000, rateLimitWaits: 5 },
      breaker: { failureThreshold: 100, cooldownMs: 60_000 },
      ...over,
    },
    log,
  );
}

async function setup() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const mock = await mockRegistry(await writeRegistry(dir, REGISTRY));
  return { db, dir, mock };
}

const ASK = [{ requestId: '0100000001', hoTen: 'Nguyễn Văn Số 01', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345601' }];

describe('HTTP adapter: retries', () => {
  it('retries a request that got no answer within the timeout and uses the next answer', async () => {
    const { mock } = await setup();
    const s = await scripted(async (_req, res, body, n) => {
      if (n === 1) return; // stalls: never answers
      json(res, 200, await answer(mock, body));
    });
    const started = Date.now();
    expect(await adapter(s.url).verify(ASK)).toEqual([{ requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] }]);
    expect(s.seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('waits for Retry-After on 429 before asking again', async () => {
    const { mock } = await setup();
    const s = await scripted(async (_req, res, body, n) => {
      if (n === 1) return json(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '1' });
      json(res, 200, await answer(mock, body));
    });
    await adapter(s.url).verify(ASK);
    expect(s.seen).toHaveLength(2);
    expect(s.seen[1]!.at - s.seen[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('retries 5xx and answers cut off part-way, and sends the bearer token every time', async () => {
    const { mock } = await setup();
    const s = await scripted(async (_req, res, body, n) => {
      if (n === 1) return json(res, 503, { error: { code: 'unavailable', message: 'try later' } });
      if (n === 2) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        return void res.write('{"answers":[{"request_id":"01000', () => res.destroy());
      }
      json(res, 200, await answer(mock, body));
    });
    const a = adapter(s.url, { token: 't0ken' });
    expect(await a.verify(ASK)).toHaveLength(1);
    expect(s.seen.map((x) => x.auth)).toEqual(['Bearer t0ken', 'Bearer t0ken', 'Bearer t0ken']);
    expect(a.failureSummary()).toBeNull();
  });

  it('reports an unreachable registry by kind after its retries', async () => {
    const s = await scripted(() => undefined);
    const url = s.url;
    await new Promise((ok) => opened.pop()!.close(ok)); // nothing listens there any more
    await expect(adapter(url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryUnreachable' });
  });

  // The kind is what a PENDING person's row and the run's summary say went wrong: the operator acts on it.
  it('reports a registry that never answers, and one that keeps answering 429, by kind in the summary', async () => {
    const quick = { retries: 1, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0, rateLimitWaits: 0 };
    const silent = adapter((await scripted(() => undefined)).url, { timeoutMs: 50, retry: quick });
    await expect(silent.verify(ASK)).rejects.toMatchObject({ name: 'RegistryTimeout' });
    expect(silent.failureSummary()).toContain('1 × RegistryTimeout');
    const busy = adapter((await scripted((_req, res) => json(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }))).url, { retry: quick });
    await expect(busy.verify(ASK)).rejects.toMatchObject({ name: 'RegistryRateLimited' });
    expect(busy.failureSummary()).toContain('1 × RegistryRateLimited');
  });
});

describe('HTTP adapter in a run', () => {
  it('never writes an answer that names people we did not ask about: retried, then PENDING', async () => {
    const { db, dir, mock } = await setup();
    const s = await scripted(async (_req, res, body) => {
      const good = await answer(mock, body);
      // Every answer comes with one more, for a person nobody asked about.
      if ('answers' in good) good.answers.push({ ...good.answers[0]!, request_id: '0999999999' });
      json(res, 200, good);
    });
    const result = await runBatch(runDeps(db, adapter(s.url, { retry: { retries: 1, baseMs: 1, maxMs: 5, maxRetryAfterMs: 0, rateLimitWaits: 0 } }), { chunkSize: 6, batchSize: 3, concurrency: 2 }), { province: null });
    expect(result.counts).toMatchObject({ read: 12, matched: 0, pending: 12, errors: 12 });
    const out = await exportedResults(deps(db), dir);
    expect([...out.rows.values()].map((r) => [r.ma_so_bhxh, r.status, r.so_ddcn])).toEqual(PEOPLE.map((p) => [p.ma_so_bhxh, 'PENDING', '']));
    expect(await rows(db, 'SELECT count(*)::int AS n FROM number_history')).toEqual([{ n: 0 }]);
    expect(await rows(db, `SELECT DISTINCT detail->>'error' AS kind FROM verification`)).toEqual([{ kind: 'RegistryInvalidAnswer' }]);
    expect(await rows(db, `SELECT count(*)::int AS n FROM participant WHERE so_giay_to LIKE '0123456%'`)).toEqual([{ n: 12 }]);
  });

  it('stops asking once the circuit breaker opens, leaves the rest PENDING and still finishes the batch', async () => {
    const { db, dir, mock } = await setup();
    const s = await scripted((_req, res) => json(res, 503, { error: { code: 'unavailable', message: 'down' } }));
    const a = adapter(s.url, { concurrency: 1, retry: { retries: 1, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0, rateLimitWaits: 0 }, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    const result = await runBatch(runDeps(db, a, { chunkSize: 4, batchSize: 2, concurrency: 1 }), { province: null });
    // Two requests of two attempts each, then the breaker is open: the other four requests never leave.
    expect(s.seen).toHaveLength(4);
    expect(result.counts).toMatchObject({ read: 12, pending: 12, errors: 12 });
    expect(await rows(db, `SELECT phase FROM batch`)).toEqual([{ phase: 'done' }]);
    expect(await rows(db, `SELECT detail->>'error' AS kind, count(*)::int AS n FROM verification GROUP BY 1 ORDER BY 1`)).toEqual([
      { kind: 'RegistryCircuitOpen', n: 8 },
      { kind: 'RegistryServerError', n: 4 },
    ]);
    expect(a.failureSummary()).toMatch(/2 registry requests failed after retries \(2 × RegistryServerError\); the circuit breaker opened/);

    // The registry is back: the next run asks for exactly the twelve and resolves them.
    const back = await scripted(async (_req, res, body) => json(res, 200, await answer(mock, body)));
    const next = await runBatch(runDeps(db, adapter(back.url), { chunkSize: 4, batchSize: 2, concurrency: 1 }), { province: null });
    expect(next.counts).toMatchObject({ read: 12, matched: 12, pending: 0, errors: 0 });
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status])).toEqual(
      PEOPLE.map((p) => [p.ma_so_bhxh, 'MATCHED']),
    );
  });
});

describe('registry settings', () => {
  it('takes flags before environment variables and fills in defaults', () => {
    const s = registrySettings({ registry: 'http', registryTimeout: '2500', concurrency: 8 }, {
      DDCN_REGISTRY_URL: 'https://gateway.example.vn/dlqg', DDCN_REGISTRY_TOKEN: 'abc', DDCN_REGISTRY_TIMEOUT_MS: '9999', DDCN_REGISTRY_BREAKER_FAILURES: '7',
    });
    expect(s).toMatchObject({
      kind: 'http',
      http: { url: 'https://gateway.example.vn/dlqg', token: 'abc', timeoutMs: 2500, concurrency: 8, retry: { retries: 5 }, breaker: { failureThreshold: 7, cooldownMs: 30_000 } },
    });
  });

  it('fails at start-up with a message naming the flag and variable', () => {
    const attempt = (env: NodeJS.ProcessEnv, opts = {}) => () => registrySettings({ registry: 'http', ...opts }, env);
    expect(attempt({})).toThrow(UsageError);
    expect(attempt({})).toThrow('--registry-url / DDCN_REGISTRY_URL: is required');
    expect(attempt({ DDCN_REGISTRY_URL: 'ftp://x' })).toThrow('must be an http:// or https:// URL');
    expect(attempt({ DDCN_REGISTRY_URL: 'http://x', DDCN_REGISTRY_TIMEOUT_MS: 'soon' })).toThrow('--registry-timeout / DDCN_REGISTRY_TIMEOUT_MS: must be a whole number');
    expect(attempt({ DDCN_REGISTRY_URL: 'http://x', DDCN_REGISTRY_RETRIES: '-1' })).toThrow('DDCN_REGISTRY_RETRIES');
    expect(() => registrySettings({ registry: 'file', outbox: '/tmp/x' }, {})).toThrow('--inbox / DDCN_REGISTRY_INBOX: is required');
    expect(() => registrySettings({ registry: 'file', outbox: '/tmp/x', inbox: '/tmp/x/' }, {})).toThrow('must be different folders');
    expect(() => registrySettings({ registry: 'mock', registryData: 'fixtures/registry.csv', registryUrl: 'http://x' }, {})).toThrow(
      '--registry-url belongs to --registry http, but the registry is mock',
    );
  });
});
