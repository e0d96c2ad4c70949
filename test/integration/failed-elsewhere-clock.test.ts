// A `ddcn worker` that fails every chunk it takes (another URL, a registry it cannot reach) is named in the run's
// message, with what to do: restart it with the right settings. The times of its steps are its own machine's clock:
// one an hour behind the run's made the run say the failures came "before this run began, by the process that then
// worked on the batch" — no process to restart — of a batch the run had itself opened, the worker still failing.
import { describe, expect, it } from 'vitest';
import { failedElsewhere, openBatch } from '../../src/db/batches.js';
import { workOnChunk } from '../../src/pipeline/chunk-work.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, mockRegistry, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

const database = databasePerFile();

describe('failures of another process, told by a run', () => {
  it('in a batch the run opened, are failures during the run, whatever the clock of the worker that met them', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = [1, 2].map((i) => ({
      ma_so_bhxh: `079000000${i}`, ho_ten: `Người Thứ ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `02345678${i}`, ma_tinh: '079',
    }));
    await importParticipants(deps(db), await writeParticipants(dir, people));
    const registry = new SpyRegistry(await mockRegistry(await writeRegistry(dir, [])));
    registry.failVerify = () => true;

    const runBegan = new Date();
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 10, maxInFlight: null, now: runBegan }));
    const id = opened!.batch.id;
    // The worker's machine: its clock an hour behind the run's.
    const worker = { ...runDeps(db, registry), now: () => new Date(runBegan.getTime() - 3_600_000), queue: { enqueue: async () => undefined }, worker: 'host-b:2' };
    expect(await workOnChunk(worker, { batchId: id, step: 'verify', chunkNo: 0 })).toBe(2);
    expect(await workOnChunk(worker, { batchId: id, step: 'write', chunkNo: 0 })).toBe(2);

    const told = await failedElsewhere(db, [id], 'host-a:1', runBegan, [id]);
    expect(told).toEqual([{ worker: 'host-b:2', before: false, people: 2, kinds: ['registry_error'], shareFailed: 0 }]);
    // A batch the run resumed: by the times, as before (a run that died left it).
    expect((await failedElsewhere(db, [id], 'host-a:1', runBegan))[0]!.before).toBe(true);
  });
});
