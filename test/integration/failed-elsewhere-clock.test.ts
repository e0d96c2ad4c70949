// A `ddcn worker` that fails every chunk it takes (another URL, a registry it cannot reach) is named in the run's
// message, with what to do: restart it with the right settings. The times of its steps are its own machine's clock:
// one an hour behind the run's made the run say the failures came "before this run began, by the process that then
// worked on the batch" — no process to restart — of a batch the run had itself opened, the worker still failing.
import { describe, expect, it } from 'vitest';
import { failedElsewhere, openBatch } from '../../src/db/batches.js';
import { registryFailureMessage } from '../../src/cli/summary.js';
import { workOnChunk } from '../../src/pipeline/chunk-work.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, rows, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

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
    expect(told).toEqual([{ worker: 'host-b:2', before: false, people: 2, kept: 0, kinds: ['registry_error'], shareFailed: 0 }]);
    // A batch the run resumed: by the times, as before (a run that died left it).
    expect((await failedElsewhere(db, [id], 'host-a:1', runBegan))[0]!.before).toBe(true);
  });

  it('says of the people it could not verify who keep their last outcome, as the run says of its own, not that they are PENDING', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = [1, 2].map((i) => ({
      ma_so_bhxh: `079000000${i}`, ho_ten: `Người Thứ ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: `02345678${i}`, ma_tinh: '079',
    }));
    const registryFile = await writeRegistry(dir, people.map((p, i) => ({
      so_ddcn: `07909000000${i + 1}`, so_cmnd: p.so_giay_to, ho_ten: p.ho_ten, ngay_sinh: '1990', gioi_tinh: 'Nam',
    })));
    await importParticipants(deps(db), await writeParticipants(dir, people));
    expect((await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null })).counts).toMatchObject({ matched: 2 });
    // The next export writes their names in capitals: asked again, and MATCHED meanwhile.
    await importParticipants(deps(db), await writeParticipants(dir, people.map((p) => ({ ...p, ho_ten: p.ho_ten.toUpperCase() })), 'capitals.csv'));
    const registry = new SpyRegistry(await mockRegistry(registryFile));
    registry.failVerify = () => true;
    const runBegan = new Date();
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 10, maxInFlight: null, now: runBegan }));
    const id = opened!.batch.id;
    const worker = { ...runDeps(db, registry), queue: { enqueue: async () => undefined }, worker: 'host-b:2' };
    expect(await workOnChunk(worker, { batchId: id, step: 'verify', chunkNo: 0 })).toBe(2);
    expect(await workOnChunk(worker, { batchId: id, step: 'write', chunkNo: 0 })).toBe(2);
    expect(await rows(db, 'SELECT status FROM participant ORDER BY 1')).toEqual([{ status: 'MATCHED' }, { status: 'MATCHED' }]);

    const others = await failedElsewhere(db, [id], 'host-a:1', runBegan, [id]);
    expect(others).toEqual([{ worker: 'host-b:2', before: false, people: 2, kept: 2, kinds: ['registry_error'], shareFailed: 0 }]);
    const m = registryFailureMessage({ what: 'the registry is unavailable', why: null, errors: 2, kept: 2, shareFailed: 0, others });
    expect(m).toContain('They keep their last outcome on the lists (verified before)');
    expect(m).toContain('(host-b:2: 2 people not verified, keeping their last outcome (registry_error))');
    expect(m).not.toContain('PENDING');
  });
});
