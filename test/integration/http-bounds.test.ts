// The registry client against registries that misbehave on a real socket: an answer that never ends, and
// refusals caused by one person's data. What a user checks: who is PENDING, who needs fixing, and that the run
// neither grows without bound nor blocks everyone for one record.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { HttpRegistry, type HttpRegistrySettings } from '../../src/adapters/http.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { createRegistryServer } from '../../src/registry-server/server.js';
import { createLogger } from '../../src/log.js';
import { mismatchText } from '../../src/reports/mismatch-text.js';
import type { ListRow } from '../../src/reports/list-row.js';
import {
  databasePerFile, deps, exportedResults, rows, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();
const log = createLogger('silent');
const MiB = 1024 * 1024;

const settings = (url: string, extra: Partial<HttpRegistrySettings> = {}): HttpRegistrySettings => ({
  url, timeoutMs: 20_000, concurrency: 4, retry: { retries: 0, baseMs: 5, maxMs: 10, maxRetryAfterMs: 100, rateLimitWaits: 0 },
  breaker: { failureThreshold: 100, cooldownMs: 1000 }, ...extra,
});

const code = (i: number) => `0100${String(i).padStart(6, '0')}`;
const number = (i: number) => `0010900${String(i).padStart(5, '0')}`;
const person = (i: number): ParticipantInput => ({
  ma_so_bhxh: code(i), ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: number(i), ma_don_vi: 'DV01', ma_tinh: '001',
});

async function imported(n: number) {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, Array.from({ length: n }, (_, i) => person(i))));
  return { db, dir };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('an answer body larger than the bound', () => {
  it('fails its request after reading no more than the bound, however long the registry streams; the people stay PENDING', async () => {
    const { db } = await imported(8);
    // Up to 256 MB of chunked JSON per request (no Content-Length), written as fast as the client reads.
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"answers":[');
        let left = 256 * MiB;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left -= chunk.length;
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end(']}');
        };
        res.on('error', () => undefined);
        pump();
      });
    });
    const url = await listen(server);
    const registry = new HttpRegistry(settings(url, { maxAnswerBytes: MiB }), log);

    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const r = await runBatch(runDeps(db, registry, { chunkSize: 100, batchSize: 2, concurrency: 4 }), { province: null });
    clearInterval(sampler);

    expect(r.counts.pending).toBe(8);
    expect(sent).toBeLessThan(64 * MiB); // 4 requests × 1 MiB read, plus what the sockets held when they were closed
    expect(peak - before).toBeLessThan(100 * MiB);
    const errors = await rows<{ error: string }>(db, `SELECT DISTINCT detail->>'error' AS error FROM verification`);
    expect(errors).toEqual([{ error: 'RegistryAnswerTooLarge' }]);
    expect(registry.failureSummary()).toContain('answer larger than 1048576 bytes (DDCN_REGISTRY_MAX_ANSWER_BYTES)');
  }, 60_000);
});

describe('a refusal caused by one person\'s data', () => {
  it('a name over 200 characters among 500 people: the other 499 are verified in one request, that person needs fixing', async () => {
    const { db, dir } = await imported(500);
    await db.query(`UPDATE participant SET ho_ten = repeat('A', 201) WHERE ma_so_bhxh = $1::text`, [code(250)]);
    const registryFile = await writeRegistry(dir, Array.from({ length: 500 }, (_, i) => ({
      so_ddcn: number(i), ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '1990', gioi_tinh: 'Nam',
    })));
    const server = createRegistryServer({ registry: new MockRegistry(await memoryDirectory(registryFile)), log });
    const url = await server.listen(0);
    onTestFinished(() => server.close());

    const r = await runBatch(runDeps(db, new HttpRegistry(settings(url), log), { chunkSize: 1000, batchSize: 500, concurrency: 4 }), { province: null });

    expect(r.counts).toMatchObject({ matched: 499, mismatched: 1, pending: 0 });
    expect(r.shared).toBe(499);
    expect(server.stats).toMatchObject({ requests: 2, rejected: 0, people: 499 + 499 }); // one verify request, one share
    const results = (await exportedResults(deps(db), dir)).rows;
    expect(results.get(code(250))).toMatchObject({ status: 'MISMATCHED', fields: 'name' });
  });

  it('a refusal the client could not foresee is split down to the people refused; everyone else is answered', async () => {
    const { db, dir } = await imported(100);
    const refusedCodes = [code(17), code(80)];
    await db.query(`UPDATE participant SET ho_ten = 'Nguyễn Văn Hùng §' WHERE ma_so_bhxh = ANY($1::text[])`, [refusedCodes]);
    // A registry with a rule of its own: it refuses a request holding a name with "§", naming where.
    let requests = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests += 1;
        const asked = (JSON.parse(body) as { requests: Array<{ request_id: string; ho_ten: string }> }).requests;
        const bad = asked.findIndex((p) => p.ho_ten.includes('§'));
        res.setHeader('content-type', 'application/json');
        if (bad >= 0) {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: { code: 'invalid_request', message: `request does not fit the schema at requests.${bad}.ho_ten` } }));
        }
        res.end(JSON.stringify({ answers: asked.map((p) => ({ request_id: p.request_id, matched: false, so_ddcn: null, fields: ['id_number'] })) }));
      });
    });
    const url = await listen(server);

    const r = await runBatch(runDeps(db, new HttpRegistry(settings(url), log), { chunkSize: 1000, batchSize: 100, concurrency: 1 }), { province: null });

    expect(r.counts).toMatchObject({ mismatched: 100, pending: 0 });
    expect(requests).toBeLessThanOrEqual(1 + 2 * 2 * 7); // two people isolated in a request of 100: about 2 × log2(100) each
    const results = (await exportedResults(deps(db), dir)).rows;
    for (const c of refusedCodes) expect(results.get(c)).toMatchObject({ status: 'MISMATCHED', fields: 'name' });
    expect([...results.values()].filter((x) => x.fields === 'id_number')).toHaveLength(98);
    const detail = await rows<{ detail: ListRow['detail'] }>(db, `SELECT detail FROM verification WHERE ma_so_bhxh = $1::text`, [code(17)]);
    expect(detail[0]!.detail).toEqual({ refused: { fields: ['name'], reason: 'registry_refused' } });
    const row = { status: 'MISMATCHED', fields: ['name'], findings: [], detail: detail[0]!.detail, hoTen: 'x' } as unknown as ListRow;
    expect(mismatchText(row)).toBe('CSDL dân cư từ chối đối chiếu vì họ và tên không hợp lệ: đề nghị kê khai lại tại cột 10');
  });

  it('a registry that refuses every request is not asked twice per person, and nobody is told to fix a record: all PENDING', async () => {
    const { db } = await imported(200);
    let requests = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'invalid_request', message: 'request does not fit the schema at requests.0.ho_ten' } }));
      });
    });
    const url = await listen(server);
    const r = await runBatch(runDeps(db, new HttpRegistry(settings(url), log), { chunkSize: 1000, batchSize: 200, concurrency: 1 }), { province: null });
    expect(requests).toBeLessThanOrEqual(40); // 9 people refused alone, then it stops
    expect(r.counts).toMatchObject({ mismatched: 0, pending: 200 });
    const errors = await rows<{ error: string }>(db, `SELECT DISTINCT detail->>'error' AS error FROM verification`);
    expect(errors).toEqual([{ error: 'RegistryRequestRefused' }]);
  });
});
