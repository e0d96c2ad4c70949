// Flags that disagree with the open batch, as an operator meets them at 2 a.m.: a `ddcn worker` started with another
// registry (it says so and stops, exit 2, rather than hand every chunk it takes back to the queue, each time spending
// one of the job's retries while pg-boss's back-off holds the chunk for longer and longer); a `ddcn run` resuming
// with another chunk size or registry cap (the batch keeps its own: said).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { batchStatus } from '../../src/db/batch-status.js';
import { JobQueue } from '../../src/db/jobs.js';
import { queueOutstanding, RegistryMismatchError, TokenRefusedError } from '../../src/pipeline/chunk-work.js';
import { runWorker } from '../../src/pipeline/worker.js';
import { UsageError } from '../../src/errors.js';
import { databasePerFile, FIXED_NOW, mockRegistry, rows, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { deps as baseDeps } from '../helpers/pipeline.js';
import { capturedLog } from '../helpers/log.js';
import { runBatch } from '../../src/pipeline/run.js';
import { createDb } from '../../src/db/pool.js';

const database = databasePerFile();

async function setUp() {
  const { db } = database();
  const dir = await useTempDir();
  const people = [1, 2, 3, 4].map((i) => ({
    ma_so_bhxh: `079000000${i}`, ho_ten: `Người Thứ ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `02345678${i}`, ma_tinh: '079',
  }));
  await importParticipants(baseDeps(db), await writeParticipants(dir, people));
  const registry = await mockRegistry(await writeRegistry(dir, []));
  const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
  const deps = { ...runDeps(db, registry), queue, worker: 'test:1' };
  /** A batch opened by a `ddcn run --registry http` elsewhere, its chunks queued. */
  const httpBatch = () =>
    db.withTransaction(async (tx) => {
      const o = (await openBatch(tx, { registry: 'http', province: null, chunkSize: 2, maxInFlight: null, now: FIXED_NOW }))!;
      await queueOutstanding(deps, tx, o.batch);
      return o.batch.id;
    });
  return { db, queue, deps, httpBatch };
}

describe('a worker with another registry than the open batch', () => {
  it('refuses to start, as a usage error, when that batch is open already', async () => {
    const { queue, deps, httpBatch } = await setUp();
    const id = await httpBatch();
    const stop = new AbortController();
    const err = await runWorker(deps, { workers: 1, stop: stop.signal, graceMs: 1000, lost: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryMismatchError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `batch ${id} was started with --registry http, but this process has --registry mock; start it with the registry flags of the batch`,
    );
    await queue.stop(1000);
  });

  it('stops at the first chunk of a batch opened since, handing it back once, not over and over', async () => {
    const { db, deps, httpBatch } = await setUp();
    const stop = new AbortController();
    const running = runWorker(deps, { workers: 2, stop: stop.signal, graceMs: 1000, lost: new AbortController().signal }).catch((e: unknown) => e);
    await sleep(200); // the worker waits for chunks
    await httpBatch();
    const err = await Promise.race([running, sleep(20_000).then(() => 'still running')]);
    stop.abort();
    expect(err).toBeInstanceOf(RegistryMismatchError);
    const tries = await rows<{ most: number }>(db, `SELECT coalesce(max(retry_count), 0)::int AS most FROM pgboss.job`);
    expect(tries[0]!.most).toBeLessThanOrEqual(2); // at most the chunks each loop had in hand
  });
});

describe('a worker whose token the registry refuses, restarted by a service manager with the same token', () => {
  it('hands its chunk back at once every time, without spending a retry: the run with the right token is not kept waiting', async () => {
    const { db, deps } = await setUp();
    await db.withTransaction(async (tx) => {
      const o = (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, now: FIXED_NOW }))!;
      await queueOutstanding(deps, tx, o.batch);
    });
    // Each start takes a chunk, meets the refusal and stops (exit 2); each hand-back used to double pg-boss's back-off
    // on that chunk (after ten, held for half an hour).
    for (let start = 0; start < 4; start++) {
      const queue = start === 0 ? deps.queue : await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
      const err = await runWorker({ ...deps, queue, tokenRefused: () => true }, { workers: 1, stop: new AbortController().signal, graceMs: 1000, lost: new AbortController().signal })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenRefusedError);
    }
    expect(await rows(db, `SELECT count(*)::int AS n FROM batch_chunk WHERE verified_at IS NOT NULL`)).toEqual([{ n: 0 }]);
    const open = await rows<{ chunk: number; tries: number; now: boolean }>(
      db,
      `SELECT (data->>'chunkNo')::int AS chunk, retry_count AS tries, start_after <= now() + interval '1 second' AS now FROM pgboss.job
        WHERE state IN ('created', 'retry') ORDER BY 1`,
    );
    // Both chunks waiting, at once (within a second: pg-boss may date a job by this process's clock, which runs a
    // little ahead of the server's now()), no retry spent. (A worker's second loop may have taken a chunk handed back a
    // moment before, and handed it back again: a step queued twice is done once.)
    expect([...new Set(open.map((o) => o.chunk))]).toEqual([0, 1]);
    expect(open.filter((o) => o.tries !== 0 || !o.now)).toEqual([]);
  }, 60_000);
});

describe('a worker that stops', () => {
  it('hands back at once a chunk whose requests wait for a slot of the batch cap, without spending a retry', async () => {
    const { db, deps } = await setUp();
    const id = await db.withTransaction(async (tx) => {
      const o = (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 4, maxInFlight: 1, now: FIXED_NOW }))!;
      await queueOutstanding(deps, tx, o.batch);
      return o.batch.id;
    });
    // Another process holds the batch's only slot, its request out: this worker's step waits for it.
    const other = await createDb(database().url);
    try {
      await other.withSession(async (holder) => {
        await holder.query('SELECT pg_advisory_lock($1::int, 0)', [-id]);
        const stop = new AbortController();
        const { log, lines } = capturedLog('info');
        const running = runWorker({ ...deps, log }, { workers: 1, stop: stop.signal, graceMs: 10_000, lost: new AbortController().signal });
        for (let i = 0; i < 200 && (await rows(db, `SELECT 1 FROM pgboss.job WHERE state = 'active'`)).length === 0; i++) await sleep(50);
        stop.abort();
        await running;
        expect(lines.map((l) => l.msg)).toContain('stopped while waiting for a registry slot: the chunk goes back to the queue');
        await holder.query('SELECT pg_advisory_unlock($1::int, 0)', [-id]);
      });
    } finally {
      await other.close();
    }
    // Nothing verified; the chunk waits for any worker, now, no retry spent. Waiting out the grace instead, pg-boss
    // failed the job as it stopped: a retry spent, and the chunk held back by its back-off.
    expect(await rows(db, `SELECT count(*)::int AS n FROM batch_chunk WHERE verified_at IS NOT NULL`)).toEqual([{ n: 0 }]);
    const open = await rows<{ tries: number; now: boolean }>(
      db,
      `SELECT retry_count AS tries, start_after <= now() + interval '1 second' AS now FROM pgboss.job WHERE state IN ('created', 'retry')`,
    );
    expect(open).toEqual([{ tries: 0, now: true }]);
  }, 60_000);

  it('says as many chunk steps done as batch status credits it with, share steps that had nobody to share too', async () => {
    const { db, deps } = await setUp();
    const id = await db.withTransaction(async (tx) => {
      const o = (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, now: FIXED_NOW }))!;
      await queueOutstanding(deps, tx, o.batch);
      return o.batch.id;
    });
    const stop = new AbortController();
    const running = runWorker(deps, { workers: 1, stop: stop.signal, graceMs: 1000, lost: new AbortController().signal });
    for (let i = 0; i < 200 && (await rows<{ phase: string }>(db, 'SELECT phase FROM batch WHERE id = $1', [id]))[0]!.phase !== 'done'; i++) await sleep(100);
    stop.abort();
    const { jobs } = await running;
    const status = await batchStatus(db, id, new Date());
    expect(status!.phase).toBe('done');
    // Two chunks, three steps each; nobody matched (the registry knows none of them), so the share steps shared nobody.
    expect(status!.workers).toEqual([expect.objectContaining({ worker: 'test:1', steps: 6 })]);
    expect(jobs).toBe(6);
  });
});

describe('a run resuming the open batch with other flags', () => {
  it('says the batch keeps its chunk size, request size and registry cap, and finishes it with them', async () => {
    const { db, queue, deps } = await setUp();
    await queue.stop(1000);
    const id = await db.withTransaction(async (tx) =>
      (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: 3, batchSize: 1, now: FIXED_NOW }))!.batch.id);
    const { lines, log } = capturedLog('warn');
    const spy = new SpyRegistry(deps.registry);
    const r = await runBatch({ ...deps, registry: spy, log }, { province: null, maxInFlight: 6 }); // SMALL_RUN: chunks of 3, requests of 2
    expect(r).toMatchObject({ batchId: id, resumed: true });
    expect(lines.filter((l) => l.level === 40).map((l) => [l.msg, l.chunkSize ?? l.maxInFlight ?? l.batchSize, l.asked])).toEqual(
      expect.arrayContaining([
        ['the open batch keeps its chunk size; --chunk-size applies to the next batch', 2, 3],
        ['the open batch keeps its request size; --batch-size applies to the next batch', 1, 2],
        ['the open batch keeps its registry cap; --registry-max-in-flight applies to the next batch', 3, 6],
      ]),
    );
    // Every request of the batch's size, though this process was told another.
    expect(spy.verifyRequests.map((req) => req.length)).toEqual([1, 1, 1, 1]);
    expect((await rows<{ chunks: number; max_in_flight: number }>(db, 'SELECT chunks, max_in_flight FROM batch WHERE id = $1', [id]))[0]).toEqual({ chunks: 2, max_in_flight: 3 });
  });

  // `batch status` says to run again "with the flags it was started with"; run again without them, the defaults
  // differ from the batch's own sizes, and that is no request to be told about.
  it('says nothing of sizes it was not asked for (the flags left at their defaults)', async () => {
    const { db, queue, deps } = await setUp();
    await queue.stop(1000);
    await db.withTransaction(async (tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, batchSize: 1, now: FIXED_NOW }));
    const { lines, log } = capturedLog('warn');
    const r = await runBatch({ ...deps, log }, { province: null, asked: { chunkSize: false, batchSize: false } });
    expect(r).toMatchObject({ resumed: true });
    expect(lines.filter((l) => /keeps its/.test(String(l.msg)))).toEqual([]);
  });
});
