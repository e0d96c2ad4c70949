// An import of participants and an import of corrections (or the portal's upload, or a run's write step) at the
// same time, on one person: what the one commits while the other's statement is under way must not be written over
// with what that statement read before it.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput,
} from '../helpers/pipeline.js';
import { listsOut, returned, SAO_MAI_PEOPLE, SAO_MAI_REGISTRY } from '../helpers/returned-mau02.js';

const database = databasePerFile();

/** A person of another unit, first in the file and first by code: the row another session keeps locked. */
const OTHER: ParticipantInput = {
  ma_so_bhxh: '0790000000', ho_ten: 'Lý Thị Bảy', ngay_sinh: '1985', gioi_tinh: 'Nữ', so_giay_to: '023456700',
  ma_don_vi: 'DV0790002', ten_don_vi: 'Công ty Hoa Lan', ma_tinh: '079', ma_huyen: '760',
};

/** Polls until some session of `db` waits for a row lock: the import's statement is under way, its reading done. */
async function untilWaitingForALock(client: pg.Client): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    if (r.rows[0].n > 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('the import never waited for the locked row');
}

describe('import participants meets a correction', () => {
  it('keeps a correction committed while the import writes the same person (the file changed their e-mail)', async () => {
    const { db, url } = database();
    const { dir, mau02 } = await listsOut(db, [OTHER, ...SAO_MAI_PEOPLE], SAO_MAI_REGISTRY, 'DV0790001');
    const sheet = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hưng'));
    // The night's export: the two people's e-mails changed, nothing the registry compares.
    const night = await writeParticipants(dir, [
      { ...OTHER, email: 'bay.ly@example.org' },
      ...SAO_MAI_PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, email: 'hung.pham@example.org' } : p)),
    ], 'night.csv');

    // The import is held at the first person's row; meanwhile the unit's Mẫu 02 comes back: its correction is applied
    // and committed.
    const imported = await importMeanwhile(url, db, night, async () => {
      expect(await importCorrections(deps(db), sheet)).toMatchObject({ corrected: 1, rejected: 0 });
    });
    expect(imported).toMatchObject({ updated: 2 });

    // As when the two come one after the other: the correction stays (the file still gives the name it replaced),
    // the person keeps the outcome of their last verification until the next run verifies the corrected name.
    expect(await rows(db, `SELECT ho_ten, email, status, data_version FROM participant WHERE ma_so_bhxh = '0790000003'`)).toEqual([
      { ho_ten: 'Phạm Văn Hưng', email: 'hung.pham@example.org', status: 'MISMATCHED', data_version: 2 },
    ]);
  });

  it("keeps the ĐDCN a run writes while the import writes the same person (the file changed their e-mail)", async () => {
    const { db, url } = database();
    const dir = await useTempDir();
    const registry = await writeRegistry(dir, [
      { so_ddcn: '079085000000', so_cmnd: '023456700', ho_ten: 'Lý Thị Bảy', ngay_sinh: '1985', gioi_tinh: 'Nữ' },
      { so_ddcn: '079090000008', so_cmnd: '023456708', ho_ten: 'Đinh Văn Tám', ngay_sinh: '1990', gioi_tinh: 'Nam' },
    ]);
    const TAM: ParticipantInput = { ...OTHER, ma_so_bhxh: '0790000008', ho_ten: 'Đinh Văn Tám', ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: '023456708' };
    await importParticipants(deps(db), await writeParticipants(dir, [OTHER], 'first.csv'));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    // Tám is new: the next run verifies him, while the night's import, which changed both e-mails, is under way.
    await importParticipants(deps(db), await writeParticipants(dir, [OTHER, TAM], 'second.csv'));
    const night = await writeParticipants(dir, [{ ...OTHER, email: 'bay.ly@example.org' }, { ...TAM, email: 'tam.dinh@example.org' }], 'night.csv');

    const imported = await importMeanwhile(url, db, night, async () => {
      const run = await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
      expect(run.counts).toMatchObject({ read: 1, matched: 1 });
    });
    expect(imported).toMatchObject({ updated: 2 });

    // As when the two come one after the other: the ĐDCN stays on file and Tám stays MATCHED (the file's CMND is his
    // former number), with his new e-mail.
    expect(await rows(db, `SELECT so_giay_to, so_ddcn, email, status FROM participant WHERE ma_so_bhxh = '0790000008'`)).toEqual([
      { so_giay_to: '079090000008', so_ddcn: '079090000008', email: 'tam.dinh@example.org', status: 'MATCHED' },
    ]);
  });
});

/**
 * Imports `night` held at the row of 0790000000 (another session holds it) and, while the import waits there with
 * its chunk's statement begun, does `meanwhile`; then lets the import go on and gives its result.
 */
async function importMeanwhile(url: string, db: Parameters<typeof deps>[0], night: string, meanwhile: () => Promise<void>) {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM participant WHERE ma_so_bhxh = '0790000000' FOR UPDATE`);
    const importing = importParticipants(deps(db), night, `${night}.rejects.csv`);
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    try {
      await untilWaitingForALock(watcher);
    } finally {
      await watcher.end();
    }
    await meanwhile();
    await holder.query('ROLLBACK');
    return await importing;
  } finally {
    await holder.end();
  }
}
