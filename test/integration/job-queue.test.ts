// The job engine's stop: once stop() has returned, this process starts no chunk, and a chunk it did not start is
// not lost (another worker takes it).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobQueue, type ChunkJob } from '../../src/db/jobs.js';
import type { Db } from '../../src/db/pool.js';
import { databasePerFile, rows } from '../helpers/pipeline.js';

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
  it('starts no job whose fetch was in flight when stop began, and hands that job back', async () => {
    const { db } = database();
    const slow = slowFetch(db, 600);
    const queue = await JobQueue.open(slow.db, { takeoverSeconds: 120 }, () => undefined);
    await db.withTransaction((tx) => queue.enqueue(tx, [{ batchId: 1, step: 'verify', chunkNo: 1 } satisfies ChunkJob]));
    const started: number[] = [];
    await queue.work(1, async () => {
      started.push(Date.now());
    });
    for (let i = 0; i < 100 && slow.fetching() === 0; i += 1) await sleep(10);
    expect(slow.fetching()).toBeGreaterThan(0);
    await queue.stop(5_000);
    const stoppedAt = Date.now();
    await sleep(1_000); // every fetch in flight has answered by now
    expect(started.filter((t) => t >= stoppedAt)).toEqual([]);
    // The chunk is either done (started before stop returned) or back in the queue for another worker: never lost.
    const [job] = await rows<{ state: string }>(db, `SELECT state FROM pgboss.job WHERE name = 'ddcn-chunk'`);
    if (started.length === 0) expect(['created', 'retry']).toContain(job!.state);
    else expect(job!.state).toBe('completed');
  });
});

describe('the job queue, how many steps one process works on at once', () => {
  /** Works `jobs` with `workers` loops; each job holds its loop until two are held or 1.5 s passed. Returns the most held at once. */
  async function mostAtOnce(db: Db, workers: number, jobs: ChunkJob[]): Promise<number> {
    const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
    await db.withTransaction((tx) => queue.enqueue(tx, jobs));
    let held = 0;
    let most = 0;
    let done = 0;
    await queue.work(workers, async () => {
      held += 1;
      most = Math.max(most, held);
      for (let waited = 0; held < 2 && waited < 1_500; waited += 20) await sleep(20);
      held -= 1;
      done += 1;
    });
    for (let i = 0; i < 500 && done < jobs.length; i += 1) await sleep(20);
    await queue.stop(5_000);
    expect(done).toBe(jobs.length);
    return most;
  }
  const two = (step: ChunkJob['step']): ChunkJob[] => [1, 2].map((chunkNo) => ({ batchId: 1, step, chunkNo }));

  it('asks the registry for one chunk at a time with one worker, as --workers says', async () => {
    expect(await mostAtOnce(database().db, 1, two('verify'))).toBe(1);
  });

  // The write and share steps are database work (over HTTP, sharing's requests keep to --concurrency per process): with
  // one worker they still keep two of the server's cores busy.
  it.each(['write', 'share'] as const)('works on two %s steps at once even with one worker', async (step) => {
    expect(await mostAtOnce(database().db, 1, two(step))).toBe(2);
  });
});
