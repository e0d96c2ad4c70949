// The job engine's stop: once stop() has returned, this process starts no chunk, and a chunk it did not start is
// not lost (another worker takes it).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobQueue, type ChunkJob } from '../../src/db/jobs.js';
import type { Db } from '../../src/db/pool.js';
import { openBatch } from '../../src/db/batches.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { queueOutstanding } from '../../src/pipeline/chunk-work.js';
import { databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

const database = databasePerFile();

/** The database, with pg-boss's job fetch held back `ms` so that a stop can begin while a fetch is in flight. */
function slowFetch(db: Db, ms: number): { db: Db; fetching: () => number } {
  let inFlight = 0;
  return {
    fetching: () => inFlight,
    db: {
      ...db,
      async query(text: string, values?: unknown[]) {
        if (!text.includes('SKIP LOCKED')) return db.query(text, values);
        inFlight += 1;
        try {
          await sleep(ms);
          return await db.query(text, values);
        } finally {
          inFlight -= 1;
        }
      },
    } as Db,
  };
}

describe('the job queue, stopping', () => {
  // A verify step over HTTP goes on the chunk queue, with the mock on the write queue (queueFor): both stop alike.
  it.each([
    ['http', 'ddcn-chunk'],
    ['mock', 'ddcn-write'],
  ])('starts no job whose fetch was in flight when stop began, and hands that job back (registry %s)', async (registry, queueName) => {
    const { db } = database();
    const slow = slowFetch(db, 600);
    const queue = await JobQueue.open(slow.db, { takeoverSeconds: 120 }, () => undefined);
    await db.withTransaction((tx) => queue.enqueue(tx, [{ batchId: 1, step: 'verify', chunkNo: 1 } satisfies ChunkJob], registry));
    const started: number[] = [];
    await queue.work(1, async () => {
      started.push(Date.now());
    });
    for (let i = 0; i < 100 && slow.fetching() === 0; i += 1) await sleep(10);
    expect(slow.fetching()).toBeGreaterThan(0);
    await queue.stop(5_000);
    const stoppedAt = Date.now();
    // The fetch in flight was waited for: its job is done or handed back before stop() returns (the caller then
    // closes the pool, and a hand-back after that is lost: the job would wait out its expiry, in hand).
    expect(slow.fetching()).toBe(0);
    expect(await rows(db, `SELECT state FROM pgboss.job WHERE name = $1 AND state = 'active'`, [queueName])).toEqual([]);
    await sleep(1_000); // every fetch in flight has answered by now
    expect(started.filter((t) => t >= stoppedAt)).toEqual([]);
    // The chunk is either done (started before stop returned) or back in the queue for another worker, never lost:
    // as a fresh job, to be taken at once with none of its retries spent (a failed one waits out pg-boss's back-off).
    const jobs = await rows<{ state: string; tries: number; now: boolean }>(
      db,
      `SELECT state, retry_count AS tries, start_after <= now() + interval '1 second' AS now FROM pgboss.job WHERE name = $1 ORDER BY created_on, id`,
      [queueName],
    );
    if (started.length === 0) expect(jobs).toEqual([{ state: 'completed', tries: 0, now: true }, { state: 'created', tries: 0, now: true }]);
    else expect(jobs.map((j) => j.state)).toEqual(['completed']);
  });
});

describe('the job queue, how many steps one process works on at once', () => {
  /**
   * Works `jobs` (of a batch with `registry`) with `workers` loops; each job holds its loop until two are held or
   * 1.5 s passed. Returns the most held at once, and how many times the handler ran.
   */
  async function mostAtOnce(db: Db, workers: number, jobs: ChunkJob[], registry = 'mock'): Promise<{ most: number; ran: number }> {
    const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
    await db.withTransaction((tx) => queue.enqueue(tx, jobs, registry));
    let held = 0;
    let most = 0;
    let ran = 0;
    await queue.work(workers, async () => {
      held += 1;
      ran += 1;
      most = Math.max(most, held);
      for (let waited = 0; held < 2 && waited < 1_500; waited += 20) await sleep(20);
      held -= 1;
    });
    const done = async () => (await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'completed'`))[0]!.n;
    for (let i = 0; i < 500 && (await done()) < jobs.length; i += 1) await sleep(20);
    await queue.stop(5_000);
    expect(await done()).toBe(jobs.length);
    return { most, ran };
  }
  const two = (step: ChunkJob['step']): ChunkJob[] => [1, 2].map((chunkNo) => ({ batchId: 1, step, chunkNo }));

  it('asks the registry over HTTP for one chunk at a time with one worker, as --workers says', async () => {
    expect((await mostAtOnce(database().db, 1, two('verify'), 'http')).most).toBe(1);
  });

  // The write step is database work, and so are verifying and sharing with the mock or the file exchange: with one
  // worker they still keep two of the server's cores busy.
  it.each([
    ['write', 'mock'],
    ['verify', 'mock'],
    ['verify', 'file'],
    ['share', 'mock'],
    ['share', 'file'],
    ['write', 'http'],
  ] as const)('works on two %s steps at once even with one worker (registry %s)', async (step, registry) => {
    expect((await mostAtOnce(database().db, 1, two(step), registry)).most).toBe(2);
  });

  // Over HTTP the registry's latency bounds sharing: a second chunk would only halve each one's share of
  // --concurrency, and a worker told to stop would have twice the registry work in hand.
  it('shares one chunk at a time over HTTP with one worker', async () => {
    expect((await mostAtOnce(database().db, 1, two('share'), 'http')).most).toBe(1);
  });

  it('works on two copies of one chunk step one after the other (a resumed batch queues its phase again)', async () => {
    const copies: ChunkJob[] = [{ batchId: 1, step: 'share', chunkNo: 7 }, { batchId: 1, step: 'share', chunkNo: 7 }];
    // The copy that came while the other was in hand waited for it, then ran (a real step then finds itself done).
    expect(await mostAtOnce(database().db, 1, copies)).toEqual({ most: 1, ran: 2 });
  });
});

describe('the job queue, a handler that throws at once', () => {
  it('gives the job back and does the step on the next offer', { timeout: 30_000 }, async () => {
    const { db } = database();
    const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
    await db.withTransaction((tx) => queue.enqueue(tx, [{ batchId: 1, step: 'write', chunkNo: 1 }], 'mock'));
    let calls = 0;
    let done = false;
    await queue.work(1, (() => {
      calls += 1;
      if (calls === 1) throw new Error('thrown before any promise');
      done = true;
      return Promise.resolve();
    }) as (job: ChunkJob) => Promise<void>);
    for (let i = 0; i < 150 && !done; i += 1) await sleep(100);
    await queue.stop(2_000);
    expect(done).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('the job queue, a chunk step slower than its expiry', () => {
  // pg-boss fails a job whose handler outlives its expiry and offers it again, while that handler still runs here.
  it('does not complete the offered copy unrun: the step is retried when the slow handler then fails', { timeout: 30_000 }, async () => {
    const { db } = database();
    const queue = await JobQueue.open(db, { takeoverSeconds: 4, pollSeconds: 0.5 }, () => undefined); // expiry 3 s
    await db.withTransaction((tx) => queue.enqueue(tx, [{ batchId: 1, step: 'verify', chunkNo: 1 }], 'http'));
    let calls = 0;
    let done = false;
    await queue.work(1, async () => {
      calls += 1;
      if (calls === 1) {
        await sleep(6_000);
        throw new Error('failed after its expiry');
      }
      done = true;
    });
    for (let i = 0; i < 200 && !done; i += 1) await sleep(100);
    await queue.stop(2_000);
    expect(done).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('the job queue, steps slower than their expiry', () => {
  // pg-boss gives a loop back once its job outlives the expiry, the handler still running. Each loop then took one job
  // more every expiry: the steps in hand grew past the loops the pool is sized for, and with share steps (each holds
  // a connection and asks for another) every connection of the process was held by a step waiting for one: the run
  // and its workers hung, for good, deaf to SIGTERM.
  it('never has more steps in hand than the process has loops', { timeout: 30_000 }, async () => {
    const { db } = database();
    const queue = await JobQueue.open(db, { takeoverSeconds: 2, pollSeconds: 0.5 }, () => undefined); // expiry 1 s
    const jobs: ChunkJob[] = Array.from({ length: 8 }, (_, i) => ({ batchId: 1, step: 'write', chunkNo: i }));
    await db.withTransaction((tx) => queue.enqueue(tx, jobs, 'mock'));
    let held = 0;
    let most = 0;
    // One worker: one loop for the chunk queue and two (WRITE_LOOPS) for the write queue.
    await queue.work(1, async () => {
      held += 1;
      most = Math.max(most, held);
      await sleep(2_500);
      held -= 1;
    });
    await sleep(6_000);
    await queue.stop(5_000);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
  });
});

describe('a batch resumed or joined again and again', () => {
  it('queues again only the chunks that have no job waiting or in hand: no copies for processes to work on at once', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = Array.from({ length: 7 }, (_, i) => ({
      ma_so_bhxh: `01000000${String(i + 1).padStart(2, '0')}`, ho_ten: `Nguyễn Văn Số ${i + 1}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `01234567${i + 1}`,
    }));
    await importParticipants(deps(db), await writeParticipants(dir, people));
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 3, maxInFlight: null, now: new Date() }));
    const batch = opened!.batch;
    const queue = await JobQueue.open(db, { takeoverSeconds: 120 }, () => undefined);
    try {
      const work = { ...runDeps(db, await mockRegistry(await writeRegistry(dir, []))), queue, worker: 'host-a:1' };
      const jobs = async () =>
        (await rows<{ chunk: number; state: string }>(db, `SELECT (data->>'chunkNo')::int AS chunk, state FROM pgboss.job ORDER BY 1, 2`));
      // Three runs join or resume the batch one after the other, none working on it: one job per chunk (3, 3, 1).
      for (const joined of [false, true, false]) await db.withTransaction((tx) => queueOutstanding(work, tx, batch, joined));
      expect(await jobs()).toEqual([0, 1, 2].map((chunk) => ({ chunk, state: 'created' })));
      // A job that failed past its retries (or was lost) is queued again by the next run; the others are not.
      await db.query(`UPDATE pgboss.job SET state = 'failed' WHERE (data->>'chunkNo')::int = 1`);
      await db.withTransaction((tx) => queueOutstanding(work, tx, batch));
      expect(await jobs()).toEqual([{ chunk: 0, state: 'created' }, { chunk: 1, state: 'created' }, { chunk: 1, state: 'failed' }, { chunk: 2, state: 'created' }]);
      // A job in hand: a run joining processes at work leaves it to its process; a run resuming (nobody else at work:
      // the process died) queues it again, to be done now rather than once it expires.
      await db.query(`UPDATE pgboss.job SET state = 'active' WHERE (data->>'chunkNo')::int = 2`);
      await db.withTransaction((tx) => queueOutstanding(work, tx, batch, true));
      expect((await jobs()).filter((j) => j.chunk === 2)).toEqual([{ chunk: 2, state: 'active' }]);
      await db.withTransaction((tx) => queueOutstanding(work, tx, batch, false));
      expect((await jobs()).filter((j) => j.chunk === 2)).toEqual([{ chunk: 2, state: 'created' }, { chunk: 2, state: 'active' }]); // pg-boss's order of states
    } finally {
      await queue.stop(1_000);
    }
  });
});
