import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDb } from '../../src/db/pool.js';
import { workingConnectionName } from '../../src/db/jobs.js';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import type { Db, Queryable, TransactionOptions } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { formatSummary } from '../../src/cli/summary.js';
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

  it('a run for another scope finishes the open batch first, then does what it was asked, and says both', async () => {
    const t = database();
    const dir = await useTempDir();
    // Beside province 01's eight people, two of province 79 whom a batch of province 01 does not cover.
    const southern: ParticipantInput[] = [1, 2].map((i) => ({
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

    const r = await runBatch(runDeps(t.db, await mockRegistry(registryFile)), { province: null });
    expect(r.finishedFirst.map((b) => [b.batchId, b.resumed, b.province, b.counts.read, b.counts.matched])).toEqual([[left!.id, true, '01', 8, 8]]);
    // The batch asked for ran after it, and covered the rest of the country: nobody is left to verify.
    expect([r.batchId === left!.id, r.province, r.counts.read, r.counts.matched]).toEqual([false, null, 2, 2]);
    expect([...(await exportedResults(deps(t.db), dir)).rows.values()].map((x) => x.status)).toEqual([...people, ...southern].map(() => 'MATCHED'));
    expect(formatSummary(r, 1)).toMatch(
      new RegExp(`^batch ${left!.id} \\(resumed\\) of province 01 was open and is finished first: 8 read · 8 MATCHED .*\\nbatch ${r.batchId} of the whole country done in 1\\.0 s: 2 read · 2 MATCHED`),
    );
  });

  it('a run for another scope whose own scope has nothing left says so after finishing the open batch', async () => {
    const { db, registryFile } = await setup();
    const crashing = crashingDb(db, 3);
    await runBatch(runDeps(crashing.db, await mockRegistry(registryFile)), { province: '01' }).catch(() => undefined);
    await crashing.settled();
    // The whole country is these eight people of province 01: the open batch covers them all.
    const r = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect([r.batchId, r.finishedFirst.length]).toEqual([null, 1]);
    expect(formatSummary(r, 1)).toMatch(/finished first: 8 read · 8 MATCHED .*\nnothing to verify for the whole country: every participant is up to date/);
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
    expect((err as Error).message).toBe('Connection terminated unexpectedly');

    const requestsAtFailure = spy.verifyRequests.length;
    const verifiedAtFailure = await rows(db, 'SELECT chunk_no FROM batch_chunk WHERE verified_at IS NOT NULL ORDER BY 1');
    await sleep(400);
    // The run lock is released when runBatch returns: work going on after that could overlap the next run.
    expect(spy.verifyRequests.length).toBe(requestsAtFailure);
    expect(await rows(db, 'SELECT chunk_no FROM batch_chunk WHERE verified_at IS NOT NULL ORDER BY 1')).toEqual(verifiedAtFailure);
  });
});
