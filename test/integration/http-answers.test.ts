// The HTTP adapter's answers to the caller for what a registry may send besides a good answer (a body that is not
// JSON, none at all, a share answer that does not fit, one person answered twice, a 400 about the request's form),
// a registry address that cannot be used, a request stopped by the caller or by close(), and what the operator is
// told: the failure summary and the circuit breaker's log lines. Real sockets, no mocked fetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { serversClosedAfterEach } from '../helpers/test-servers.js';
import { RegistryRefusedError } from '../../src/adapters/http-errors.js';
import { HttpRegistry, type HttpRegistryHooks, type HttpRegistrySettings } from '../../src/adapters/http.js';
import { RegistryClosedError } from '../../src/adapters/types.js';
import { NOT_VERIFIED, verifyPeople } from '../../src/pipeline/verify.js';
import { capturedLog } from '../helpers/log.js';
import type { Logger } from '../../src/log.js';
import { createLogger } from '../../src/log.js';

const silent = createLogger('silent');

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: { requests?: Array<{ request_id: string }>; records?: Array<{ request_id: string }> }) => void;

const opened = serversClosedAfterEach();

/** A local registry whose every answer the test decides; `seen` counts the requests that arrived. */
async function scripted(handler: Handler) {
  const seen: string[] = [];
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    seen.push(req.url ?? '');
    handler(req, res, JSON.parse(Buffer.concat(parts).toString() || 'null'));
  });
  opened.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const NO_RETRY = { retries: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0, rateLimitWaits: 0 };

function adapter(url: string, over: Partial<HttpRegistrySettings> = {}, log: Logger = silent, hooks: HttpRegistryHooks = {}) {
  return new HttpRegistry({ url, timeoutMs: 5_000, concurrency: 2, retry: NO_RETRY, breaker: { failureThreshold: 100, cooldownMs: 60_000 }, ...over }, log, hooks);
}

const person = (id: string) => ({ requestId: id, hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345601' });
const ASK = [person('0100000001'), person('0100000002')];
const SHARE = ASK.map((p) => ({ requestId: p.requestId, maSoBhxh: p.requestId, soDdcn: '001090000001', vssid: true }));
const noMatch = (id: string) => ({ request_id: id, matched: false, so_ddcn: null, fields: ['id_number'] });

async function until(cond: () => boolean) {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('HTTP adapter: what the caller is given', () => {
  it('asks the registry nothing for nobody', async () => {
    const s = await scripted((_q, res) => json(res, 500, {}));
    const a = adapter(s.url);
    expect(await a.verify([])).toEqual([]);
    expect(await a.share([])).toEqual([]);
    expect(s.seen).toEqual([]);
  });

  it('hands on each answer with its fields sorted and exactly the values the registry disclosed', async () => {
    const s = await scripted((_q, res) => json(res, 200, { answers: [
      { request_id: '0100000001', matched: false, so_ddcn: null, fields: ['sex', 'name', 'dob'], registry: { ho_ten: 'Nguyễn Văn Ân' } },
      { request_id: '0100000002', matched: false, so_ddcn: null, fields: ['sex'], registry: { gioi_tinh: 'F' } },
    ] }));
    expect(await adapter(s.url).verify(ASK)).toStrictEqual([
      { requestId: '0100000001', matched: false, soDdcn: null, fields: ['dob', 'name', 'sex'], registry: { hoTen: 'Nguyễn Văn Ân' } },
      { requestId: '0100000002', matched: false, soDdcn: null, fields: ['sex'], registry: { gioiTinh: 'F' } },
    ]);
  });

  it('refuses a verify answer that names a person twice, and a share answer that does not fit; accepts a share acknowledged in part', async () => {
    const twice = await scripted((_q, res, body) => json(res, 200, body.requests
      ? { answers: body.requests.map(() => noMatch(body.requests![0]!.request_id)) }
      : { acknowledged: [body.records![0]!.request_id, body.records![0]!.request_id] }));
    await expect(adapter(twice.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'verify answer does not fit the request (duplicate_id); not used' });
    await expect(adapter(twice.url).share(SHARE)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'share answer does not fit the request (duplicate_id); not used' });

    // A disclosed name with a NUL (which the chunk's write could not store: the run failed, chunk after chunk).
    const nul = await scripted((_q, res) => json(res, 200, { answers: [
      { request_id: '0100000001', matched: false, so_ddcn: null, fields: ['name'], registry: { ho_ten: 'Nguyễn\u0000Văn Ân' } },
    ] }));
    await expect(adapter(nul.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'verify answer does not fit the request (schema); not used' });
    // A lone surrogate (JSON's \ud800 escape) is no text PostgreSQL's jsonb takes either: the chunk's write failed
    // ('invalid input syntax for type json'), and the run with it, as for the NUL.
    const lone = await scripted((_q, res) => json(res, 200, { answers: [
      { request_id: '0100000001', matched: false, so_ddcn: null, fields: ['name'], registry: { ho_ten: 'Nguy\ud800n Văn Ân' } },
    ] }));
    await expect(adapter(lone.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'verify answer does not fit the request (schema); not used' });
    // A name outside the Basic Multilingual Plane (a surrogate pair, as some rare Hán-Nôm characters are) is kept.
    const pair = await scripted((_q, res) => json(res, 200, { answers: ASK.map((p) => (
      { request_id: p.requestId, matched: false, so_ddcn: null, fields: ['name'], registry: { ho_ten: 'Nguyễn \u{20B9F}' } })) }));
    expect((await adapter(pair.url).verify(ASK))[0]).toMatchObject({ registry: { hoTen: 'Nguyễn \u{20B9F}' } });

    const stranger = await scripted((_q, res) => json(res, 200, { acknowledged: ['0999999999'] }));
    await expect(adapter(stranger.url).share(SHARE)).rejects.toMatchObject({ message: 'share answer does not fit the request (unknown_id); not used' });
    const shapeless = await scripted((_q, res) => json(res, 200, { ok: true }));
    await expect(adapter(shapeless.url).share(SHARE)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'share answer does not fit the schema; not used' });
    const part = await scripted((_q, res, body) => json(res, 200, { acknowledged: [body.records![1]!.request_id] }));
    expect(await adapter(part.url).share(SHARE)).toEqual(['0100000002']);
  });

  it('refuses an answer that is not JSON, or has no body, saying only how long it was', async () => {
    const text = await scripted((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('not json');
    });
    await expect(adapter(text.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'verify answer is not JSON (8 characters); not used' });
    const empty = await scripted((_q, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(adapter(empty.url).share(SHARE)).rejects.toMatchObject({ name: 'RegistryInvalidAnswer', message: 'share answer is not JSON (0 characters); not used' });
  });

  it('gives up at once on an answer that declares more than the bound, without waiting for its body', async () => {
    // The registry declares 5000 bytes, sends 10 and then nothing more: only the declared length can refuse it.
    const declared = await scripted((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"answers"');
    });
    const err = await adapter(declared.url, { maxAnswerBytes: 1000, timeoutMs: 20_000 }).verify(ASK).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RegistryAnswerTooLarge', message: 'verify answer larger than 1000 bytes (DDCN_REGISTRY_MAX_ANSWER_BYTES); not read further, not used' });
    // An answer of exactly the bound is read and used.
    const answer = JSON.stringify({ answers: ASK.map((p) => noMatch(p.requestId)) });
    const exact = await scripted((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(answer)) });
      res.end(answer);
    });
    expect(await adapter(exact.url, { maxAnswerBytes: Buffer.byteLength(answer) }).verify(ASK)).toHaveLength(2);
    // The same for an answer with no body at all (a 304) that declares too much.
    const headless = await scripted((_q, res) => {
      res.writeHead(304, { 'content-length': '999999' });
      res.end();
    });
    await expect(adapter(headless.url, { maxAnswerBytes: 1000 }).verify(ASK)).rejects.toMatchObject({ name: 'RegistryAnswerTooLarge' });
  }, 15_000);

  it('tells a refusal of the request\'s form from a refusal of people\'s data, naming every path refused', async () => {
    const form = await scripted((_q, res) => json(res, 400, { error: { code: 'duplicate_request_id', message: 'requests.1.request_id repeats requests.0' } }));
    await expect(adapter(form.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryRequestRejected', status: 400, message: 'verify: HTTP 400 duplicate_request_id' });
    // A 400 without a readable reason (not JSON): a refusal of the data, with nothing more to say.
    const bare = await scripted((_q, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Bad Request');
    });
    const unexplained = await adapter(bare.url).verify(ASK).catch((e: unknown) => e);
    expect(unexplained).toBeInstanceOf(RegistryRefusedError);
    expect(unexplained).toMatchObject({ message: 'verify: HTTP 400', paths: [] });
    const data = await scripted((_q, res) => json(res, 400, { error: { code: 'invalid_field', message: 'requests.0.ho_ten: too long; requests.1.ngay_sinh: not a date; requests.0.ho_ten again' } }));
    // A refusal of data (RegistryRefusedError): the pipeline splits the request to find the people refused.
    const refused = await adapter(data.url).verify(ASK).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryRefusedError);
    expect(refused).toMatchObject({ message: 'verify: HTTP 400 invalid_field at requests.0.ho_ten, requests.1.ngay_sinh' });
  });

  it('sends each request as JSON, by POST, to /v1/verify or /v1/share below the base address, with the token only when there is one', async () => {
    const got: Array<{ method?: string; url?: string; type?: string; accept?: string; auth?: string; body: unknown }> = [];
    const s = await scripted((q, res, body) => {
      got.push({ method: q.method, url: q.url, type: q.headers['content-type'], accept: q.headers.accept, auth: q.headers.authorization, body });
      json(res, 200, body.requests ? { answers: body.requests.map((r) => noMatch(r.request_id)) } : { acknowledged: body.records!.map((r) => r.request_id) });
    });
    await adapter(`${s.url}/registry/api`, { token: 's3cret' }).verify(ASK.slice(0, 1));
    await adapter(`${s.url}/registry/api/`).share(SHARE.slice(0, 1));
    expect(got).toEqual([
      {
        method: 'POST', url: '/registry/api/v1/verify', type: 'application/json', accept: 'application/json', auth: 'Bearer s3cret',
        body: { requests: [{ request_id: '0100000001', ho_ten: 'Nguyễn Văn An', ngay_sinh: '1990-01-01', gioi_tinh: 'M', so_giay_to: '012345601' }] },
      },
      {
        method: 'POST', url: '/registry/api/v1/share', type: 'application/json', accept: 'application/json', auth: undefined,
        body: { records: [{ request_id: '0100000001', ma_so_bhxh: '0100000001', so_ddcn: '001090000001', vssid: true }] },
      },
    ]);
  });

  it('reports a registry nobody listens at by the system\'s code', async () => {
    const s = await scripted(() => undefined);
    await new Promise((ok) => opened.pop()!.close(ok));
    await expect(adapter(s.url).verify(ASK)).rejects.toMatchObject({
      name: 'RegistryUnreachable',
      message: `verify: ECONNREFUSED at ${s.url} (nobody listens at this address: the registry is down, or --registry-url / DDCN_REGISTRY_URL names the wrong host or port)`,
      cause: { message: 'fetch failed' },
    });
  });

  it('reports a host name that does not resolve as such, pointing at the URL', async () => {
    await expect(adapter('http://ddcn-no-such-host.invalid').verify(ASK)).rejects.toMatchObject({
      name: 'RegistryUnreachable',
      message: 'verify: ENOTFOUND at http://ddcn-no-such-host.invalid (no such host name: check the host in --registry-url / DDCN_REGISTRY_URL)',
    });
  });

  it('says an https:// address whose server answers in plain HTTP as such, with what to check', async () => {
    const s = await scripted((_q, res) => json(res, 200, {}));
    const https = s.url.replace(/^http:/, 'https:');
    await expect(adapter(https).verify(ASK)).rejects.toMatchObject({
      name: 'RegistryUnreachable',
      message: `verify: ERR_SSL_WRONG_VERSION_NUMBER at ${https} (no TLS at this address: check that --registry-url / DDCN_REGISTRY_URL is https:// only if the registry speaks TLS)`,
    });
  });

  it('reports a registry address it may not connect to (a port fetch refuses, no system error code) as unreachable', async () => {
    await expect(adapter('http://127.0.0.1:1').verify(ASK)).rejects.toMatchObject({ name: 'RegistryUnreachable', message: 'verify: fetch failed at http://127.0.0.1:1' });
  });

  it('stops a request when the caller aborts it, and every request in flight when closed', async () => {
    const s = await scripted(() => undefined); // never answers
    const a = adapter(s.url, { timeoutMs: 20_000 });
    const stop = new AbortController();
    const asked = a.verify(ASK, stop.signal).catch((e: unknown) => e);
    await until(() => s.seen.length === 1);
    const reason = new Error('operator pressed Ctrl-C');
    stop.abort(reason);
    expect(await asked).toBe(reason);

    const first = a.verify(ASK).catch((e: unknown) => e);
    const second = a.share(SHARE).catch((e: unknown) => e);
    await until(() => s.seen.length === 3);
    await a.close();
    for (const err of await Promise.all([first, second])) expect(err).toBeInstanceOf(RegistryClosedError);
  }, 15_000);

  it('fails the verify step when closed under its requests (a worker past its grace), instead of leaving its people PENDING as if the registry had failed', async () => {
    const s = await scripted(() => undefined); // never answers
    const a = adapter(s.url, { timeoutMs: 20_000 });
    const { log, lines } = capturedLog('debug');
    const people = ['0100000001', '0100000002', '0100000003'].map((code) => ({
      maSoBhxh: code, hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345601', dataVersion: 1,
    }));
    const step = verifyPeople(a, people, { batchSize: 1, concurrency: 2 }, log).then(
      (outcomes) => outcomes,
      (e: unknown) => e,
    );
    await until(() => s.seen.length === 2);
    await a.close();
    const got = await step;
    // Returned, the outcomes would be stored: three people PENDING, counted by the run as the registry's failures.
    expect(got).toBeInstanceOf(RegistryClosedError);
    // The request still waiting for its turn was not sent, and nobody was said to stay PENDING.
    expect(s.seen).toHaveLength(2);
    expect(lines.map((l) => l.msg)).not.toContain(`registry requests failed; ${NOT_VERIFIED}`);
  }, 15_000);

  it('tells the run of every 429 with the wait it asked for (so other processes wait too), and waits through the sleep it was given', async () => {
    let n = 0;
    const s = await scripted((_q, res, body) => {
      n += 1;
      if (n === 1) {
        json(res, 503, {}); // retried too, but not a request to slow down: nobody else is told
      } else if (n === 2) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
      } else {
        json(res, 200, { answers: body.requests!.map((r) => noMatch(r.request_id)) });
      }
    });
    const slept: number[] = [];
    const told: number[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const a = adapter(s.url, { retry: { retries: 1, baseMs: 10, maxMs: 10, maxRetryAfterMs: 5_000, rateLimitWaits: 1 } }, createLogger('debug', sink), {
      sleep: async (ms) => void slept.push(ms),
      onRateLimited: (ms) => told.push(ms),
      random: () => 0.5,
    });
    expect(await a.verify(ASK)).toHaveLength(2);
    expect(s.seen).toHaveLength(3);
    expect(slept).toHaveLength(2);
    expect(slept[1]).toBeGreaterThanOrEqual(2_000);
    expect(told).toEqual([slept[1]]);
    // At debug level the log shows each retry: of what, which one, after how long.
    expect(lines.filter((l) => l.msg === 'registry request failed; retrying').map(({ endpoint, retry, delayMs, kind }) => ({ endpoint, retry, delayMs, kind }))).toEqual([
      { endpoint: 'verify', retry: 1, delayMs: slept[0], kind: 'RegistryServerError' },
      { endpoint: 'verify', retry: 2, delayMs: slept[1], kind: 'RegistryRateLimited' },
    ]);
  });

  it.each([
    [401, 'RegistryAuthRejected', 'verify: HTTP 401; the registry refused the token (check --registry-token / DDCN_REGISTRY_TOKEN)'],
    [403, 'RegistryAuthRejected', 'verify: HTTP 403; the registry refused the token (check --registry-token / DDCN_REGISTRY_TOKEN)'],
    [413, 'RegistryRequestRejected', 'verify: HTTP 413, request too large; lower --batch-size'],
    [418, 'RegistryRequestRejected', 'verify: HTTP 418'],
    [300, 'RegistryRequestRejected', 'verify: HTTP 300'],
    [429, 'RegistryRateLimited', 'verify: HTTP 429, rate limited'],
  ])('tells the operator what an HTTP %i means and what to do', async (status, name, message) => {
    const s = await scripted((_q, res) => json(res, status, { error: { code: 'x', message: 'no' } }));
    const a = adapter(s.url, { token: 'old' });
    await expect(a.verify(ASK)).rejects.toMatchObject({ name, message });
    // A refused token or request is not retried (a retry cannot help), and the summary does not say it was.
    if (status !== 429) expect(a.failureSummary()).toBe(`1 registry request failed (1 × ${name}, not retried); last error: ${message}`);
  });

  it('says an HTTP 401 to a request without a token as a token missing, not one refused', async () => {
    const s = await scripted((_q, res) => json(res, 401, { error: { code: 'x', message: 'no' } }));
    const message = 'verify: HTTP 401; the registry asks for a token and none was given (set DDCN_REGISTRY_TOKEN)';
    await expect(adapter(s.url, { token: undefined }).verify(ASK)).rejects.toMatchObject({ name: 'RegistryAuthRejected', message });
    await expect(adapter(s.url, { token: '' }).verify(ASK)).rejects.toMatchObject({ message });
    await expect(adapter(s.url, { token: 'old' }).verify(ASK)).rejects.toMatchObject({ message: expect.stringContaining('the registry refused the token') });
  });

  it.each([404, 405])('says an HTTP %i as a registry URL with no registry API there, not as an outage', async (status) => {
    // A base URL with a path too many (…/api/v1) or another service on the port answered "the registry is
    // unavailable … the next run picks them up": every night then failed the same way, each one read as an outage.
    const s = await scripted((_q, res) => json(res, status, { error: { code: 'x', message: 'no' } }));
    const a = adapter(`${s.url}/api/?key=k`);
    const message =
      `verify: HTTP ${status} at ${new URL(s.url).origin}/api/v1/verify: no registry API there; ` +
      'check --registry-url / DDCN_REGISTRY_URL (the API\'s base URL, to which ddcn adds v1/verify)';
    await expect(a.verify(ASK)).rejects.toMatchObject({ name: 'RegistryRequestRejected', message });
    expect(a.failureSummary()).toBe(`1 registry request failed (1 × RegistryRequestRejected, not retried); last error: ${message}`);
    expect(a.addressWrong).toBe(true);
    // Another refusal says nothing of the address.
    const other = adapter((await scripted((_q, res) => json(res, 418, {}))).url);
    await expect(other.verify(ASK)).rejects.toMatchObject({ message: 'verify: HTTP 418' });
    expect(other.addressWrong).toBe(false);
  });

  it('does not open the circuit breaker for a refusal of one person\'s data: the registry is working', async () => {
    let n = 0;
    const s = await scripted((_q, res, body) => {
      n += 1;
      if (n === 1) json(res, 400, { error: { code: 'invalid_field', message: 'requests.0.ho_ten: too long' } });
      else json(res, 200, { answers: body.requests!.map((r) => noMatch(r.request_id)) });
    });
    const a = adapter(s.url, { breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    await expect(a.verify(ASK)).rejects.toBeInstanceOf(RegistryRefusedError);
    expect(await a.verify(ASK)).toHaveLength(2);
    expect(a.breaker.opened).toBe(0);
  });

  it('sums up failed requests for the operator: how many, of which kind, the last error', async () => {
    const s = await scripted(() => undefined);
    const a = adapter(s.url, { timeoutMs: 50 });
    expect(a.failureSummary()).toBeNull();
    // The cause (in the logged error) says which clock ran out.
    await expect(a.verify(ASK)).rejects.toMatchObject({ name: 'RegistryTimeout', cause: { name: 'TimeoutError' } });
    expect(a.failureSummary()).toBe('1 registry request failed after retries (1 × RegistryTimeout); last error: verify: no complete answer within 50 ms');
    await expect(a.share(SHARE)).rejects.toMatchObject({ name: 'RegistryTimeout' });
    expect(a.failureSummary()).toBe('2 registry requests failed after retries (2 × RegistryTimeout); last error: share: no complete answer within 50 ms');
    const mixed = await scripted((q, res) => (q.url === '/v1/share' ? json(res, 503, {}) : undefined));
    const b = adapter(mixed.url, { timeoutMs: 50 });
    await expect(b.verify(ASK)).rejects.toMatchObject({ name: 'RegistryTimeout' });
    await expect(b.share(SHARE)).rejects.toMatchObject({ name: 'RegistryServerError' });
    expect(b.failureSummary()).toBe('2 registry requests failed after retries (1 × RegistryTimeout, 1 × RegistryServerError); last error: share: HTTP 503');
  });
});

describe('HTTP adapter: the circuit breaker in the log', () => {
  it('logs when it opens, lets a probe through after the cool-down, and logs the probe and the close', async () => {
    const lines: Array<{ level: number; msg: string; failures?: number; state?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    let up = false;
    const s = await scripted((_q, res, body) => (up ? json(res, 200, { answers: body.requests!.map((r) => noMatch(r.request_id)) }) : json(res, 503, {})));
    let clock = 1_000_000;
    const a = adapter(s.url, { breaker: { failureThreshold: 1, cooldownMs: 10_000 } }, createLogger('info', sink), { now: () => clock });

    await expect(a.verify(ASK)).rejects.toMatchObject({ name: 'RegistryServerError' });
    await expect(a.verify(ASK)).rejects.toMatchObject({ name: 'RegistryCircuitOpen' });
    expect(s.seen).toHaveLength(1);
    up = true;
    clock += 10_000;
    expect((await a.verify(ASK)).map((x) => x.requestId)).toEqual(['0100000001', '0100000002']);
    const breaker = lines.filter((l) => l.msg.startsWith('registry circuit breaker'));
    expect(breaker.map((l) => [l.msg, l.state])).toEqual([
      ['registry circuit breaker opened: not asking the registry until the cool-down ends', undefined],
      ['registry circuit breaker half-open', 'half-open'],
      ['registry circuit breaker closed', 'closed'],
    ]);
    expect(breaker[0]).toMatchObject({ failures: 1, cooldownMs: 10_000 });
    for (const l of breaker) expect(l).toMatchObject({ stage: 'registry', registry: 'http' });
    expect(a.kind).toBe('http'); // recorded with the batch; an http registry is reached through the shared request cap
    expect(a.failureSummary()).toBe('1 registry request failed after retries (1 × RegistryServerError); the circuit breaker opened and the registry was not asked again during its cool-down; last error: verify: HTTP 503');
  });
});
