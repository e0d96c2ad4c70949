// Mẫu 03 counts an outcome from the moment it took effect: once its chunk was written, as participant, the lists
// and the results have it. A batch stopped in its verify phase (killed, or hours into a national night), or one whose
// conflicts are not settled yet, moves no figure: before, its stored outcomes counted as verified — both parties of
// a conflict as matched — while everyone was still PENDING everywhere else.
import { describe, expect, it } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { countsAsOf } from '../../src/db/reports.js';
import { workOnChunk } from '../../src/pipeline/chunk-work.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, exportedResults, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const UNIT = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '079', ma_huyen: '760' };
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ...UNIT },
  // One person on file twice with one old number, in two chunks: the registry confirms both codes with one
  // personal number, which neither holds yet; a conflict once the batch's claims are settled.
  { ma_so_bhxh: '0790000002', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '023456787', ...UNIT },
  { ma_so_bhxh: '0790000003', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '023456787', ...UNIT },
  { ma_so_bhxh: '0790000004', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...UNIT },
];
const REGISTRY = [
  { so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  { so_ddcn: '079075000007', so_cmnd: '023456787', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam' },
];
const CONFIG = { chunkSize: 2, batchSize: 2, concurrency: 1 };

describe('Mẫu 03 during a batch', () => {
  it('counts nobody as verified until their chunk is written, and a conflict only once it is settled', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
    const statuses = async () => [...(await exportedResults(deps(db), dir)).rows.values()].map((r) => r.status);
    const figures = async () => {
      const [row] = await countsAsOf(db, { cutoff: new Date(Date.now() + 60_000), province: null });
      return { matched: row!.matched, mismatched: row!.mismatched, conflict: row!.conflict, pending: row!.pending };
    };

    // The first chunk verified: its outcomes stored, one of them a claim on a number the other chunk claims too.
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 2, maxInFlight: null, now: new Date() }));
    const work = { ...runDeps(db, registry, CONFIG), queue: { enqueue: async () => undefined }, worker: 'host-a:1' };
    const verify = (chunkNo: number) => workOnChunk(work, { batchId: opened!.batch.id, step: 'verify', chunkNo });
    expect(await verify(0)).toBe(2);
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM verification WHERE status = 'MATCHED'`)).rows[0]!.n).toBe(2);
    expect(await figures()).toEqual({ matched: 0, mismatched: 0, conflict: 0, pending: 4 });
    // Both verified, the claims settled (both CONFLICT), nothing written yet: still nothing in effect.
    expect(await verify(1)).toBe(2);
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM verification WHERE status = 'CONFLICT'`)).rows[0]!.n).toBe(2);
    expect(await figures()).toEqual({ matched: 0, mismatched: 0, conflict: 0, pending: 4 });
    expect(await statuses()).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);

    // The batch finished: the figures are those of the results.
    await runBatch(runDeps(db, registry, CONFIG), { province: null });
    expect(await statuses()).toEqual(['MATCHED', 'CONFLICT', 'CONFLICT', 'MISMATCHED']);
    expect(await figures()).toEqual({ matched: 1, mismatched: 1, conflict: 2, pending: 0 });
  });
});
