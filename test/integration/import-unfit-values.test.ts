// A bad value in a field other than the key does not reject the row (docs/interface.md, "Input: the participants
// file"): a value over its column's limit, or holding a control character, is not stored (the field is taken as
// empty) and carried as a finding that Mẫu 02 column 9 names, without the value. The key over its limit or with a
// control character, and broken lines, are still rejected. The same on every path: bulk, chunked, re-import, xlsx.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { importParticipants, type ImportOptions } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { PARTICIPANT_COLUMNS, type ParticipantColumn } from '../../src/pipeline/participant-row.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, mockRegistry, parseCsv, resetDatabase, rows, runDeps, useTempDir, writeRegistry,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const code = (i: number) => `07900000${String(i).padStart(2, '0')}`;
const person = (i: number, over: Partial<Record<ParticipantColumn, string>> = {}): Record<ParticipantColumn, string> => ({
  ma_so_bhxh: code(i), ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: `0790900000${String(i).padStart(2, '0')}`,
  ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', dia_chi_don_vi: 'Số 12 Nguyễn Huệ', ma_tinh: '079', ma_huyen: '760', vssid: '1',
  email: `so${i}@example.vn`, ...over,
});
const csvLine = (p: Record<ParticipantColumn, string>) => PARTICIPANT_COLUMNS.map((c) => p[c]).join(',');

const LONG_NAME = `Nguyễn ${'A'.repeat(268)}`; // 275 characters
/** Rows 1–10 (lines 2–11) are imported, their bad values not stored; lines 12–14 are rejected. */
const ROWS = [
  person(1),
  person(2, { email: `${'x'.repeat(300)}@b.vn` }), // 305
  person(3, { ho_ten: LONG_NAME }),
  person(4, { ho_ten: 'Lê\u0001Thị Hoa' }), // field 2
  person(5, { ma_tinh: '07900000000' }), // 11
  person(6, { ho_ten: 'Trần\u0000Văn An' }), // a NUL in the middle of a name: a damaged export
  person(7, { ma_don_vi: 'U'.repeat(3000) }),
  person(8, { ngay_sinh: '05/03/1990 '.repeat(3), so_giay_to: '0790\u00079000008' }),
  person(9, { ten_don_vi: 'C'.repeat(501), dia_chi_don_vi: 'Số\u001f1' }),
  person(10),
];
const REJECTED = [
  person(11, { ma_so_bhxh: `${code(11)}\u0001` }),
  person(12, { ma_so_bhxh: `${code(12)}${' '.repeat(15)}` }), // ten digits all the same, but 25 characters
];
const REJECTS = [
  ['12', 'field 1 contains the control character U+0001'],
  ['13', 'ma_so_bhxh is 25 characters long; at most 20 are accepted'],
  ['14', 'has 13 fields, the header has 12'],
];

async function writeCsv(dir: string): Promise<string> {
  const file = path.join(dir, 'people.csv');
  const lines = [PARTICIPANT_COLUMNS.join(','), ...ROWS.map(csvLine), ...REJECTED.map(csvLine), `${csvLine(person(13))},extra`];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const stored = (db: Db) =>
  rows<Record<string, unknown> & { ma_so_bhxh: string; findings: Array<Record<string, unknown>> }>(
    db,
    `SELECT ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen, vssid, email, findings, src_hash,
            status, data_version, updated_at FROM participant ORDER BY 1`,
  );

async function importFile(db: Db, file: string, options?: ImportOptions) {
  const r = await importParticipants(deps(db), file, `${file}.rejects.csv`, options);
  const [, ...rejected] = await parseCsv((await readFile(r.rejectsFile, 'utf8')).replace(/^\uFEFF/, ''));
  return { r, rejects: rejected.map((x) => [x[0], x[1]]) };
}

describe('import: values too long or with control characters in fields other than the key', () => {
  it('imports the rows with the value not stored and a finding, rejects only the key and broken lines, the same on every path', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeCsv(dir);

    const bulk = await importFile(db, file);
    expect(bulk.r).toMatchObject({ bulk: true, rowsRead: 13, inserted: 10, rejected: 3 });
    expect(bulk.rejects).toEqual(REJECTS);
    const state = await stored(db);
    const by = (i: number) => state.find((p) => p.ma_so_bhxh === code(i))!;
    expect(state.map((p) => p.ma_so_bhxh)).toEqual(ROWS.map((p) => p.ma_so_bhxh));
    // The neighbours as they were.
    for (const i of [1, 10]) expect(by(i)).toMatchObject({ ho_ten: `Nguyễn Văn Số ${i}`, email: `so${i}@example.vn`, ma_tinh: '079', findings: [] });
    expect(by(2)).toMatchObject({ email: null, ho_ten: 'Nguyễn Văn Số 2', findings: [{ field: 'email', code: 'too_long', column: 'email', length: 305, limit: 254 }] });
    expect(by(3)).toMatchObject({
      ho_ten: '', ngay_sinh: '1990-03-05',
      findings: [{ field: 'name', code: 'too_long', column: 'ho_ten', length: 275, limit: 200 }, { field: 'name', code: 'missing' }],
    });
    for (const i of [4, 6]) {
      expect(by(i)).toMatchObject({ ho_ten: '', findings: [{ field: 'name', code: 'control', column: 'ho_ten' }, { field: 'name', code: 'missing' }] });
    }
    expect(by(5)).toMatchObject({ ma_tinh: null, ma_huyen: '760', findings: [{ field: 'office', code: 'too_long', column: 'ma_tinh', length: 11, limit: 10 }] });
    expect(by(7)).toMatchObject({
      ma_don_vi: null,
      findings: [{ field: 'unit', code: 'too_long', column: 'ma_don_vi', length: 3000, limit: 50 }, { field: 'unit', code: 'missing' }],
    });
    expect(by(8)).toMatchObject({ ngay_sinh: null, so_giay_to: null });
    expect(by(8).findings).toEqual([
      { field: 'dob', code: 'too_long', column: 'ngay_sinh', length: 33, limit: 20 },
      { field: 'id_number', code: 'control', column: 'so_giay_to' },
      { field: 'dob', code: 'missing' },
      { field: 'id_number', code: 'missing' },
    ]);
    expect(by(9).findings).toEqual([
      { field: 'unit', code: 'too_long', column: 'ten_don_vi', length: 501, limit: 500 },
      { field: 'unit', code: 'control', column: 'dia_chi_don_vi' },
    ]);
    // Nothing of a bad value is stored, nor named in a finding.
    expect(JSON.stringify(state.map(({ src_hash: _h, ...p }) => p))).not.toMatch(/AAAA|UUUU|CCCC|xxxx|\\u000|Lê|Trần|07900000000/);
    const units = await rows<{ ma_don_vi: string; ten_don_vi: string; dia_chi: string }>(db, 'SELECT ma_don_vi, ten_don_vi, dia_chi FROM unit ORDER BY 1');
    expect(units).toEqual([{ ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', dia_chi: 'Số 12 Nguyễn Huệ' }]);

    // The nightly re-import of the same file: nothing changes, nothing is seen as changed.
    const again = await importFile(db, file);
    expect(again.r).toMatchObject({ bulk: false, rowsRead: 13, inserted: 0, updated: 0, unchanged: 10, rejected: 3 });
    expect(again.rejects).toEqual(REJECTS);
    expect(await stored(db)).toEqual(state);

    // The chunked path, and the first reading on two threads, into an empty table: the same.
    for (const options of [{ bulk: false, chunkSize: 3 }, { bulk: false, twoThreadsFrom: 0 }] as const) {
      await resetDatabase(db);
      const chunked = await importFile(db, file, options);
      expect(chunked.r).toMatchObject({ bulk: false, rowsRead: 13, inserted: 10, rejected: 3 });
      expect(chunked.rejects).toEqual(REJECTS);
      expect(await stored(db)).toEqual(state);
    }
  });

  it('keeps the finding about a value not stored while later files leave its column out', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importFile(db, await writeCsv(dir));
    const narrow = path.join(dir, 'narrow.csv');
    const columns = PARTICIPANT_COLUMNS.filter((c) => c !== 'ma_tinh' && c !== 'ma_don_vi');
    await writeFile(narrow, `${columns.join(',')}\n${[5, 7].map((i) => columns.map((c) => person(i)[c]).join(',')).join('\n')}\n`);
    await importFile(db, narrow);
    const got = (await stored(db)).filter((p) => [code(5), code(7)].includes(p.ma_so_bhxh));
    expect(got.map((p) => [p.ma_tinh, p.ma_don_vi, p.findings])).toEqual([
      [null, 'DV0790001', [{ field: 'office', code: 'too_long', column: 'ma_tinh', length: 11, limit: 10 }]],
      ['079', null, [{ field: 'unit', code: 'missing' }, { field: 'unit', code: 'too_long', column: 'ma_don_vi', length: 3000, limit: 50 }]],
    ]);
  });

  it('reads an .xlsx the same way: over-long values and control characters typed into cells', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const csv = await importFile(db, await writeCsv(dir));
    const fromCsv = (await stored(db)).map(({ src_hash: _h, updated_at: _u, ...p }) => p);
    await resetDatabase(db);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    // A control character as Excel writes it (_x0001_), which is how a spreadsheet library reads it back.
    // eslint-disable-next-line no-control-regex -- control characters are the point
    const excel = (v: string) => v.replace(/[\u0000-\u001f]/g, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
    for (const p of [...ROWS, ...REJECTED]) ws.addRow(PARTICIPANT_COLUMNS.map((c) => excel(p[c])));
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);
    const xlsx = await importFile(db, file);
    expect(xlsx.r).toMatchObject({ rowsRead: 12, inserted: 10, rejected: 2 });
    expect(xlsx.rejects).toEqual(csv.rejects.slice(0, 2));
    expect((await stored(db)).map(({ src_hash: _h, updated_at: _u, ...p }) => p)).toEqual(fromCsv);
  });

  it('names each value not stored in Mẫu 02 column 9, in Vietnamese, without the value', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeCsv(dir);
    await importParticipants(deps(db), file);
    // The registry knows everyone by number, under the names of the file (those not stored then differ).
    const registry = ROWS.map((p, k) => ({
      so_ddcn: `0790900000${String(k + 1).padStart(2, '0')}`, ho_ten: `Nguyễn Văn Số ${k + 1}`, ngay_sinh: '05/03/1990', gioi_tinh: 'Nam',
    }));
    await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, registry))), { province: null });
    const out = path.join(dir, 'lists');
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });

    const column9 = async (form: string) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(path.join(out, form));
      const got = new Map<string, string>();
      wb.worksheets[0]!.eachRow((row) => {
        const c = row.getCell(2).value;
        if (typeof c === 'string' && /^\d{10}$/.test(c)) got.set(c, String(row.getCell(9).value));
      });
      return got;
    };
    const unit = await column9('079/DV0790001/mau02.xlsx');
    expect(unit.get(code(3))).toBe(
      'Họ và tên: (chưa có) — CSDL dân cư: Nguyễn Văn Số 3\nHọ và tên dài 275 ký tự (tối đa 200): không lưu — đề nghị kê khai lại tại cột 10',
    );
    expect(unit.get(code(4))).toBe(
      'Họ và tên: (chưa có) — CSDL dân cư: Nguyễn Văn Số 4\nHọ và tên có ký tự điều khiển (tệp dữ liệu hỏng): không lưu — đề nghị kê khai lại tại cột 10',
    );
    // No number kept: nothing was compared; the date and the number are asked for once each, by their own line.
    expect(unit.get(code(8))).toBe(
      [
        'Chưa có số ĐDCN/CCCD',
        'Ngày sinh dài 33 ký tự (tối đa 20): không lưu — đề nghị kê khai lại tại cột 11',
        'Số CMND/ĐDCN có ký tự điều khiển (tệp dữ liệu hỏng): không lưu — đề nghị kê khai lại tại cột 13',
      ].join('\n'),
    );
    // The person whose unit code was not stored is on the list of people without a unit, matched or not.
    const people = await rows<{ ma_so_bhxh: string; status: string }>(db, 'SELECT ma_so_bhxh, status FROM participant ORDER BY 1');
    expect(people.filter((p) => p.status === 'MATCHED').map((p) => p.ma_so_bhxh)).toEqual([1, 2, 5, 7, 9, 10].map(code));
    const withoutUnit = await readFile(path.join(out, '079/_chua-co-ma-don-vi/mau01.xlsx')).then(() => true, () => false);
    expect(withoutUnit).toBe(true);
    // eslint-disable-next-line no-control-regex -- control characters are the point
    for (const text of unit.values()) expect(text).not.toMatch(/AAAA|\u0000|\u0001|\u0007/);
  });
});
