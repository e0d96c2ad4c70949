// Plan I.3: the ĐDCN replaces the number on file and the old number stays searchable, whatever its length: the
// 9-digit CMND, the 12-digit CMND some provinces issued, and numbers that lost a leading zero in a spreadsheet.
import { describe, expect, it } from 'vitest';
import { applyCorrections } from '../../src/db/corrections.js';
import { startImportRun } from '../../src/db/import-runs.js';
import { loadMigrations } from '../../src/db/migrate.js';
import { countsAsOf } from '../../src/db/reports.js';
import { lookupNumber } from '../../src/db/results.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, FIXED_NOW, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01' };
const PEOPLE: ParticipantInput[] = [
  // a 12-digit old CMND that is not an ĐDCN
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '025123456789', ...unit },
  // a 9-digit old CMND
  { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ...unit },
  // a 12-digit CMND that lost its leading zero (11 digits in the file)
  { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Ba', ngay_sinh: '1971', gioi_tinh: 'Nam', so_giay_to: '31987654321', ...unit },
  // already holds the ĐDCN: nothing is replaced
  { ma_so_bhxh: '0100000004', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '001192000004', ...unit },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '025123456789', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000002', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001071000003', so_cmnd: '031987654321', ho_ten: 'Lê Văn Ba', ngay_sinh: '20/10/1971', gioi_tinh: 'Nam' },
  { so_ddcn: '001192000004', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ' },
];

async function verified() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const result = await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, REGISTRY))), { province: null });
  expect(result.counts).toMatchObject({ read: 4, matched: 4 });
  return db;
}

describe('number history: the old number stays searchable', () => {
  it('keeps a replaced 12-digit old CMND, a 9-digit one and a repaired one in number_history, and nothing for a number that was already the ĐDCN', async () => {
    const db = await verified();
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source FROM number_history ORDER BY ma_so_bhxh')).toEqual([
      { ma_so_bhxh: '0100000001', so_cu: '025123456789', so_moi: '001090000001', source: 'registry' },
      { ma_so_bhxh: '0100000002', so_cu: '023456781', so_moi: '079185000002', source: 'registry' },
      { ma_so_bhxh: '0100000003', so_cu: '031987654321', so_moi: '001071000003', source: 'registry' },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_giay_to FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '001090000001' },
      { ma_so_bhxh: '0100000002', so_giay_to: '079185000002' },
      { ma_so_bhxh: '0100000003', so_giay_to: '001071000003' },
      { ma_so_bhxh: '0100000004', so_giay_to: '001192000004' },
    ]);
  });

  it('finds the participant by the replaced 12-digit old CMND with lookup, and by the ĐDCN that replaced it', async () => {
    const db = await verified();
    const hung = { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', so_ddcn: '001090000001', former_numbers: ['025123456789'] };
    expect(await lookupNumber(db, '025123456789')).toEqual([hung]);
    expect(await lookupNumber(db, '001090000001')).toEqual([hung]);
    expect(await lookupNumber(db, '031987654321')).toEqual([
      { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Ba', so_ddcn: '001071000003', former_numbers: ['031987654321'] },
    ]);
    expect(await lookupNumber(db, '023456781')).toEqual([
      { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Lan', so_ddcn: '079185000002', former_numbers: ['023456781'] },
    ]);
    expect(await lookupNumber(db, '001192000004')).toEqual([
      { ma_so_bhxh: '0100000004', ho_ten: 'Phạm Thị Bốn', so_ddcn: '001192000004', former_numbers: [] },
    ]);
    expect(await lookupNumber(db, '025123456788')).toEqual([]);
  });
});

/** Nguyễn Văn Hùng with the number `cmnd` on file, and a registry file that knows him by it (ĐDCN 001090000001). */
async function hungKnownBy(dir: string, cmnd: string, registryName?: string) {
  const hung: ParticipantInput = { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: cmnd, ...unit };
  const registry = await writeRegistry(dir, [
    { so_ddcn: '001090000001', so_cmnd: cmnd, ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  ], registryName);
  return { hung, registry };
}

describe('number history: a number the export replaced, given back by a unit\'s correction', () => {
  it('is replaced by the ĐDCN as any number on file, so an export that then gives it keeps the ĐDCN', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // A 12-digit old CMND that is not the ĐDCN (docs: some provinces issued them), of the shape column (13) accepts.
    const cmnd = '025090123456';
    const typo = '025090999999';
    const { hung, registry } = await hungKnownBy(dir, cmnd);
    const person = `SELECT status, so_giay_to, so_ddcn FROM participant WHERE ma_so_bhxh = '0100000001'`;
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-1.csv'));
    // The next export carries a typo: the registry does not know that number.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, so_giay_to: typo }], 'ngay-2.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ mismatched: 1 });
    // The unit writes the right number into column (13) of its Mẫu 02.
    const applied = await db.withTransaction(async (tx) => applyCorrections(tx, {
      importId: await startImportRun(tx, 'corrections', 'tra-ve.xlsx', FIXED_NOW), unit: 'TA0001A', sourceFile: 'tra-ve.xlsx', now: FIXED_NOW,
      rows: [{ line: 14, maSoBhxh: '0100000001', hoTen: null, ngaySinh: null, gioiTinh: null, soGiayTo: cmnd, numberRepaired: false, rawNumber: cmnd }],
    }));
    expect(applied).toEqual([{ line: 14, kind: 'applied', fields: 1 }]);
    // The number on file is no former number of the person's.
    expect((await lookupNumber(db, cmnd)).map((r) => r.former_numbers)).toEqual([[typo]]);
    // Verified on the corrected number: the ĐDCN in its place, the CMND a former number the registry replaced.
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ matched: 1 });
    expect(await rows(db, person)).toEqual([{ status: 'MATCHED', so_giay_to: '001090000001', so_ddcn: '001090000001' }]);
    expect(await rows(db, `SELECT so_cu, so_moi, source FROM number_history WHERE so_cu = '${cmnd}'`)).toEqual([
      { so_cu: cmnd, so_moi: '001090000001', source: 'registry' },
    ]);
    // The source fixes the typo as the unit said: the old CMND the export gives keeps the ĐDCN, as for anyone matched.
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-3.csv'));
    expect(await rows(db, person)).toEqual([{ status: 'MATCHED', so_giay_to: '001090000001', so_ddcn: '001090000001' }]);
  });
});

describe('number history: the ĐDCN written back in place of a number the export gave', () => {
  it('is the number on file, no former one', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // The registry knows both of the person's CMND, the 9-digit one and the 12-digit one issued later.
    const { hung, registry } = await hungKnownBy(dir, '012345678');
    const { registry: twelve } = await hungKnownBy(dir, '025090123456', 'registry-12.csv');
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-1.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ matched: 1 });
    // The source replaces the old CMND by the 12-digit one: the ĐDCN on file is replaced, the person verified again.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, so_giay_to: '025090123456' }], 'ngay-2.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(twelve)), { province: null })).counts).toMatchObject({ matched: 1 });
    expect(await rows(db, `SELECT so_giay_to FROM participant`)).toEqual([{ so_giay_to: '001090000001' }]);
    // Found by it as by any number on file; the CMND are its former numbers, the ĐDCN is not.
    expect((await lookupNumber(db, '001090000001')).map((r) => r.former_numbers)).toEqual([['012345678', '025090123456']]);
  });
});

describe('number history: the old CMND given back after the export replaced the ĐDCN', () => {
  it('is followed: the number on file is the one the export gives, not the one the export gave before', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const cmnd = '012345678';
    const typo = '012345699';
    const { hung, registry } = await hungKnownBy(dir, cmnd);
    const person = `SELECT status, so_giay_to, so_ddcn FROM participant WHERE ma_so_bhxh = '0100000001'`;
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-1.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ matched: 1 });
    // The next export replaces the number by a typo: the ĐDCN on file goes, the registry does not know the typo.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, so_giay_to: typo }], 'ngay-2.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ mismatched: 1 });
    expect(await rows(db, person)).toEqual([{ status: 'MISMATCHED', so_giay_to: typo, so_ddcn: null }]);
    // The source fixes the typo: the export gives the old CMND again. Kept against it, the typo would stay on file
    // (a number neither the source nor the registry holds) and the person on Mẫu 02 for good.
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-3.csv'));
    expect(await rows(db, person)).toEqual([{ status: 'PENDING', so_giay_to: cmnd, so_ddcn: null }]);
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ matched: 1 });
    expect(await rows(db, person)).toEqual([{ status: 'MATCHED', so_giay_to: '001090000001', so_ddcn: '001090000001' }]);
    // And then the old CMND keeps the ĐDCN, as for anyone matched.
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-4.csv'));
    expect(await rows(db, person)).toEqual([{ status: 'MATCHED', so_giay_to: '001090000001', so_ddcn: '001090000001' }]);
  });

  it('is followed after the export left the number empty', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const cmnd = '012345678';
    const { hung, registry } = await hungKnownBy(dir, cmnd);
    const person = `SELECT status, so_giay_to FROM participant WHERE ma_so_bhxh = '0100000001'`;
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-1.csv'));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, so_giay_to: '012345699' }], 'ngay-2.csv'));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, so_giay_to: '' }], 'ngay-3.csv'));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    expect(await rows(db, person)).toEqual([{ status: 'MISSING_ID', so_giay_to: null }]);
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-4.csv'));
    expect(await rows(db, person)).toEqual([{ status: 'PENDING', so_giay_to: cmnd }]);
  });
});

describe('migration 0040 and a number the registry replaced', () => {
  it("marks no change for a unit's number the registry replaced by the ĐDCN, when an earlier correction had taken that number away", async () => {
    const { db } = database();
    const dir = await useTempDir();
    const cmnd = '025090123456';
    const registry = await writeRegistry(dir, [{ ...REGISTRY[0]!, so_cmnd: cmnd }]);
    const hung: ParticipantInput = { ...PEOPLE[0]!, so_giay_to: cmnd, ngay_sinh: '06/03/1990' }; // the export's date is wrong
    const typo = '025090999999';
    await importParticipants(deps(db), await writeParticipants(dir, [hung], 'ngay-1.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ mismatched: 1 });
    const correct = (at: Date, ngaySinh: string | null, soGiayTo: string) => db.withTransaction(async (tx) => applyCorrections(tx, {
      importId: await startImportRun(tx, 'corrections', 'tra-ve.xlsx', at), unit: 'TA0001A', sourceFile: 'tra-ve.xlsx', now: at,
      rows: [{ line: 14, maSoBhxh: '0100000001', hoTen: null, ngaySinh, gioiTinh: null, soGiayTo, numberRepaired: false, rawNumber: soGiayTo }],
    }));
    // The unit first gives a wrong number, then the date and the number of the file back: the registry matches.
    expect(await correct(new Date('2024-06-03T02:00:00Z'), null, typo)).toEqual([{ line: 14, kind: 'applied', fields: 1 }]);
    expect(await correct(new Date('2024-06-03T03:00:00Z'), '1990-03-05', cmnd)).toEqual([{ line: 14, kind: 'applied', fields: 2 }]);
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ matched: 1 });
    // The next export writes the name in capitals: asked again, the same for the registry.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...hung, ho_ten: 'NGUYỄN VĂN HÙNG' }], 'ngay-2.csv'));
    expect((await runBatch(runDeps(db, await mockRegistry(registry)), { province: null })).counts).toMatchObject({ read: 1, matched: 1 });
    expect(await rows(db, `SELECT status, so_giay_to FROM participant WHERE ma_so_bhxh = '0100000001'`)).toEqual([{ status: 'MATCHED', so_giay_to: '001090000001' }]);
    const figures = async () => (await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null }))[0];
    expect(await figures()).toMatchObject({ corrected: 1, rematched: 1 });

    const m = (await loadMigrations()).find((x) => x.name.startsWith('0040_'))!;
    await db.withTransaction((tx) => tx.query(m.sql));
    // No import replaced the unit's number: the registry did. Still counted in Mẫu 03's (12).
    expect(await rows(db, `SELECT count(*)::int AS n FROM participant_state WHERE changed_version IS NOT NULL`)).toEqual([{ n: 0 }]);
    expect(await figures()).toMatchObject({ corrected: 1, rematched: 1 });
  });
});
