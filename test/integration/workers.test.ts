// The distributed run with real processes: `ddcn worker`s beside a `ddcn run`, against the HTTP mock registry (a
// process of its own, with latency). Workers are SIGKILLed at random moments and started again; one is stopped
// with SIGTERM while it holds a chunk; a cap on requests in flight holds across all of them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { rows } from '../helpers/pipeline.js';
import { endState, expectEndState, importFixtures, seeded, startDdcn, startRegistryServer, type Started } from './http-harness.js';
import { dbRelay } from '../helpers/db-relay.js';

const SEED = 22070012;
// Takeover of a killed worker's chunk after 4 s instead of 2 minutes, so that a trial takes seconds.
const ENV = { DDCN_TAKEOVER_SECONDS: '4', DDCN_REGISTRY_BACKOFF_MS: '20' };
const flags = (url: string) => ['--registry', 'http', '--registry-url', url, '--batch-size', '5', '--concurrency', '1'];

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let reference: Awaited<ReturnType<typeof endState>>;
const dbs: TestDatabase[] = [];

async function freshDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  dbs.push(t);
  await importFixtures(t.db);
  return t;
}

/** The log lines a process has written so far, read once in the background (the line reader can be read once). */
const seen = new WeakMap<Started, { lines: string[]; ended: boolean }>();
function watch(p: Started): Started {
  const log = { lines: [] as string[], ended: false };
  seen.set(p, log);
  void (async () => {
    for await (const line of p.stderrLines) log.lines.push(line);
    log.ended = true;
  })();
  return p;
}

/** Resolves once the process has logged `msg` (or rejects when it exits first). */
async function logged(p: Started, msg: string): Promise<void> {
  const log = seen.get(p)!;
  for (;;) {
    if (log.lines.some((l) => l.includes(`"msg":"${msg}"`))) return;
    if (log.ended) throw new Error(`exited before logging "${msg}"`);
    await sleep(25);
  }
}

/** SIGTERM to the ddcn process itself (the pid it logs), as a service manager sends it, once it has started. */
async function terminate(p: Started): Promise<void> {
  const log = seen.get(p)!;
  let line: string | undefined;
  while (!(line = log.lines.find((l) => l.includes('"pid":'))) && !log.ended) await sleep(25); // just (re)started
  if (line) process.kill(Number(/"pid":(\d+)/.exec(line)![1]), 'SIGTERM');
}

function worker(url: string, registryUrl: string, extra: Record<string, string> = {}): Started {
  return watch(startDdcn(['worker', ...flags(registryUrl)], { DATABASE_URL: url, DDCN_LOG_LEVEL: 'debug', ...ENV, ...extra }));
}

beforeAll(async () => {
  server = await startRegistryServer(['--latency-ms', '60']);
  const t = await freshDatabase();
  const ran = await startDdcn(['run', ...flags(server.url), '--chunk-size', '20'], { DATABASE_URL: t.url, ...ENV }).done;
  expect(ran.code, ran.stderr).toBe(0);
  reference = await endState(t.db);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const t of dbs) await t.drop().catch(() => undefined);
});

describe('ddcn worker', () => {
  it('four workers SIGKILLed at random moments and started again end where one worker ends', async () => {
    expect(reference.unfinished).toEqual([]);
    expect(reference.shares.length).toBe(291);
    const { db, url } = await freshDatabase();
    const random = seeded(SEED);
    const workers: Started[] = [];
    for (let i = 0; i < 4; i++) workers.push(worker(url, server.url));
    await Promise.all(workers.map((w) => logged(w, 'worker started: waiting for chunks')));
    const run = watch(startDdcn(['run', ...flags(server.url), '--chunk-size', '20'], { DATABASE_URL: url, ...ENV }));
    let finished = false;
    void run.done.then(() => (finished = true));
    await logged(run, 'batch started');
    let kills = 0;
    while (!finished && kills < 8) {
      await sleep(150 + random() * 600);
      if (finished) break;
      const i = Math.floor(random() * workers.length);
      workers[i]!.kill('SIGKILL');
      await workers[i]!.done;
      kills += 1;
      workers[i] = worker(url, server.url);
    }
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    await Promise.all(workers.map((w) => terminate(w)));
    for (const w of workers) expect((await w.done).code).toBe(0);
    expect(kills).toBeGreaterThan(0);

    const state = await endState(db);
    expectEndState(state, reference);
    // Work was shared: more than the run's own process finished chunk steps.
    const by = await rows<{ n: number }>(db, `SELECT count(DISTINCT w)::int AS n FROM batch_chunk, unnest(ARRAY[verified_by, written_by, shared_by]) AS w`);
    expect(by[0]!.n).toBeGreaterThan(1);
  }, 240_000);

  it('on SIGTERM finishes the chunk in hand and exits 0; the batch ends as it should', async () => {
    const { db, url } = await freshDatabase();
    const slow = await startRegistryServer(['--latency-ms', '200']);
    try {
      const w = worker(url, slow.url);
      await logged(w, 'worker started: waiting for chunks');
      const run = startDdcn(['run', ...flags(slow.url), '--chunk-size', '20'], { DATABASE_URL: url, ...ENV });
      await logged(w, 'chunk step started');
      await terminate(w);
      const stopped = await w.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toMatch(/worker stopped: [1-9]\d* chunk steps done/);
      const pid = /"pid":(\d+)/.exec(stopped.stderr)![1];
      // The chunk it held was finished by it, not dropped: its step is recorded under its name.
      const mine = await rows(db, `SELECT chunk_no FROM batch_chunk WHERE verified_by LIKE '%:' || $1::text`, [pid]);
      expect(mine.length).toBeGreaterThan(0);
      const ran = await run.done;
      expect(ran.code, ran.stderr).toBe(0);
      const state = await endState(db);
      expect(state.results).toBe(reference.results);
      expect(state.shares).toEqual(reference.shares);
    } finally {
      await slow.stop();
    }
  }, 240_000);

  it('cut off from the database without a word, exits 1 saying so; the others finish the batch, unhindered by what it held', async () => {
    const { db, url } = await freshDatabase();
    const slow = await startRegistryServer(['--latency-ms', '200']);
    const relay = await dbRelay(url);
    try {
      const w = worker(relay.url, slow.url, { DDCN_DATABASE_ANSWER_SECONDS: '2' });
      await logged(w, 'worker started: waiting for chunks');
      const run = startDdcn(['run', ...flags(slow.url), '--chunk-size', '20'], { DATABASE_URL: url, ...ENV });
      await logged(w, 'chunk step started');
      // As a cable pulled: nothing passes either way, nobody is told, and the server keeps the sessions open.
      relay.freeze();
      const stopped = await w.done;
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(stopped.stderr).toContain(
        'lost the database (no answer from the database within 2 s): this worker stopped. Chunks it had are taken up by another worker once their expiry passes',
      );
      // Its sessions, a transaction open perhaps, are the server's to end: the run goes on past them, every effect once.
      const ran = await run.done;
      expect(ran.code, ran.stderr).toBe(0);
      expectEndState(await endState(db), reference);
    } finally {
      relay.close();
      await slow.stop();
    }
  }, 240_000);

  it('cut off while it waits for another process’s migration, a worker or a run exits 1 saying so, having begun nothing', async () => {
    const { db, url } = await freshDatabase();
    const other = new pg.Client({ connectionString: url, application_name: 'pg_dump' });
    await other.connect();
    try {
      for (const [command, said] of [
        ['worker', 'before this worker took any work: it stopped. Start it again when the database is back.'],
        ['run', 'before this run began its batch: it stopped. Run it again when the database is back.'],
      ] as const) {
        // An upgrade's migration still to apply (0022 can be applied again), held up by a session using its table.
        await db.query(`DELETE FROM schema_migration WHERE name = '0022_code_collation.sql'`);
        await other.query('BEGIN');
        await other.query('LOCK TABLE unit IN ACCESS SHARE MODE');
        const relay = await dbRelay(url);
        try {
          const p = watch(startDdcn([command, ...flags(server.url)], { DATABASE_URL: relay.url, DDCN_LOG_LEVEL: 'debug', ...ENV, DDCN_DATABASE_ANSWER_SECONDS: '2' }));
          const log = seen.get(p)!;
          while (!log.lines.some((l) => l.includes('its tables are in use (pg_dump)'))) {
            if (log.ended) throw new Error(`exited before waiting: ${log.lines.join('\n')}`);
            await sleep(25);
          }
          relay.freeze();
          const stopped = await p.done;
          expect(stopped.code, stopped.stderr).toBe(1);
          expect(stopped.stderr).toContain(`lost the database (no answer from the database within 2 s) ${said}`);
          expect(stopped.stderr).not.toContain('chunk step started');
        } finally {
          relay.close();
          await other.query('ROLLBACK');
        }
      }
      expect(await rows(db, 'SELECT count(*)::int AS n FROM batch')).toEqual([{ n: 0 }]);
    } finally {
      await other.end();
    }
  }, 120_000);

  it('keeps registry requests in flight under --registry-max-in-flight across every process', async () => {
    const { db, url } = await freshDatabase();
    const proxy = await countingProxy(server.url);
    try {
      const many = ['--batch-size', '5', '--concurrency', '3'];
      const workers = [0, 1, 2].map(() => watch(startDdcn(['worker', '--registry', 'http', '--registry-url', proxy.url, ...many], { DATABASE_URL: url, DDCN_LOG_LEVEL: 'info', ...ENV })));
      await Promise.all(workers.map((w) => logged(w, 'worker started: waiting for chunks')));
      const ran = await startDdcn(['run', '--registry', 'http', '--registry-url', proxy.url, ...many, '--chunk-size', '20', '--workers', '2', '--registry-max-in-flight', '2'], { DATABASE_URL: url, ...ENV }).done;
      expect(ran.code, ran.stderr).toBe(0);
      await Promise.all(workers.map((w) => terminate(w)));
      for (const w of workers) expect((await w.done).code).toBe(0);
      // Four processes asking up to 3 at a time each (the run 3 over its 2 workers): the cap is what held them.
      expect(proxy.max()).toBe(2);
      expect(proxy.requests()).toBeGreaterThan(100);
      expect((await endState(db)).results).toBe(reference.results);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('on SIGTERM while it waits for a migration whose tables are in use, exits 0 having applied nothing', async () => {
    const { db, url } = await freshDatabase();
    // An upgrade's migration still to apply (0022 can be applied again), and a session using one of its tables.
    await db.query(`DELETE FROM schema_migration WHERE name = '0022_code_collation.sql'`);
    const other = new pg.Client({ connectionString: url, application_name: 'pg_dump' });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('LOCK TABLE unit IN ACCESS SHARE MODE');
      const w = worker(url, server.url);
      const log = seen.get(w)!;
      while (!log.lines.some((l) => l.includes('migration 0022_code_collation.sql: its tables are in use (pg_dump)'))) {
        if (log.ended) throw new Error(`exited before waiting: ${log.lines.join('\n')}`);
        await sleep(25);
      }
      await terminate(w);
      const stopped = await w.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain('worker stopped before it took any work (the database migration it waited for was not applied)');
      expect(await rows(db, `SELECT 1 FROM schema_migration WHERE name = '0022_code_collation.sql'`)).toEqual([]);
    } finally {
      await other.end();
    }
  }, 120_000);
});

/** Passes requests on to the registry and counts how many are in flight at once. */
async function countingProxy(target: string): Promise<{ url: string; max: () => number; requests: () => number; close: () => Promise<void> }> {
  let inFlight = 0;
  let max = 0;
  let total = 0;
  const server: Server = createServer(async (req, res) => {
    const counted = req.url !== '/v1/health';
    if (counted) {
      inFlight += 1;
      total += 1;
      max = Math.max(max, inFlight);
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const answer = await fetch(new URL(req.url!.replace(/^\//, ''), target.endsWith('/') ? target : `${target}/`), {
        method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } finally {
      if (counted) inFlight -= 1;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    max: () => max,
    requests: () => total,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

