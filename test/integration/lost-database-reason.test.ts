// A worker (or a run) that loses the database in a chunk step says why: the database's own error (a reset
// connection, the server shutting down). Lost while a registry request read the batch's 429 pause or took a slot of
// its cap, the step's error is RegistryGateError, the database's under it: the worker said only "lost the database (the
// database failed before the registry was asked (reading its pause or taking a request slot): nobody was asked)",
// with the same words again as its cause — a 0.3 s reset of its connection, and nothing in the log said so.
import { describe, expect, it } from 'vitest';
import { RegistryGateError } from '../../src/adapters/shared-cap.js';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { openBatch } from '../../src/db/batches.js';
import { JobQueue } from '../../src/db/jobs.js';
import { queueOutstanding } from '../../src/pipeline/chunk-work.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { LostDatabaseError, runWorker } from '../../src/pipeline/worker.js';
import { databasePerFile, deps, FIXED_NOW, mockRegistry, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

const database = databasePerFile();

/** The database's error as node-postgres gives it when the server's end of the connection is reset. */
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/** A registry whose gate (the batch's pause, a slot of its cap) meets the database gone. */
class GateLost extends SpyRegistry {
  override async verify(_batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    throw new RegistryGateError(reset());
  }
}

async function setUp() {
  const { db } = database();
  const dir = await useTempDir();
  const people = [1, 2].map((i) => ({
    ma_so_bhxh: `079000000${i}`, ho_ten: `Người Thứ ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `02345678${i}`, ma_tinh: '079',
  }));
  await importParticipants(deps(db), await writeParticipants(dir, people));
  const registry = new GateLost(await mockRegistry(await writeRegistry(dir, [])));
  return { db, registry };
}

describe('the database lost under a chunk step, before the registry was asked', () => {
  it("a worker says the database's error, not the step's", async () => {
    const { db, registry } = await setUp();
    const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
    const work = { ...runDeps(db, registry), queue, worker: 'test:1' };
    await db.withTransaction(async (tx) => {
      const o = (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, now: FIXED_NOW }))!;
      await queueOutstanding(work, tx, o.batch);
    });
    const err = await runWorker(work, { workers: 1, stop: new AbortController().signal, graceMs: 1000, lost: new AbortController().signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LostDatabaseError);
    expect((err as Error).message).toBe(
      'lost the database (read ECONNRESET): this worker stopped. Chunks it had are taken up by another worker once their expiry passes; ' +
        'start it again when the database is back.',
    );
  });

  it("a run says the database's error, not the step's", async () => {
    const { db, registry } = await setUp();
    const err = await runBatch(runDeps(db, registry), { province: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LostDatabaseError);
    expect((err as Error).message).toBe(
      'lost the database (read ECONNRESET): this run stopped. Its batch stays open: a ddcn worker at work goes on with it, and the next ddcn run resumes it.',
    );
  });
});
