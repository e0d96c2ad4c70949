// The mock population registry over HTTP (`ddcn registry serve`): the same people and matching rules as the
// in-process mock (it answers through MockRegistry, so through matchPerson), the API of README "Registry API
// (HTTP)", an optional bearer token, and fault injection for tests and demos.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { MockRegistry } from '../adapters/mock.js';
import {
  fromWireRequest, MAX_PEOPLE_PER_REQUEST, toWireAnswer, WireShareRequest, WireVerifyRequest,
} from '../adapters/http-wire.js';
import { FaultPlan, GARBAGE, NO_FAULTS, type FaultOptions, type Garbage } from './faults.js';

export interface RegistryServerOptions {
  registry: MockRegistry;
  token?: string;
  faults?: FaultOptions;
  log: Logger;
}

export interface RegistryServerStats {
  requests: number;
  answered: number;
  unauthorized: number;
  rateLimited: number;
  timedOut: number;
  failed: number;
  garbage: number;
  rejected: number; // 4xx for requests that do not fit the API
  people: number; // people verified in answers that were sent intact
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpProblem extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function problem(res: http.ServerResponse, p: HttpProblem, headers: Record<string, string> = {}): void {
  send(res, p.status, { error: { code: p.code, message: p.message } }, headers);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'too_large', `request body over ${MAX_BODY_BYTES} bytes`);
    parts.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'request body is not JSON');
  }
}

/** Where a request body does not fit: issue paths only, never the values. */
function invalid(issues: ReadonlyArray<{ path: PropertyKey[] }>): HttpProblem {
  const paths = issues.slice(0, 5).map((i) => i.path.map(String).join('.') || '(body)');
  return new HttpProblem(400, 'invalid_request', `request does not fit the schema at ${paths.join(', ')}`);
}

function tooMany(body: unknown, key: 'requests' | 'records'): void {
  const list = (body as Record<string, unknown> | null)?.[key];
  if (Array.isArray(list) && list.length > MAX_PEOPLE_PER_REQUEST) {
    throw new HttpProblem(413, 'too_many_people', `at most ${MAX_PEOPLE_PER_REQUEST} people per request`);
  }
}

function tokenOk(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** A 200 answer spoiled in one of the ways a broken gateway spoils them. */
function spoil(res: http.ServerResponse, kind: Garbage, body: { answers?: Record<string, unknown>[]; acknowledged?: string[] }): void {
  switch (kind) {
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body).slice(0, 20) + '<html>502 Bad Gateway</html>');
      return;
    case 'truncated': {
      const text = Buffer.from(JSON.stringify(body));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
      // The connection drops part-way, once the first half is on the wire.
      res.write(text.subarray(0, Math.floor(text.length / 2)), () => res.destroy());
      return;
    }
    case 'stranger': // an answer for someone we did not ask about
      if (body.answers) body.answers.push({ ...(body.answers[0] ?? { matched: false, so_ddcn: null, fields: ['id_number'] }), request_id: '9999999999' });
      else body.acknowledged?.push('9999999999');
      break;
    case 'missing': // one person left out (for a share: an acknowledgement withheld, which is allowed)
      if (body.answers) body.answers.pop();
      else body.acknowledged = undefined;
      break;
    case 'wrong_type':
      if (body.answers) body.answers.forEach((a) => (a.matched = a.matched ? 'yes' : 'no'));
      else body.acknowledged = undefined;
      break;
  }
  send(res, 200, body);
}

export function createRegistryServer(opts: RegistryServerOptions) {
  const plan = new FaultPlan(opts.faults ?? NO_FAULTS);
  const log = opts.log.child({ component: 'registry-server' });
  const stats: RegistryServerStats = { requests: 0, answered: 0, unauthorized: 0, rateLimited: 0, timedOut: 0, failed: 0, garbage: 0, rejected: 0, people: 0 };
  const hanging = new Set<http.ServerResponse>();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    if (path === '/v1/health' && req.method === 'GET') return send(res, 200, { status: 'ok' });
    if (path !== '/v1/verify' && path !== '/v1/share') throw new HttpProblem(404, 'not_found', 'no such endpoint');
    if (req.method !== 'POST') throw new HttpProblem(405, 'method_not_allowed', 'use POST');
    stats.requests += 1;

    const wait = plan.rateLimited();
    if (wait !== null) {
      stats.rateLimited += 1;
      return problem(res, new HttpProblem(429, 'rate_limited', `more than ${plan.options.rateLimit} requests per second`), { 'retry-after': String(wait) });
    }
    if (opts.token !== undefined && !tokenOk(req.headers.authorization, opts.token)) {
      stats.unauthorized += 1;
      return problem(res, new HttpProblem(401, 'unauthorized', 'a valid bearer token is required'), { 'www-authenticate': 'Bearer realm="ddcn-registry"' });
    }
    const body = await readJson(req);
    const fault = plan.draw();
    if (fault === 'timeout') {
      stats.timedOut += 1;
      hanging.add(res); // never answered; dropped when the server closes
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (plan.options.latencyMs > 0) await new Promise((ok) => setTimeout(ok, plan.options.latencyMs));
    if (fault === 'fail') {
      stats.failed += 1;
      const status = plan.pick([500, 503]);
      return problem(res, new HttpProblem(status, status === 503 ? 'unavailable' : 'internal', 'injected failure'));
    }

    let answer: { answers?: Record<string, unknown>[]; acknowledged?: string[] };
    let people: number;
    if (path === '/v1/verify') {
      tooMany(body, 'requests');
      const parsed = WireVerifyRequest.safeParse(body);
      if (!parsed.success) throw invalid(parsed.error.issues);
      const ids = parsed.data.requests.map((r) => r.request_id);
      if (new Set(ids).size !== ids.length) throw new HttpProblem(400, 'duplicate_request_id', 'each request_id may appear once per request');
      const answers = await opts.registry.verify(parsed.data.requests.map(fromWireRequest));
      answer = { answers: answers.map(toWireAnswer) };
      people = answers.length;
    } else {
      tooMany(body, 'records');
      const parsed = WireShareRequest.safeParse(body);
      if (!parsed.success) throw invalid(parsed.error.issues);
      const acked = await opts.registry.share(
        parsed.data.records.map((r) => ({ requestId: r.request_id, maSoBhxh: r.ma_so_bhxh, soDdcn: r.so_ddcn, vssid: r.vssid })),
      );
      answer = { acknowledged: acked };
      people = acked.length;
    }
    if (fault === 'garbage') {
      stats.garbage += 1;
      return spoil(res, plan.pick(GARBAGE), answer);
    }
    stats.answered += 1;
    stats.people += people;
    send(res, 200, answer);
  }

  const server = http.createServer((req, res) => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        const p = err instanceof HttpProblem ? err : new HttpProblem(500, 'internal', 'internal error');
        if (p.status < 500) stats.rejected += 1;
        else log.error({ err }, 'request failed');
        if (!res.headersSent) problem(res, p);
        else res.destroy();
      })
      .finally(() => log.debug({ path: req.url, status: res.statusCode, ms: Date.now() - started }, 'request'));
  });
  server.keepAliveTimeout = 5_000;

  return {
    server,
    stats,
    /** Starts listening; resolves to the base URL (port 0 picks a free port). */
    listen(port: number, host = '127.0.0.1'): Promise<string> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
        });
      });
    },
    /** Stops accepting, drops requests left hanging and idle connections. */
    close(): Promise<void> {
      return new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export type RegistryServer = ReturnType<typeof createRegistryServer>;
