import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDb } from '../../src/db/pool.js';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import type { Db, Queryable, TransactionOptions } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { formatFinishedFirst, formatSummary } from '../../src/cli/summary.js';
import { openBatch, stillFailed } from '../../src/db/batches.js';
import { WRITE_LOOPS, workingConnectionName } from '../../src/db/jobs.js';
import { InterruptedError } from '../../src/errors.js';
import {
  crashingDb, deps, exportedResults, GatedRegistry, mockRegistry, rows, runDeps, SpyRegistry, databasePerFile, useTempDir, writeParticipants,
  writeRegistry, type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const people: ParticipantInput[] = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({
  ma_so_bhxh: `010000000${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `01234567${i}`,
  ma_don_vi: 'TA0001A', ma_tinh: '01',
}));
const registry: RegistryInput[] = people.map((p, i) => ({
  so_ddcn: `00109000000${i + 1}`, so_cmnd: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: '1990', gioi_tinh: 'Nam',
}));

async function setup() {
  const t = database();
  const dir = await useTempDir();
  await importParticipants(deps(t.db), await writeParticipants(dir, people));
  return { ...t, dir, registryFile: await writeRegistry(dir, registry) };
}

// The global run lock is retired (the distributed run): a second `ddcn run` while one is going joins the open
// batch as another worker instead of refusing. What must hold is what the lock used to protect.
describe('two runs at once', () => {
  it('share one batch and write every person exactly once, as one run would', async () => {
    const { db, dir, registryFile } = await setup();
    const a = new SlowRegistry(await mockRegistry(registryFile));
    const b = new SlowRegistry(await mockRegistry(registryFile));
    const config = { chunkSize: 2, batchSize: 1, concurrency: 1 };
    const [first, second] = await Promise.all([
      runBatch(runDeps(db, a, config), { province: null }),
      runBatch(runDeps(db, b, config), { province: null }),
    ]);
    expect(await rows(db, 'SELECT id FROM batch')).toEqual([{ id: first.batchId }]);
    expect(second.batchId).toBe(first.batchId);
    // Everyone asked (a chunk taken by both may be asked twice: asking changes nothing), written once, shared once.
    expect([...new Set([...a.verifyRequests, ...b.verifyRequests].flat().map((r) => r.requestId))].sort()).toEqual(people.map((p) => p.ma_so_bhxh));
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status])).toEqual(
      people.map((p) => [p.ma_so_bhxh, 'MATCHED']),
    );
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu FROM number_history ORDER BY 1')).toEqual(
      people.map((p) => ({ ma_so_bhxh: p.ma_so_bhxh, so_cu: p.so_giay_to })),
    );
    expect(await rows(db, 'SELECT count(*)::int AS n, count(DISTINCT ma_so_bhxh)::int AS people FROM share_record')).toEqual([{ n: 8, people: 8 }]);
  });

  it('a run started while another holds chunks of the open batch says it joined it, not that it resumed it', async () => {
    const { db, url, registryFile } = await setup();
    // Two processes, as `ddcn run` names their connections.
    const [one, two] = [1, 2].map((pid) => createDb(url, { applicationName: workingConnectionName('run', `test:${pid}`) }));
    onTestFinished(() => Promise.all([one!.close(), two!.close()]).then(() => undefined));
    const gate = new GatedRegistry(await mockRegistry(registryFile));
    const config = { chunkSize: 2, batchSize: 1, concurrency: 1 };
    const first = runBatch(runDeps(one!, gate, config), { province: null });
    await gate.asked; // the first run holds a chunk job now
    const second = runBatch(runDeps(two!, await mockRegistry(registryFile), config), { province: null });
    await sleep(500);
    gate.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b.batchId).toBe(a.batchId);
    expect([a.resumed, a.joined, b.resumed, b.joined]).toEqual([false, false, false, true]);
    expect(await rows(db, 'SELECT attempts FROM batch')).toEqual([{ attempts: 1 }]);
  });

  it('a run started a moment after another, its chunks queued and none taken yet, joins it; once that run is gone, the next resumes', async () => {
    const { db, url, registryFile } = await setup();
    const [one, two, three] = [1, 2, 3].map((pid) => createDb(url, { applicationName: workingConnectionName('run', `test:${pid}`) }));
    onTestFinished(() => Promise.all([two!.close(), three!.close()]).then(() => undefined));
    // The first run has opened the batch and queued its chunks: it is connected, and no chunk is in hand.
    const opened = await one!.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, batchSize: 1, now: new Date() }));
    const config = { chunkSize: 2, batchSize: 1, concurrency: 1 };
    const b = await runBatch(runDeps(two!, await mockRegistry(registryFile), config), { province: null });
    expect(b.batchId).toBe(opened!.batch.id);
    expect([b.resumed, b.joined]).toEqual([false, true]);
    expect(await rows(db, 'SELECT attempts FROM batch')).toEqual([{ attempts: 1 }]);
    // A batch whose opener's connections are gone is resumed (an attempt more), and its resumer is its opener then.
    await db.query(`UPDATE batch SET phase = 'verify', finished_at = NULL`);
    await one!.close();
    const c = await runBatch(runDeps(three!, await mockRegistry(registryFile), config), { province: null });
    expect([c.batchId, c.resumed, c.joined]).toEqual([opened!.batch.id, true, false]);
    expect(await rows(db, 'SELECT attempts, opened_by FROM batch')).toEqual([{ attempts: 2, opened_by: workingConnectionName('run', 'test:3') }]);
  });

  it('uses up no batch id on a night with nothing to verify: the ids an operator sees follow one another', async () => {
    const { db, registryFile } = await setup();
    const first = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    for (let i = 0; i < 2; i++) expect((await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null })).batchId).toBeNull();
    expect(await rows(db, 'SELECT last_value::int AS id FROM batch_id_seq')).toEqual([{ id: first.batchId }]);
  });

  /** Province 01's eight people and some of province 79 (two), with province 01's batch left open by a run that died. */
  async function provinceBatchLeftOpen(inSouth = 2) {
    const t = database();
    const dir = await useTempDir();
    const southern: ParticipantInput[] = Array.from({ length: inSouth }, (_, k) => k + 1).map((i) => ({
      ma_so_bhxh: `790000000${i}`, ho_ten: `Trần Thị Nam ${i}`, ngay_sinh: '1985', gioi_tinh: 'Nữ', so_giay_to: `07912345${i}`,
      ma_don_vi: 'TB0002B', ma_tinh: '79',
    }));
    await importParticipants(deps(t.db), await writeParticipants(dir, [...people, ...southern]));
    const registryFile = await writeRegistry(dir, [
      ...registry,
      ...southern.map((p, i) => ({ so_ddcn: `07918500000${i + 1}`, so_cmnd: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: '1985', gioi_tinh: 'Nữ' })),
    ]);
    const crashing = crashingDb(t.db, 3);
    await runBatch(runDeps(crashing.db, await mockRegistry(registryFile)), { province: '01' }).catch(() => undefined);
    await crashing.settled();
    const [left] = await rows<{ id: number }>(t.db, `SELECT id FROM batch WHERE phase <> 'done'`);
    return { ...t, dir, registryFile, southern, left: left!.id };
  }

  it('a run for another scope finishes the open batch first, then does what it was asked, and says both', async () => {
    const { db, dir, registryFile, southern, left } = await provinceBatchLeftOpen();
    const told: string[] = [];
    const r = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null, onFinishedFirst: (b) => told.push(formatFinishedFirst(b)) });
    expect(r.finishedFirst.map((b) => [b.batchId, b.resumed, b.province, b.counts.read, b.counts.matched])).toEqual([[left, true, '01', 8, 8]]);
    // The batch asked for ran after it, and covered the rest of the country: nobody is left to verify.
    expect([r.batchId === left, r.province, r.counts.read, r.counts.matched]).toEqual([false, null, 2, 2]);
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((x) => x.status)).toEqual([...people, ...southern].map(() => 'MATCHED'));
    // Each said in its own line: the one finished first as soon as it was done, then the one asked.
    expect(told).toEqual([expect.stringMatching(new RegExp(`^batch ${left} \\(resumed\\) of province 01 was open and is finished first \\(\\d+\\.\\d s\\): 8 read · 8 MATCHED `))]);
    expect(formatSummary(r, r.seconds)).toMatch(new RegExp(`^batch ${r.batchId} of the whole country done in \\d+\\.\\d s: 2 read · 2 MATCHED`));
  });

  it('a run for another scope whose own scope has nothing left says so after finishing the open batch', async () => {
    const { db, registryFile } = await setup();
    const crashing = crashingDb(db, 3);
    await runBatch(runDeps(crashing.db, await mockRegistry(registryFile)), { province: '01' }).catch(() => undefined);
    await crashing.settled();
    // The whole country is these eight people of province 01: the open batch covers them all.
    const r = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect([r.batchId, r.finishedFirst.length]).toEqual([null, 1]);
    expect(formatSummary(r, 1)).toBe('nothing to verify for the whole country: every participant is up to date (1.0 s)');
  });

  it('counts as failed only who is PENDING when the run ends: the batch asked for verified again those the first could not', async () => {
    const { db, registryFile, left } = await provinceBatchLeftOpen();
    const spy = new SpyRegistry(await mockRegistry(registryFile));
    let outage = true;
    spy.failVerify = () => outage;
    const r = await runBatch(runDeps(db, spy), { province: null, onFinishedFirst: () => (outage = false) });
    expect(r.finishedFirst[0]!.counts.errors).toBeGreaterThan(0);
    expect(await stillFailed(db, [left, r.batchId!])).toEqual({ people: 0, kept: 0 });
  });

  it('counts each person the registry failed for once, not once per batch of the run', async () => {
    const { db, registryFile, left } = await provinceBatchLeftOpen();
    const down = new SpyRegistry(await mockRegistry(registryFile));
    down.failVerify = () => true;
    const failed = await runBatch(runDeps(db, down), { province: null });
    const perBatch = failed.finishedFirst[0]!.counts.errors + failed.counts.errors;
    const [pending] = await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM participant WHERE status = 'PENDING'`);
    expect(pending!.n).toBeGreaterThan(2); // the two of province 79, and those of 01 the run that died had not verified
    expect(perBatch).toBeGreaterThan(pending!.n); // asked in both batches
    expect(await stillFailed(db, [left, failed.batchId!])).toEqual({ people: pending!.n, kept: 0 });
  });

  it('works on the batches of one run with the same worker loops: --workers chunk steps at a time, not more with each batch', async () => {
    const { db, registryFile } = await provinceBatchLeftOpen(8);
    const counting = new ConcurrencyRegistry(await mockRegistry(registryFile));
    const r = await runBatch(runDeps(db, counting, { chunkSize: 1, batchSize: 1, concurrency: 1 }), { province: null, workers: 1 });
    expect(r.counts.read).toBe(8); // the asked batch: eight one-person chunks
    // One loop of the run, and the write queue's second (WRITE_LOOPS: the mock's verify steps go there too).
    expect(counting.most).toBeLessThanOrEqual(WRITE_LOOPS);
  });

  it('interrupted while its last step is in hand: the step ends the batch, and the run returns it done, not "resumes batch N"', async () => {
    const { db, registryFile } = await setup();
    const stop = new AbortController();
    // Ctrl-C while the last chunk's share is with the registry: that step still ends (each step ends or is undone
    // whole), and with it the batch.
    class InterruptedInShare extends SpyRegistry {
      override async share(records: Parameters<SpyRegistry['share']>[0]): Promise<string[]> {
        stop.abort();
        await sleep(600); // the run sees the signal meanwhile (it looks every 200 ms)
        return super.share(records);
      }
    }
    const result = await runBatch(runDeps(db, new InterruptedInShare(await mockRegistry(registryFile)), { chunkSize: 100, batchSize: 50, concurrency: 1 }), {
      province: null, signal: stop.signal,
    });
    expect(result.batchId).toBe(1);
    expect(result.counts).toMatchObject({ read: 8, matched: 8, pending: 0 });
    expect(await rows(db, 'SELECT phase FROM batch')).toEqual([{ phase: 'done' }]);
  });

  it('interrupted between the two batches: says which was finished, and that the one asked was not started', async () => {
    const { db, registryFile, left } = await provinceBatchLeftOpen();
    const stop = new AbortController();
    const err = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null, signal: stop.signal, onFinishedFirst: () => stop.abort() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as Error).message).toBe(`interrupted after finishing batch ${left} (another scope, open before); the batch asked for was not started: run ddcn run again`);
    expect(await rows(db, `SELECT count(*)::int AS n FROM batch WHERE phase <> 'done'`)).toEqual([{ n: 0 }]);
  });

  it('settles the batch on the old statistics when a VACUUM of the outcomes holds the lock ANALYZE needs', async () => {
    const { db, url, dir, registryFile } = await setup();
    // What a long VACUUM (an anti-wraparound one is not cancelled) holds for its whole length.
    const vacuum = createDb(url);
    onTestFinished(() => vacuum.close());
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = vacuum.withTransaction(async (tx) => {
      await tx.query('LOCK TABLE verification IN SHARE UPDATE EXCLUSIVE MODE');
      await held;
    });
    const r = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    release();
    await holding;
    expect(r.counts).toMatchObject({ read: 8, matched: 8 });
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((x) => x.status)).toEqual(people.map(() => 'MATCHED'));
  }, 60_000);

  it('let the next run resume a batch whose run died, and end as one uninterrupted run', async () => {
    const { db, dir, registryFile } = await setup();
    const crashing = crashingDb(db, 3);
    await runBatch(runDeps(crashing.db, await mockRegistry(registryFile)), { province: null }).catch(() => undefined);
    await crashing.settled();
    const [unfinished] = await rows<{ id: number }>(db, `SELECT id FROM batch WHERE phase <> 'done'`);
    const resumed = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(resumed.batchId).toBe(unfinished!.id);
    expect([resumed.resumed, resumed.joined, resumed.finishedFirst]).toEqual([true, false, []]);
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => r.status)).toEqual(people.map(() => 'MATCHED'));
  });
});

/** A registry whose first answer waits until the test opens it. */
/** Counts the requests in flight at once (each chunk step of one person asks once). */
class ConcurrencyRegistry extends SpyRegistry {
  most = 0;
  calls = 0;
  private now = 0;
  override async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    this.calls += 1;
    this.most = Math.max(this.most, ++this.now);
    try {
      await sleep(40);
      return await super.verify(batch);
    } finally {
      this.now -= 1;
    }
  }
}

/** A registry that takes a little while per request, as a real one does. */
class SlowRegistry extends SpyRegistry {
  override async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    await sleep(15);
    return super.verify(batch);
  }
}

/** The Nth transaction fails once (a dropped connection); everything else works. */
function failingOnce(db: Db, n: number): Db {
  let count = 0;
  return {
    ...db,
    withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
      count += 1;
      if (count === n) return Promise.reject(new Error('Connection terminated unexpectedly'));
      return db.withTransaction(fn, options);
    },
  };
}

describe('a run that fails', () => {
  it('stops sending to the registry and writing chunks once it has reported the failure', async () => {
    const { db, registryFile } = await setup();
    const spy = new SlowRegistry(await mockRegistry(registryFile));
    // Transaction 1 creates the batch (8 chunks of one); transaction 2 is the first verified chunk.
    const err = await runBatch(runDeps(failingOnce(db, 2), spy, { chunkSize: 1, batchSize: 1, concurrency: 1 }), { province: null }).catch(
      (e: unknown) => e,
    );
    // A connection dropped is the database lost: said as such, the driver's words kept as the cause.
    expect((err as Error).message).toMatch(/^lost the database \(Connection terminated unexpectedly\): this run stopped\./);

    const requestsAtFailure = spy.verifyRequests.length;
    const verifiedAtFailure = await rows(db, 'SELECT chunk_no FROM batch_chunk WHERE verified_at IS NOT NULL ORDER BY 1');
    await sleep(400);
    // The run lock is released when runBatch returns: work going on after that could overlap the next run.
    expect(spy.verifyRequests.length).toBe(requestsAtFailure);
    expect(await rows(db, 'SELECT chunk_no FROM batch_chunk WHERE verified_at IS NOT NULL ORDER BY 1')).toEqual(verifiedAtFailure);
  });
});
