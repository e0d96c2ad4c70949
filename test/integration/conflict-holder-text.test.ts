// The run's summary and `ddcn batch status` count the conflicts of people the batch did not read (they hold, on file,
// the number it found for someone it read). Such a holder need not have been verified at all: a province's run finds
// the number a participant of another province was imported with, never verified. The line must not say otherwise.
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { conflictText, formatSummary } from '../../src/cli/summary.js';
import { deps, mockRegistry, rows, runDeps, databasePerFile, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

const database = databasePerFile();

describe('the conflicts of holders outside the batch, as the summary says them', () => {
  it('does not call a holder never verified "verified in an earlier batch"', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(
      await writeRegistry(dir, [{ so_ddcn: '001080000020', so_cmnd: '013900020', ho_ten: 'Hoàng Văn Nam', ngay_sinh: '02/09/1980', gioi_tinh: 'Nam' }]),
    );
    const nam = { ho_ten: 'Hoàng Văn Nam', ngay_sinh: '02/09/1980', gioi_tinh: 'Nam' };
    await importParticipants(
      deps(db),
      await writeParticipants(dir, [
        // Hà Nội: imported with the ĐDCN itself, never verified (no run of province 01 yet)
        { ma_so_bhxh: '0100000021', ...nam, so_giay_to: '001080000020', ma_don_vi: 'HN01', ma_tinh: '01' },
        // Hồ Chí Minh: the old CMND, which the registry answers with that ĐDCN
        { ma_so_bhxh: '7900000020', ...nam, so_giay_to: '013900020', ma_don_vi: 'HCM01', ma_tinh: '79' },
      ]),
    );
    const result = await runBatch(runDeps(db, registry), { province: '79' });
    expect(result.counts).toMatchObject({ read: 1, conflict: 2, conflictEarlier: 1 });
    // The holder was never verified before this batch: the only outcome it has is the one this batch gave it.
    expect(await rows(db, `SELECT batch_id::int, chunk_no FROM verification WHERE ma_so_bhxh = '0100000021'`)).toEqual([
      { batch_id: result.batchId, chunk_no: -1 },
    ]);
    const line = formatSummary(result, 1);
    expect(line).not.toContain('verified in an earlier batch');
    expect(line).toContain('2 CONFLICT (1 of them not read by this batch: holding the number on file)');
  });

  it('says nothing more when every conflict is of people the batch read', () => {
    expect(conflictText({ conflict: 2, conflictEarlier: 0 })).toBe('2 CONFLICT');
  });
});
