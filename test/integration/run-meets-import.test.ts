// An import (or a unit's correction) that changes people while their batch runs: the registry's answers for them
// were about their old data and are not applied (db/verifications.ts, writeOutcomes); the people are PENDING until
// the next run. The run's summary and `ddcn batch status` count those answers as MATCHED all the same, and said nothing
// more: a night that said "2 MATCHED · 0 PENDING" and exited 0 had one of the two PENDING, on no list.
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/commands/batch.js';
import { formatSummary } from '../../src/cli/summary.js';
import { batchStatus } from '../../src/db/batch-status.js';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, exportedResults, mockRegistry, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry, type ParticipantInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const UNIT = { ngay_sinh: '01/02/1980', gioi_tinh: 'Nam', ma_don_vi: 'TA0001A', ma_tinh: '01' };
const AN: ParticipantInput = { ...UNIT, ma_so_bhxh: '0100000001', ho_ten: 'Phạm Văn An', so_giay_to: '012345671' };
const BINH: ParticipantInput = { ...UNIT, ma_so_bhxh: '0100000002', ho_ten: 'Phạm Văn Bình', so_giay_to: '012345672' };

/** A registry during whose first request the night's export is imported: a change to one person's name. */
class ImportMeanwhile extends SpyRegistry {
  constructor(inner: SpyRegistry, private readonly importing: () => Promise<unknown>) {
    super(inner);
  }
  private done = false;
  override async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    if (!this.done) {
      this.done = true;
      await this.importing();
    }
    return super.verify(batch);
  }
}

describe('a batch whose people an import changes while it runs', () => {
  it('says in its summary and its status how many of the registry\'s answers it could not apply, and why', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(
      await writeRegistry(dir, [AN, BINH].map((p, i) => ({
        so_ddcn: `00108000000${i + 1}`, so_cmnd: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: '01/02/1980', gioi_tinh: 'Nam',
      }))),
    );
    await importParticipants(deps(db), await writeParticipants(dir, [AN, BINH], 'first.csv'));
    const changed = await writeParticipants(dir, [{ ...AN, ho_ten: 'Phạm Văn Ân' }, BINH], 'second.csv');
    const meanwhile = new ImportMeanwhile(new SpyRegistry(registry), () => importParticipants(deps(db), changed));

    const result = await runBatch(runDeps(db, meanwhile, { chunkSize: 10, batchSize: 10, concurrency: 1 }), { province: null });

    // What the participants are now: Bình MATCHED, An waiting for the next run with his new name.
    const { rows: results } = await exportedResults(deps(db), dir);
    expect([...results.values()].map((r) => [r.ma_so_bhxh, r.status])).toEqual([['0100000001', 'PENDING'], ['0100000002', 'MATCHED']]);
    // The registry's answers are the batch's counts still (read, MATCHED), and the one not applied is said.
    expect(result.counts).toMatchObject({ read: 2, matched: 2, pending: 0, changed: 1 });
    const line = formatSummary(result, 1);
    expect(line).toContain('2 read · 2 MATCHED');
    expect(line).toContain(' · 1 not applied (data changed during the batch: the next run verifies it)');
    const status = (await batchStatus(db, result.batchId, new Date()))!;
    expect(status.counts.changed).toBe(1);
    expect(formatStatus(status)).toContain(' · 1 not applied (data changed during the batch: the next run verifies it)');
    // The next run verifies An's new name, and says nothing of the kind.
    const next = await runBatch(runDeps(db, registry, { chunkSize: 10, batchSize: 10, concurrency: 1 }), { province: null });
    expect(next.counts).toMatchObject({ read: 1, changed: 0 });
    expect(formatSummary(next, 1)).not.toContain('not applied');
  });
});
