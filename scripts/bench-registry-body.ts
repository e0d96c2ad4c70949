// How much memory a run's registry client takes when the registry streams a huge answer (issue 10, defect 6):
// a local registry answers each of 4 concurrent verify requests with GB of chunked JSON, never ending on its own,
// and the client's peak RSS is sampled. `npx tsx scripts/bench-registry-body.ts [--gb 1] [--requests 4]`.
// The last line is JSON. (Before the bound, reading such answers whole took a run to 6.2 GB.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { HttpRegistry } from '../src/adapters/http.js';
import { createLogger } from '../src/log.js';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '1' }, requests: { type: 'string', default: '4' } } });
const perRequest = Number(values.gb) * 1024 ** 3;
const requests = Number(values.requests);

let sent = 0;
const chunk = Buffer.alloc(64 * 1024, ' ');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"answers":[');
    let left = perRequest;
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
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const registry = new HttpRegistry(
  {
    url, timeoutMs: 600_000, concurrency: requests,
    retry: { retries: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 1, rateLimitWaits: 0 }, breaker: { failureThreshold: 1000, cooldownMs: 1 },
  },
  createLogger('silent'),
);
const person = (i: number) => ({ requestId: String(1_000_000_000 + i), hoTen: 'Nguyễn Văn Hùng', ngaySinh: '1990', gioiTinh: 'M' as const, soGiayTo: '001090000001' });
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const started = Date.now();
const outcomes = await Promise.allSettled(Array.from({ length: requests }, (_, i) => registry.verify([person(i)])));
clearInterval(sampler);
server.close();
const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.name as string);
console.log(`${requests} requests, up to ${values.gb} GB each: ${failed.length} failed (${[...new Set(failed)].join(', ')}); ` +
  `${(sent / 1024 ** 2).toFixed(0)} MB sent by the registry before the client stopped reading`);
console.log(JSON.stringify({
  requests, gb_per_request: Number(values.gb), failed: failed.length, seconds: (Date.now() - started) / 1000,
  registry_sent_mb: Math.round(sent / 1024 ** 2), rss_before_mb: Math.round(before / 1024 ** 2), peak_rss_mb: Math.round(peak / 1024 ** 2),
  load: os.loadavg()[0]!.toFixed(1),
}));
