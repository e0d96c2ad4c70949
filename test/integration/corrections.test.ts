// The correction loop (Plan II.3–II.6): Mẫu 02 out, filled in by the unit, back in, verified again.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { applyCorrections, type CorrectionInput } from '../../src/db/corrections.js';
import { startImportRun } from '../../src/db/import-runs.js';
import { lookupNumber } from '../../src/db/results.js';
import { stillFailed } from '../../src/db/batches.js';
import { batchStatus } from '../../src/db/batch-status.js';
import { formatStatus } from '../../src/cli/commands/batch.js';
import { countsAsOf } from '../../src/db/reports.js';
import { loadMigrations } from '../../src/db/migrate.js';
import { capturedLog } from '../helpers/log.js';
import { UserError } from '../../src/errors.js';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { openReturnedMau02 } from '../../src/reports/read-mau02.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, exportedResults, FIXED_NOW, mockRegistry, parseCsv, rows, runDeps, SpyRegistry, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const UNIT = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty TNHH Sao Mai', ma_tinh: '079', ma_huyen: '760' };
const OTHER = { ma_don_vi: 'DV0790002', ten_don_vi: 'Công ty Bình Minh', ma_tinh: '079', ma_huyen: '761' };
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...UNIT },
  { ma_so_bhxh: '0790000002', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...UNIT },
  { ma_so_bhxh: '0790000003', ho_ten: 'Phạm Văn Hùng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam', so_giay_to: '023456785', ...UNIT },
  { ma_so_bhxh: '0790000004', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ...UNIT },
  { ma_so_bhxh: '0790000005', ho_ten: 'Vũ Văn Năm', ngay_sinh: '1970', gioi_tinh: 'Nam', so_giay_to: '099999999', ...UNIT },
  { ma_so_bhxh: '0790000009', ho_ten: 'Lê Văn Chín', ngay_sinh: '1979', gioi_tinh: 'Nam', so_giay_to: '', ...OTHER },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  { so_ddcn: '079192000006', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '20/10/1992', gioi_tinh: 'Nữ' },
  { so_ddcn: '079080000005', so_cmnd: '023456785', ho_ten: 'Phạm Văn Hưng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '079070000055', ho_ten: 'Vũ Văn Năm', ngay_sinh: '03/03/1970', gioi_tinh: 'Nam' },
];

/** Imported, verified once, lists written: the Mẫu 02 of the unit is ready to go out. */
async function listsOut() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const registryFile = await writeRegistry(dir, REGISTRY);
  await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
  const out = path.join(dir, 'lists');
  await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
  return { db, dir, out, registryFile, mau02: path.join(out, '079/DV0790001/mau02.xlsx') };
}

type Fill = Partial<Record<10 | 11 | 12 | 13, string>>;

/** What a clerk does: open the list in a spreadsheet program, type into columns 10–13, save under a new name. */
async function fillIn(file: string, saveAs: string, fills: Record<string, Fill>, extraRows: Array<[code: string, fill: Fill]> = []) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0]!;
  const lines: Record<string, number> = {};
  let lastPerson = 0;
  ws.eachRow((row, n) => {
    const code = row.getCell(2).value;
    if (typeof code === 'string' && /^\d{10}$/.test(code)) {
      lines[code] = n;
      lastPerson = n;
      for (const [col, v] of Object.entries(fills[code] ?? {})) row.getCell(Number(col)).value = v;
    }
  });
  // Rows a clerk inserts under the last person; the notes and signatures move down.
  ws.insertRows(
    lastPerson + 1,
    extraRows.map(([code, fill]) => {
      const values: ExcelJS.CellValue[] = [];
      values[2] = code;
      for (const [col, v] of Object.entries(fill)) values[Number(col)] = v;
      return values;
    }),
  );
  extraRows.forEach(([code], i) => (lines[`${code}#${i}`] = lastPerson + 1 + i));
  await wb.xlsx.writeFile(saveAs);
  return lines;
}


/** A list's column (9) by the person's code (column 2), as the unit reads it. */
async function column9(out: string, f: string): Promise<Map<string, string>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(out, f));
  const found = new Map<string, string>();
  wb.worksheets[0]!.eachRow((row) => {
    const v = row.getCell(2).value;
    if (typeof v === 'string' && /^\d{10}$/.test(v)) found.set(v, row.getCell(9).text);
  });
  return found;
}
describe('import corrections: a returned Mẫu 02', () => {
  it('applies columns 10–13, keeps the history, and the next run moves the corrected people to Mẫu 01', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    const lines = await fillIn(mau02, returned, {
      '0790000001': { 11: '12/03/1965' },
      '0790000002': { 13: '079192000006', 11: '20/10/1992' },
      '0790000003': { 10: 'Phạm Văn Hừng' }, // still not the registry's name
    });

    const r = await importCorrections(deps(db), returned);
    expect(r).toMatchObject({ unit: 'DV0790001', rowsRead: 4, corrected: 3, fields: 4, unchanged: 0, empty: 1, rejected: 0 });
    // The same file entered a second time (the nightly script and a clerk's upload): nothing to apply, nobody
    // told that the unit edited columns (3)–(9), which now differ from the list only because the correction is in.
    const twice = await importCorrections(deps(db), returned, path.join(dir, 'twice.rejects.csv'));
    expect(twice).toMatchObject({ rowsRead: 4, corrected: 0, unchanged: 3, empty: 1, rejected: 0 });

    expect(
      await rows(db, `SELECT ma_so_bhxh, ngay_sinh, so_giay_to, ho_ten, data_version, verified_version FROM participant
                       WHERE ma_so_bhxh IN ('0790000001', '0790000002', '0790000003') ORDER BY 1`),
    ).toEqual([
      { ma_so_bhxh: '0790000001', ngay_sinh: '1965-03-12', so_giay_to: '023456784', ho_ten: 'Đỗ Văn Bốn', data_version: 2, verified_version: 1 },
      { ma_so_bhxh: '0790000002', ngay_sinh: '1992-10-20', so_giay_to: '079192000006', ho_ten: 'Ngô Thị Sáu', data_version: 2, verified_version: 1 },
      { ma_so_bhxh: '0790000003', ngay_sinh: '1980-01-01', so_giay_to: '023456785', ho_ten: 'Phạm Văn Hừng', data_version: 2, verified_version: 1 },
    ]);
    expect(
      await rows(db, `SELECT ma_so_bhxh, field, old_value, new_value, source_file, source_row, data_version, changed_at
                        FROM participant_correction ORDER BY ma_so_bhxh, field`),
    ).toEqual([
      { ma_so_bhxh: '0790000001', field: 'dob', old_value: '1966', new_value: '1965-03-12', source_file: returned, source_row: lines['0790000001'], data_version: 2, changed_at: FIXED_NOW },
      { ma_so_bhxh: '0790000002', field: 'dob', old_value: '1992', new_value: '1992-10-20', source_file: returned, source_row: lines['0790000002'], data_version: 2, changed_at: FIXED_NOW },
      { ma_so_bhxh: '0790000002', field: 'id_number', old_value: null, new_value: '079192000006', source_file: returned, source_row: lines['0790000002'], data_version: 2, changed_at: FIXED_NOW },
      { ma_so_bhxh: '0790000003', field: 'name', old_value: 'Phạm Văn Hùng', new_value: 'Phạm Văn Hừng', source_file: returned, source_row: lines['0790000003'], data_version: 2, changed_at: FIXED_NOW },
    ]);

    const again = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(again.counts).toMatchObject({ read: 3, matched: 2, mismatched: 1 });
    const results = (await exportedResults(deps(db), dir)).rows;
    expect(['0790000001', '0790000002', '0790000003'].map((c) => results.get(c)?.status)).toEqual(['MATCHED', 'MATCHED', 'MISMATCHED']);

    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const sheet = async (f: string) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(path.join(out, f));
      const codes: string[] = [];
      wb.worksheets[0]!.eachRow((row) => {
        const v = row.getCell(2).value;
        if (typeof v === 'string' && /^\d{10}$/.test(v)) codes.push(v);
      });
      return { ws: wb.worksheets[0]!, codes };
    };
    expect((await sheet('079/DV0790001/mau01.xlsx')).codes).toEqual(['0790000001', '0790000002', '0790000004']);
    expect((await sheet('079/DV0790001/mau02.xlsx')).codes).toEqual(['0790000003', '0790000005']);

    // II.6.2: corrected from the unit's return, verified again, still no match → the IT centre's list
    const { ws, codes } = await sheet('079/de-nghi-ho-tro.xlsx');
    expect(codes).toEqual(['0790000003']);
    let row = 0;
    ws.eachRow((r, n) => {
      if (r.getCell(2).value === '0790000003') row = n;
    });
    expect((ws.getRow(row).values as unknown[]).slice(1, 12)).toEqual([
      1, '0790000003', 'Phạm Văn Hừng', '01/01/1980', 'Nam', '023456785', 'DV0790001', 'Công ty TNHH Sao Mai',
      'Họ và tên: Phạm Văn Hừng — CSDL dân cư: Phạm Văn Hưng',
      '03/06/2024 08:30', `mau02-tra-ve.xlsx, dòng ${lines['0790000003']}`,
    ]);
    expect(ws.getCell('A5').text).toContain('ĐỀ NGHỊ HỖ TRỢ');
    // The requesting office named as the head names it (a city: "thành phố").
    const intro: string[] = [];
    ws.eachRow((r) => intro.push(r.getCell(1).text));
    expect(intro).toContain('Đơn vị đề nghị: Bảo hiểm xã hội thành phố Hồ Chí Minh');
  });

  it('sends to the IT centre only who was compared again and still differs, not someone corrected without a number (Plan II.6.2)', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, {
      '0790000002': { 10: 'Ngô Thị Sáo' }, // a new name, still no number: the registry cannot be asked
      '0790000003': { 10: 'Phạm Văn Hừng' }, // compared again, still not the registry's name
    });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 2, rejected: 0 });
    const again = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(again.counts).toMatchObject({ read: 2, missing: 1, mismatched: 1 });
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect([...(await column9(out, '079/de-nghi-ho-tro.xlsx')).keys()]).toEqual(['0790000003']);
    const list = await column9(out, '079/DV0790001/mau02.xlsx');
    expect(list.get('0790000002')).toBe('Chưa có số ĐDCN/CCCD');
    expect(list.get('0790000003')).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày /);
    // Mẫu 03's column (13) counts the same one.
    const [figures] = await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null });
    expect(figures).toMatchObject({ corrected: 2, escalated: 1 });
  });

  it('does not send to the IT centre someone whose number the registry does not know and the unit did not correct: nothing else was compared', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, {
      // The registry does not know 099999999: it compared nothing; the unit wrote a date of birth, not the number.
      '0790000005': { 11: '03/03/1970' },
      // A number the unit gave from the card, which the registry does not know either: the IT centre's case.
      '0790000002': { 13: '079192000002' },
    });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 2, rejected: 0 });
    const again = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(again.counts).toMatchObject({ read: 2, mismatched: 2 });
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect([...(await column9(out, '079/de-nghi-ho-tro.xlsx')).keys()]).toEqual(['0790000002']);
    // Mẫu 02 still asks the unit for Năm's number, and does not tell it to wait for the IT centre.
    const list = await column9(out, '079/DV0790001/mau02.xlsx');
    expect(list.get('0790000005')).toBe('Số CMND/ĐDCN: 099999999 — không có trong CSDL dân cư');
    expect(list.get('0790000002')).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày /);
    const [figures] = await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null });
    expect(figures).toMatchObject({ corrected: 2, escalated: 1 });
  });

  it('takes off the IT centre\'s list who the source has given a new value since the correction: a new Mẫu 02 case, until corrected again', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, { '0790000003': { 10: 'Phạm Văn Hừng' } }); // still not the registry's name
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 1, rejected: 0 });
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    // The lists made anew each time; a list not made this time (nobody on it) reads as empty.
    const read = async (f: string) => {
      await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
      return column9(out, f).catch(() => new Map<string, string>());
    };
    expect([...(await read('079/de-nghi-ho-tro.xlsx')).keys()]).toEqual(['0790000003']);

    // Two days later the nightly export gives a new name at the source, which replaces the unit's correction
    // (README, Re-import); verified on it, the person still differs. That is not the correction failing: the unit is
    // asked again, as for anyone, and the IT centre is not.
    const later = new Date('2024-06-05T01:00:00Z');
    const renamed = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ho_ten: 'Phạm Văn Hứng' } : p));
    expect(await importParticipants({ ...deps(db), now: () => later }, await writeParticipants(dir, renamed, 'ngay-3.csv'))).toMatchObject({ updated: 1 });
    const run = await runBatch({ ...runDeps(db, await mockRegistry(registryFile)), now: () => later }, { province: null });
    expect(run.counts).toMatchObject({ read: 1, mismatched: 1 });
    expect([...(await read('079/de-nghi-ho-tro.xlsx')).keys()]).toEqual([]);
    const said = (await read('079/DV0790001/mau02.xlsx')).get('0790000003');
    // Told why the corrected person is back: the source changed the data after the unit's correction.
    expect(said).toMatch(/^Dữ liệu gốc đã thay đổi sau điều chỉnh ngày 03\/06\/2024 của đơn vị: kết quả dưới đây đối chiếu theo dữ liệu mới\nHọ và tên/);
    expect(said).not.toContain('Đã chuyển TT CNTT hỗ trợ');
    // Mẫu 03: still among those corrected (11); in (13) on the days it was on the list, not after.
    const on = async (cutoff: string) => (await countsAsOf(db, { cutoff: new Date(cutoff), province: null }))[0];
    expect(await on('2024-06-04T00:00:00Z')).toMatchObject({ corrected: 1, rematched: 0, escalated: 1 });
    expect(await on('2030-01-01T00:00:00Z')).toMatchObject({ corrected: 1, rematched: 0, escalated: 0 });

    // Corrected again by the unit, and still not matching: the IT centre's again.
    const again = path.join(dir, 'mau02-lan-2.xlsx');
    await fillIn(path.join(out, '079/DV0790001/mau02.xlsx'), again, { '0790000003': { 10: 'Phạm Văn Hừng' } });
    expect(await importCorrections({ ...deps(db), now: () => later }, again)).toMatchObject({ corrected: 1, rejected: 0 });
    await runBatch({ ...runDeps(db, await mockRegistry(registryFile)), now: () => later }, { province: null });
    expect([...(await read('079/de-nghi-ho-tro.xlsx')).keys()]).toEqual(['0790000003']);
    const escalated = (await read('079/DV0790001/mau02.xlsx')).get('0790000003');
    expect(escalated).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày /);
    expect(escalated).not.toContain('Dữ liệu gốc đã thay đổi'); // the correction made since stands
    expect(await on('2030-01-01T00:00:00Z')).toMatchObject({ corrected: 1, escalated: 1 });
  });

  it('keeps the unit\'s correction when the next export writes the name it replaced in capitals: the source did not change it', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, { '0790000003': { 10: 'Phạm Văn Hừng' } }); // still not the registry's name
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 1, rejected: 0 });
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    // The nightly export writes the same old name, in capitals: the value the correction replaced, as the registry
    // compares it (name_key). The correction stays, and Mẫu 02 does not say the source changed the data.
    const later = new Date('2024-06-05T01:00:00Z');
    const capitals = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ho_ten: 'PHẠM VĂN HÙNG' } : p));
    await importParticipants({ ...deps(db), now: () => later }, await writeParticipants(dir, capitals, 'ngay-3.csv'));
    expect(await rows(db, `SELECT ho_ten, status FROM participant WHERE ma_so_bhxh = '0790000003'`)).toEqual([{ ho_ten: 'Phạm Văn Hừng', status: 'MISMATCHED' }]);
    await runBatch({ ...runDeps(db, await mockRegistry(registryFile)), now: () => later }, { province: null });
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect([...(await column9(out, '079/de-nghi-ho-tro.xlsx')).keys()]).toEqual(['0790000003']);
    const said = (await column9(out, '079/DV0790001/mau02.xlsx')).get('0790000003');
    expect(said).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày /);
    expect(said).not.toContain('Dữ liệu gốc đã thay đổi');
  });

  it('keeps corrected people on Mẫu 02 and a matched one on Mẫu 01 when the registry fails for them, and verifies them the night after', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, { '0790000001': { 11: '12/03/1965' }, '0790000003': { 10: 'Phạm Văn Hừng' } });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 2, rejected: 0 });
    // The same night's export writes a matched person's name in capitals: no change the registry would see, but she
    // is asked again all the same.
    const capitals = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000004' ? { ...p, ho_ten: 'TRẦN THỊ LAN' } : p));
    expect(await importParticipants(deps(db), await writeParticipants(dir, capitals, 'ngay-2.csv'))).toMatchObject({ updated: 1 });
    const before = await rows(db, `SELECT ma_so_bhxh, status, status_fields, so_ddcn, so_giay_to, last_batch_id FROM participant ORDER BY 1`);
    const figures = async () => (await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null }))[0];
    const figuresBefore = await figures();

    // The night's run: the registry cannot be reached for anyone.
    const down = new SpyRegistry(await mockRegistry(registryFile));
    down.failVerify = () => true;
    const failed = await runBatch(runDeps(db, down), { province: null });
    expect(down.sentCodes).toEqual(['0790000001', '0790000003', '0790000004']);
    expect(failed.counts).toMatchObject({ read: 3, pending: 3, errors: 3 });
    // Nothing of theirs changed: each keeps the outcome, number and list of their last verification…
    expect(await rows(db, `SELECT ma_so_bhxh, status, status_fields, so_ddcn, so_giay_to, last_batch_id FROM participant ORDER BY 1`)).toEqual(before);
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const told = await column9(out, '079/DV0790001/mau02.xlsx');
    expect(told.get('0790000001')).toMatch(/^Đã nhận điều chỉnh/);
    expect(told.get('0790000003')).toMatch(/^Đã nhận điều chỉnh/);
    expect([...(await column9(out, '079/DV0790001/mau01.xlsx')).keys()]).toEqual(['0790000004']);
    expect((await exportedResults(deps(db), dir)).rows.get('0790000004')).toMatchObject({ status: 'MATCHED', so_ddcn: '079185000001' });
    // …and Mẫu 03 as the lists have it, while the run counts them as not verified, every one of them kept.
    expect(await figures()).toEqual(figuresBefore);
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 3, kept: 3 });
    // `ddcn batch status` the morning after says the same of them.
    const status = (await batchStatus(db, failed.batchId!, new Date()))!;
    expect([status.counts.pending, status.keptOutcome]).toEqual([3, 3]);
    expect(formatStatus(status)).toContain('(of the PENDING, 3 verified before keep their last outcome on the lists until a run verifies their data)');

    // The registry is back: the corrected data is verified, and the run has nobody left to report.
    const run = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(run.counts).toMatchObject({ read: 3, matched: 2, mismatched: 1, pending: 0 });
    expect(await stillFailed(db, [failed.batchId!, run.batchId!])).toEqual({ people: 0, kept: 0 });
    expect((await batchStatus(db, failed.batchId!, new Date()))!.keptOutcome).toBe(0); // verified since
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect([...(await column9(out, '079/DV0790001/mau01.xlsx')).keys()]).toEqual(['0790000001', '0790000004']);
    expect((await column9(out, '079/DV0790001/mau02.xlsx')).get('0790000003')).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày /);
    expect(await rows(db, `SELECT count(*)::int AS n FROM number_history WHERE ma_so_bhxh = '0790000004'`)).toEqual([{ n: 1 }]);
  });

  it('takes off the IT centre\'s list who the source gave a new value while a registry failure left the correction unverified', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, { '0790000003': { 10: 'Phạm Văn Hừng' } }); // still not the registry's name
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 1, rejected: 0 });
    // The night after the correction the registry cannot be reached for that person: nothing verified (they keep
    // their last outcome meanwhile).
    const down = new SpyRegistry(await mockRegistry(registryFile));
    down.failVerify = () => true;
    const { log, lines } = capturedLog('info');
    expect((await runBatch({ ...runDeps(db, down), log }, { province: null })).counts).toMatchObject({ pending: 1 });
    // The warning an operator greps for says what became of them as the run's last line does, not "stay PENDING".
    const warned = lines.filter((l) => l.level === 40 && /registry requests failed/.test(String(l.msg))).map((l) => l.msg);
    expect(warned).toEqual(['registry requests failed; these people are not verified: PENDING, or, verified before, keeping their last outcome']);
    // The next export gives a new name at the source, which replaces the correction, before any run verified it.
    const later = new Date('2024-06-05T01:00:00Z');
    const renamed = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ho_ten: 'Phạm Văn Hứng' } : p));
    expect(await importParticipants({ ...deps(db), now: () => later }, await writeParticipants(dir, renamed, 'ngay-3.csv'))).toMatchObject({ updated: 1 });
    const run = await runBatch({ ...runDeps(db, await mockRegistry(registryFile)), now: () => later }, { province: null });
    expect(run.counts).toMatchObject({ read: 1, mismatched: 1 });
    // Verified on the source's new data, not on the unit's correction: the unit's case again, not the IT centre's.
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const escalation = new ExcelJS.Workbook();
    await escalation.xlsx.readFile(path.join(out, '079/de-nghi-ho-tro.xlsx')).catch(() => undefined);
    const listed: string[] = [];
    escalation.worksheets[0]?.eachRow((row) => {
      const v = row.getCell(2).value;
      if (typeof v === 'string' && /^\d{10}$/.test(v)) listed.push(v);
    });
    expect(listed).toEqual([]);
    expect(await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null })).toEqual([expect.objectContaining({ corrected: 1, escalated: 0 })]);
  });

  it('after migration 0040, takes off the IT centre\'s list who an older ddcn left without the mark of that change (before 0036)', async () => {
    const { db, dir, out, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, { '0790000003': { 10: 'Phạm Văn Hừng' }, '0790000001': { 11: '11/03/1965' } });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 2, rejected: 0 });
    const down = new SpyRegistry(await mockRegistry(registryFile));
    down.failVerify = () => true;
    expect((await runBatch(runDeps(db, down), { province: null })).counts).toMatchObject({ pending: 2 });
    const later = new Date('2024-06-05T01:00:00Z');
    const renamed = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ho_ten: 'Phạm Văn Hứng' } : p));
    expect(await importParticipants({ ...deps(db), now: () => later }, await writeParticipants(dir, renamed, 'ngay-3.csv'))).toMatchObject({ updated: 1 });
    // As a ddcn before 0036 left it: the change made while PENDING wrote no mark (and no state row for it).
    const marks = `SELECT ma_so_bhxh, changed_version FROM participant_state WHERE changed_version IS NOT NULL ORDER BY 1, 2`;
    const byImport = await rows<{ ma_so_bhxh: string; changed_version: number }>(db, marks);
    expect(byImport.map((m) => m.ma_so_bhxh)).toEqual(['0790000003']);
    await db.query(`DELETE FROM participant_state WHERE changed_version IS NOT NULL`);

    const m = (await loadMigrations()).find((x) => x.name.startsWith('0040_'))!;
    await db.withTransaction((tx) => tx.query(m.sql));
    // The person whose correction the export replaced has the mark back, of the version the import made; the one
    // whose correction stands (a date, still not the registry's) has none: his correction failed, the IT centre's.
    expect(await rows(db, marks)).toEqual(byImport);
    const run = await runBatch({ ...runDeps(db, await mockRegistry(registryFile)), now: () => later }, { province: null });
    expect(run.counts).toMatchObject({ read: 2, mismatched: 2 });
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect([...(await column9(out, '079/de-nghi-ho-tro.xlsx').catch(() => new Map<string, string>())).keys()]).toEqual(['0790000001']);
    expect((await countsAsOf(db, { cutoff: new Date('2030-01-01T00:00:00Z'), province: null }))[0]).toMatchObject({ corrected: 2, escalated: 1 });
  });

  it("keeps a correction while the nightly export still gives the value it replaced, whatever else of the person's line changes", async () => {
    const { db, dir, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'mau02-tra-ve.xlsx');
    await fillIn(mau02, returned, {
      '0790000001': { 11: '12/03/1965' },
      '0790000002': { 13: '079192000006', 11: '20/10/1992' }, // a number for someone the file gives none
      '0790000003': { 10: 'Phạm Văn Hưng', 12: 'Nữ' }, // the registry's name, and a sex that is a mistake
    });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 3, rejected: 0 });
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    const fields = `SELECT ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, email, findings, data_version, status FROM participant
                     WHERE ma_so_bhxh IN ('0790000001', '0790000002', '0790000003') ORDER BY 1`;
    const corrected = await rows<Record<string, unknown>>(db, fields);
    expect(corrected.map((p) => p.status)).toEqual(['MATCHED', 'MATCHED', 'MISMATCHED']); // 3: the sex was a mistake
    expect(corrected[1]).toMatchObject({ so_giay_to: '079192000006', findings: [] });
    const later = { ...deps(db), now: () => new Date('2024-06-04T01:00:00Z') };

    // The next export: the same uncorrected values, and an e-mail for the first person. The corrections stay, and
    // nobody is queued again: their data did not change.
    const next = PEOPLE.map((p) => (['0790000001', '0790000002'].includes(p.ma_so_bhxh) ? { ...p, email: `${p.ma_so_bhxh}@example.vn` } : p));
    expect(await importParticipants(later, await writeParticipants(dir, next, 'ngay-2.csv'))).toMatchObject({ updated: 2, rejected: 0 });
    const withEmail = [{ ...corrected[0], email: '0790000001@example.vn' }, { ...corrected[1], email: '0790000002@example.vn' }];
    expect(await rows(db, fields)).toEqual([...withEmail, corrected[2]]);

    // The export then changes the name at the source: the source wins for that field; the sex it still gives as
    // before, so the unit's correction of it stays (undone only by another correction).
    const renamed = next.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ho_ten: 'Phạm Hưng' } : p));
    expect(await importParticipants(later, await writeParticipants(dir, renamed, 'ngay-3.csv'))).toMatchObject({ updated: 1, rejected: 0 });
    // Data the registry has not seen: not verified until the next run (on no list meanwhile).
    expect(await rows(db, fields)).toEqual([...withEmail, { ...corrected[2], ho_ten: 'Phạm Hưng', data_version: 3, status: 'PENDING' }]);
    expect((await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null })).counts).toMatchObject({ read: 1, mismatched: 1 });
  });

  it("keeps a correction of a sex written 0 in the export, whichever way the next export's other rows make 0 read", async () => {
    const { db } = database();
    const dir = await useTempDir();
    const two = (p1: string, p2: string): ParticipantInput[] => [
      { ma_so_bhxh: '0790000001', ho_ten: 'Ngô Sáu', ngay_sinh: '1992', gioi_tinh: p1, so_giay_to: '', ...UNIT },
      { ma_so_bhxh: '0790000002', ho_ten: 'Đỗ Bảy', ngay_sinh: '1990', gioi_tinh: p2, so_giay_to: '', ...UNIT },
    ];
    await importParticipants(deps(db), await writeParticipants(dir, two('0', '1'), 'mot-khong.csv')); // 1/0: 0 is Nữ
    const correct = (sex: 'M' | 'F') => db.withTransaction(async (tx) => applyCorrections(tx, {
      importId: await startImportRun(tx, 'corrections', 'tra-ve.xlsx', FIXED_NOW), unit: 'DV0790001', sourceFile: 'tra-ve.xlsx', now: FIXED_NOW,
      rows: [{ line: 14, maSoBhxh: '0790000001', hoTen: null, ngaySinh: null, gioiTinh: sex, soGiayTo: null, numberRepaired: false, rawNumber: '' }],
    }));
    expect(await correct('M')).toEqual([{ line: 14, kind: 'applied', fields: 1 }]);
    const person = `SELECT gioi_tinh, findings, data_version FROM participant WHERE ma_so_bhxh = '0790000001'`;
    const corrected = await rows(db, person);
    expect(corrected).toEqual([{ gioi_tinh: 'M', findings: [{ field: 'id_number', code: 'missing' }], data_version: 2 }]);
    // The next export: the same line for person 1; person 2's sex now written 2, so 0 reads as unknown.
    const later = { ...deps(db), now: () => new Date('2024-06-04T01:00:00Z') };
    await importParticipants(later, await writeParticipants(dir, two('0', '2'), 'mot-hai.csv'));
    expect(await rows(db, person)).toEqual(corrected);
  });

  it('keeps a replaced number searchable: lookup finds the person by the number the unit corrected', async () => {
    const { db, dir, registryFile, mau02 } = await listsOut();
    const returned = path.join(dir, 'so-moi.xlsx');
    await fillIn(mau02, returned, { '0790000005': { 13: '079070000055', 11: '03/03/1970' } });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 1, fields: 2, rejected: 0 });
    // A number written whole is not "repaired": the record carries no such finding.
    expect(await rows(db, `SELECT so_giay_to, findings FROM participant WHERE ma_so_bhxh = '0790000005'`)).toEqual([
      { so_giay_to: '079070000055', findings: [] },
    ]);
    expect(await rows(db, `SELECT so_cu, so_moi, source, changed_at FROM number_history WHERE ma_so_bhxh = '0790000005'`)).toEqual([
      { so_cu: '099999999', so_moi: '079070000055', source: 'correction', changed_at: FIXED_NOW },
    ]);
    expect(await lookupNumber(db, '099999999')).toEqual([
      { ma_so_bhxh: '0790000005', ho_ten: 'Vũ Văn Năm', so_ddcn: null, former_numbers: ['099999999'] },
    ]);
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect((await exportedResults(deps(db), dir)).rows.get('0790000005')).toEqual({
      ma_so_bhxh: '0790000005', status: 'MATCHED', fields: '', so_ddcn: '079070000055',
    });
  });

  it('corrects the sex (column 12), and restores the leading zero a number cell lost in column 13, noted as repaired', async () => {
    const { db, dir, mau02 } = await listsOut();
    const returned = path.join(dir, 'gioi-tinh.xlsx');
    await fillIn(mau02, returned, {
      '0790000003': { 12: 'Nữ' },
      // 079070000055 typed into a number cell, which dropped its leading zero
      '0790000005': { 13: '79070000055' },
    });
    expect(await importCorrections(deps(db), returned)).toMatchObject({ corrected: 2, fields: 2, rejected: 0 });
    expect(await rows(db, `SELECT ma_so_bhxh, gioi_tinh, so_giay_to, findings FROM participant WHERE ma_so_bhxh IN ('0790000003', '0790000005') ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0790000003', gioi_tinh: 'F', so_giay_to: '023456785', findings: [] },
      { ma_so_bhxh: '0790000005', gioi_tinh: 'M', so_giay_to: '079070000055', findings: [{ field: 'id_number', code: 'repaired', value: '79070000055' }] },
    ]);
    expect(await rows(db, `SELECT ma_so_bhxh, field, old_value, new_value FROM participant_correction ORDER BY 1, 2`)).toEqual([
      { ma_so_bhxh: '0790000003', field: 'sex', old_value: 'M', new_value: 'F' },
      { ma_so_bhxh: '0790000005', field: 'id_number', old_value: '099999999', new_value: '079070000055' },
    ]);
  });

  it('applies a chunk of rows only to the unit\'s people not yet confirmed, records only what changed, and drops the findings of corrected fields', async () => {
    const { db } = await listsOut();
    await db.query(
      `UPDATE participant SET findings = '[{"field":"sex","code":"invalid","value":"X"},{"field":"id_number","code":"missing"}]' WHERE ma_so_bhxh = '0790000002'`,
    );
    const row = (maSoBhxh: string, over: Partial<CorrectionInput>): CorrectionInput => ({
      line: 0, maSoBhxh, hoTen: null, ngaySinh: null, gioiTinh: null, soGiayTo: null, numberRepaired: false, rawNumber: '', ...over,
    });
    const outcomes = await db.withTransaction(async (tx) =>
      applyCorrections(tx, {
        importId: await startImportRun(tx, 'corrections', 'tra-ve.xlsx', FIXED_NOW), unit: 'DV0790001', sourceFile: 'tra-ve.xlsx', now: FIXED_NOW,
        rows: [
          row('0790000099', { line: 15, hoTen: 'Ai Đó' }),
          row('0790000009', { line: 16, hoTen: 'Lê Văn Chín' }), // of another unit
          row('0790000004', { line: 17, ngaySinh: '1985-03-12' }), // already confirmed
          row('0790000003', { line: 18, hoTen: 'Phạm Văn Hưng', gioiTinh: 'M', soGiayTo: '023456785' }), // sex and number as they are
          row('0790000002', { line: 19, soGiayTo: '079192000006' }),
        ],
      }),
    );
    expect(outcomes).toEqual([
      { line: 15, kind: 'rejected', reason: 'Không có người tham gia mã số BHXH 0790000099' },
      { line: 16, kind: 'rejected', reason: 'Mã số BHXH 0790000009 không thuộc đơn vị DV0790001' },
      { line: 17, kind: 'rejected', reason: 'Người tham gia đã được xác thực khớp với CSDL quốc gia về dân cư: thông tin không điều chỉnh qua Mẫu số 02' },
      { line: 18, kind: 'applied', fields: 1 },
      { line: 19, kind: 'applied', fields: 1 },
    ]);
    expect(await rows(db, `SELECT ma_so_bhxh, field, old_value, new_value, source_row FROM participant_correction ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0790000002', field: 'id_number', old_value: null, new_value: '079192000006', source_row: 19 },
      { ma_so_bhxh: '0790000003', field: 'name', old_value: 'Phạm Văn Hùng', new_value: 'Phạm Văn Hưng', source_row: 18 },
    ]);
    expect(await rows(db, `SELECT findings FROM participant WHERE ma_so_bhxh = '0790000002'`)).toEqual([
      { findings: [{ field: 'sex', code: 'invalid', value: 'X' }] },
    ]);
  });

  // Rows are applied 500 to a transaction; with 1 and 2 this file's rows cross chunk boundaries, with the same result.
  it.each([undefined, 1, 2])('rejects a row whole, with the reason, when any value in it cannot be applied (chunks of %s rows)', async (chunkRows) => {
    const { db, dir, mau02 } = await listsOut();
    const returned = path.join(dir, 'loi.xlsx');
    const lines = await fillIn(
      mau02,
      returned,
      {
        '0790000001': { 10: 'Đỗ Văn Bốn Mới', 11: '31/02/1965' }, // a good name, an impossible date
        '0790000002': { 12: 'X' },
        '0790000003': { 13: '12345' },
        '0790000005': { 10: 'Vũ Văn Năm' }, // equal to what is on file
      },
      [
        ['0790000004', { 10: 'Trần Thị Lan Anh' }], // already confirmed by the registry
        ['0790000009', { 11: '01/01/1979' }], // another unit's participant
        ['0790000077', { 11: '01/01/1979' }], // nobody
        ['790000005', { 11: '01/01/1970' }], // a code that lost its leading zero
        ['0790000003', { 12: 'Nam' }], // second row for the same person
      ],
    );
    const r = await importCorrections(deps(db), returned, path.join(dir, 'loi.rejects.csv'), undefined, { chunkRows });
    expect(r).toMatchObject({ rowsRead: 9, corrected: 0, unchanged: 1, rejected: 8 });

    const csv = await readFile(path.join(dir, 'loi.rejects.csv'), 'utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true); // Excel reads Vietnamese CSV as UTF-8 only with the mark
    const [header, ...rejected] = await parseCsv(csv.slice(1));
    expect(header).toEqual(['dong', 'ly_do', 'ma_so_bhxh', 'cot_10_ho_ten', 'cot_11_ngay_sinh', 'cot_12_gioi_tinh', 'cot_13_so_ddcn']);
    const byLine = new Map(rejected.map((x) => [Number(x[0]), x]));
    expect(byLine.get(lines['0790000001']!)).toEqual([
      String(lines['0790000001']), 'Cột (11) ngày tháng năm sinh "31/02/1965" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy',
      '0790000001', 'Đỗ Văn Bốn Mới', '31/02/1965', '', '',
    ]);
    expect(byLine.get(lines['0790000002']!)?.[1]).toBe('Cột (12) giới tính "X" không hợp lệ: ghi Nam hoặc Nữ');
    expect(byLine.get(lines['0790000003']!)?.[1]).toBe('Cột (13) số ĐDCN "12345" không hợp lệ: ghi đủ 12 chữ số');
    expect(byLine.get(lines['0790000004#0']!)?.[1]).toContain('đã được xác thực khớp');
    expect(byLine.get(lines['0790000009#1']!)?.[1]).toBe('Mã số BHXH 0790000009 không thuộc đơn vị DV0790001');
    expect(byLine.get(lines['0790000077#2']!)?.[1]).toBe('Không có người tham gia mã số BHXH 0790000077');
    expect(byLine.get(lines['790000005#3']!)?.[1]).toContain('mất số 0 ở đầu');
    expect(byLine.get(lines['0790000003#4']!)?.[1]).toBe(`Mã số BHXH đã có ở dòng ${lines['0790000003']} của tệp này`);

    // nothing of a rejected row was applied, nothing was queued for verification
    expect(await rows(db, `SELECT count(*)::int AS n FROM participant_correction`)).toEqual([{ n: 0 }]);
    expect(await rows(db, `SELECT ho_ten, data_version FROM participant WHERE ma_so_bhxh = '0790000001'`)).toEqual([
      { ho_ten: 'Đỗ Văn Bốn', data_version: 1 },
    ]);
  });

  it('reads a list exactly as `ddcn lists` wrote it, every time', async () => {
    // Regression: stored zip entries read by exceljs's streaming reader lost the shared strings about one time in three.
    const { mau02 } = await listsOut();
    for (let i = 0; i < 20; i++) {
      const form = await openReturnedMau02(mau02);
      const codes: string[] = [];
      for (const r of form.rows) if (r.maSoBhxh) codes.push(r.maSoBhxh);
      expect([form.unit, codes]).toEqual(['DV0790001', ['0790000001', '0790000002', '0790000003', '0790000005']]);
    }
  });

  it('refuses a file that is not a returned Mẫu 02, saying what to import', async () => {
    const { db, out, dir } = await listsOut();
    await expect(importCorrections(deps(db), path.join(out, '079/DV0790001/mau01.xlsx'))).rejects.toThrow(/is not a Mẫu số 02/);
    const csv = await writeParticipants(dir, PEOPLE.slice(0, 1));
    await expect(importCorrections(deps(db), csv)).rejects.toBeInstanceOf(UserError);
    expect(await rows(db, `SELECT count(*)::int AS n FROM import_run WHERE kind = 'corrections'`)).toEqual([{ n: 0 }]);
  });
});
