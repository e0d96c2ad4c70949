// The write step sets every verified person's outcome, and only some of them get a new number. An update that
// leaves every indexed column as it was is HOT: the new row version stays on its page and no index is written
// (migration 0023). That is most of a nightly batch's writes once people carry their CCCD, so an index that holds
// an outcome column (as participant_unit_counts held status) would make all of them cost a full update.
import { describe, expect, it } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { writeChunk } from '../../src/db/verifications.js';
import { chunkInfo } from '../../src/db/chunk-steps.js';
import { queueOutstanding, workOnChunk } from '../../src/pipeline/chunk-work.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { CollectingQueue } from '../helpers/chunk-order.js';
import {
  SMALL_RUN, databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01' };
const PEOPLE: ParticipantInput[] = [
  // MATCHED, old CMND replaced by the ĐDCN: so_giay_to changes, so its index is written
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '025123456', ...unit },
  // MATCHED, already carrying the ĐDCN: only the outcome changes
  { ma_so_bhxh: '0100000002', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '001192000004', ...unit },
  // MISMATCHED (date of birth): only the outcome changes
  { ma_so_bhxh: '0100000003', ho_ten: 'Trần Thị Lan', ngay_sinh: '13/03/1985', gioi_tinh: 'Nữ', so_giay_to: '079185000002', ...unit },
  // MISSING_ID: only the outcome changes
  { ma_so_bhxh: '0100000004', ho_ten: 'Lê Văn Ba', ngay_sinh: '1971', gioi_tinh: 'Nam', so_giay_to: '', ...unit },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '025123456', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '001192000004', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ' },
  { so_ddcn: '079185000002', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
];

describe('the write step', () => {
  it('updates in place (HOT) every person whose number stays as it was, and fully only the one whose number is replaced', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
    // One chunk of all four, so that one transaction's counts cover the step.
    const base = runDeps(db, await mockRegistry(await writeRegistry(dir, REGISTRY)), { ...SMALL_RUN, chunkSize: 10 });
    const queue = new CollectingQueue();
    const batchId = await db.withTransaction(async (tx) => {
      const o = await openBatch(tx, { registry: base.registry.kind, province: null, chunkSize: base.config.chunkSize, maxInFlight: null, now: base.now() });
      await queueOutstanding({ ...base, queue, worker: 'test' }, tx, o!.batch);
      return o!.batch.id;
    });
    // The verify jobs; the last of them settles the batch and queues the write jobs.
    while (queue.jobs[0]?.step === 'verify') await workOnChunk({ ...base, queue, worker: 'test' }, queue.jobs.shift()!);
    expect(queue.jobs.map((j) => j.step)).toEqual(['write']);

    const chunk = (await chunkInfo(db, batchId, queue.jobs[0]!.chunkNo))!;
    const stats = await db.withTransaction(async (tx) => {
      await writeChunk(tx, { ...chunk, now: new Date() });
      // This transaction's own counts: exact, unlike the statistics collector's, which lag.
      const r = await tx.query<{ updated: string; hot: string }>(
        `SELECT pg_stat_get_xact_tuples_updated('participant'::regclass) AS updated,
                pg_stat_get_xact_tuples_hot_updated('participant'::regclass) AS hot`,
      );
      return r.rows[0]!;
    });
    expect(await rows(db, 'SELECT ma_so_bhxh, status, so_giay_to FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', status: 'MATCHED', so_giay_to: '001090000001' },
      { ma_so_bhxh: '0100000002', status: 'MATCHED', so_giay_to: '001192000004' },
      { ma_so_bhxh: '0100000003', status: 'MISMATCHED', so_giay_to: '079185000002' },
      { ma_so_bhxh: '0100000004', status: 'MISSING_ID', so_giay_to: null },
    ]);
    expect({ updated: Number(stats.updated), hot: Number(stats.hot) }).toEqual({ updated: 4, hot: 3 });
  });
});
