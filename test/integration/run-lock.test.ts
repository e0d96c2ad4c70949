import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import type { Db, Queryable } from '../../src/db/pool.js';
import { RunInProgressError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  crashingDb, deps, exportedResults, mockRegistry, rows, runDeps, SpyRegistry, databasePerFile, useTempDir, writeParticipants,
  writeRegistry, type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const RUN_LOCK = 2207_0002;

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

describe('run lock', () => {
  it('refuses a second run while another holds the run lock, and changes nothing', async () => {
    const { db, url, dir, registryFile } = await setup();
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [RUN_LOCK]);
      const spy = new SpyRegistry(await mockRegistry(registryFile));
      const err = await runBatch(runDeps(db, spy), { province: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunInProgressError);
      expect((err as Error).message).toMatch(/another ddcn run is in progress/);
      expect(spy.verifyRequests).toEqual([]);
      expect(await rows(db, 'SELECT id FROM batch')).toEqual([]);
      expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status])).toEqual(
        people.map((p) => [p.ma_so_bhxh, 'PENDING']),
      );
    } finally {
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [RUN_LOCK]);
      await other.end();
    }
    // Once the other run is gone, the next run goes ahead.
    const result = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(result.counts.matched).toBe(8);
  });

  it('names the unfinished batch when refusing while a died run is being resumed by someone else', async () => {
    const { db, url, registryFile } = await setup();
    const crashing = crashingDb(db, 3);
    await runBatch(runDeps(crashing.db, await mockRegistry(registryFile)), { province: null }).catch(() => undefined);
    await crashing.settled();
    const [unfinished] = await rows<{ id: number }>(db, `SELECT id FROM batch WHERE phase <> 'done'`);

    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [RUN_LOCK]);
      const err = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunInProgressError);
      expect((err as Error).message).toContain(`batch ${unfinished!.id}`);
    } finally {
      await other.end();
    }
  });
});

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
    withTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      count += 1;
      if (count === n) return Promise.reject(new Error('Connection terminated unexpectedly'));
      return db.withTransaction(fn);
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
