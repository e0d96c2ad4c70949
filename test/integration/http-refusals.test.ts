// A registry that refuses a request as such (4xx other than 408/429) will refuse it again: the client must not
// send it a second time. Counted on a real socket (a local http.createServer), not on a mocked fetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serversClosedAfterEach } from '../helpers/test-servers.js';
import { HttpRegistry } from '../../src/adapters/http.js';
import { createLogger } from '../../src/log.js';

const opened = serversClosedAfterEach();

/** A registry that answers every request with `status`; `requests` counts what reached it. */
async function refusing(status: number) {
  const seen = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    for await (const _ of req); // read the whole body, as a real gateway does before answering
    seen.requests += 1;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'invalid_request', message: 'refused' } }));
  });
  opened.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function adapter(url: string) {
  return new HttpRegistry(
    {
      url, timeoutMs: 2000, concurrency: 1,
      retry: { retries: 3, baseMs: 1, maxMs: 5, maxRetryAfterMs: 5000, rateLimitWaits: 5 },
      breaker: { failureThreshold: 100, cooldownMs: 60_000 },
    },
    createLogger('silent'),
  );
}

const ASK = [{ requestId: '0100000001', hoTen: 'Nguyễn Văn Hùng', ngaySinh: '1990-03-05', gioiTinh: 'M' as const, soGiayTo: '012345678' }];
const SHARE = [{ requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true }];

describe('HTTP adapter: refused requests', () => {
  it.each([
    [400, 'RegistryRequestRejected'], // the registry refused the data of people in it: resending will not help
    [404, 'RegistryRequestRejected'],
    [413, 'RegistryRequestRejected'],
    [401, 'RegistryAuthRejected'],
    [403, 'RegistryAuthRejected'],
  ])('sends a verify request answered %i exactly once and reports it as %s', async (status, kind) => {
    const s = await refusing(status);
    const a = adapter(s.url);
    await expect(a.verify(ASK)).rejects.toMatchObject({ name: kind });
    expect(s.seen.requests).toBe(1);
    expect(a.failureSummary()).toContain(`1 × ${kind}`);
  });

  it('sends a share request answered 400 exactly once', async () => {
    const s = await refusing(400);
    await expect(adapter(s.url).share(SHARE)).rejects.toMatchObject({ name: 'RegistryRequestRejected', status: 400 });
    expect(s.seen.requests).toBe(1);
  });

  it('does retry a 500 and a 408, up to the configured retries (the contrast: these may succeed later)', async () => {
    for (const status of [500, 408]) {
      const s = await refusing(status);
      await expect(adapter(s.url).verify(ASK)).rejects.toMatchObject({ name: 'RegistryServerError', status });
      expect(s.seen.requests).toBe(4); // the first attempt and 3 retries
    }
  });
});
