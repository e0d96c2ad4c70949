// How a returned Mẫu 02 is recognised from its head: the form number, the list title, the `Mã đơn vị:` line and
// the row numbering the columns (1) … (14), wherever in the top 60 rows they are. The sheets here are typed into a
// fresh workbook, as a unit that copied the form by hand would send it, rather than written by ddcn.
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { openReturnedMau02, type ReturnedRow } from '../../src/reports/read-mau02.js';

const dir = tempDirPerFile('ddcn-read-mau02-head-');

type Rows = ExcelJS.CellValue[][]; // row 1 first, each from column A; [] is a blank row

const FORM_NO_ROW = ['BẢO HIỂM XÃ HỘI VIỆT NAM', null, null, null, null, null, null, null, null, null, null, null, null, 'Mẫu số 02'];
const TITLE_ROW = ['DANH SÁCH NGƯỜI THAM GIA CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ VÀ NGƯỜI THAM GIA CHƯA CÓ SỐ ĐỊNH DANH CÁ NHÂN'];
const UNIT_ROW = ['Mã đơn vị :  DV0790001 '];
const NUMBERED = Array.from({ length: 14 }, (_, i) => `(${i + 1})`);
const PEOPLE: Rows = [
  [1, '0790000001', 'Nguyễn Văn An', '05/03/1990', 'Nam', '012345678', null, 'X', 'Ngày sinh: 05/03/1990 — CSDL dân cư: 06/03/1990', null, '06/03/1990'],
  [2, '0790000002', 'Trần Thị Bình', '12/11/1985', 'Nữ', '012345679', null, 'X', 'Họ và tên: Trần Thị Bình — CSDL dân cư: Trần Thị Bính', 'Trần Thị Bính'],
];

/** The rows typed into the first sheet of a new workbook, saved as `name`.xlsx. */
async function typed(name: string, rows: Rows): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Mẫu 02');
  rows.forEach((cells, i) => {
    if (cells.length > 0) ws.getRow(i + 1).values = cells;
  });
  const file = path.join(dir, `${name}.xlsx`);
  await wb.xlsx.writeFile(file);
  return file;
}

async function read(file: string): Promise<{ unit: string; rows: ReturnedRow[] }> {
  const form = await openReturnedMau02(file);
  const rows: ReturnedRow[] = [];
  for (const r of form.rows) rows.push(r);
  return { unit: form.unit, rows };
}

const notMau02 = (file: string) =>
  `${file} is not a Mẫu số 02 (no "Mẫu số 02" and list title at the top of any visible sheet); import the list that \`ddcn lists\` wrote`;
const unnumbered = (file: string) => `${file}: no row numbering the columns (1) … (14) above the table`;

describe('recognising a returned Mẫu 02 by its head', () => {
  it('reads a Mẫu 02 typed into a sheet of its own, down to its last row when nothing follows the table', async () => {
    const file = await typed('own-sheet', [FORM_NO_ROW, TITLE_ROW, UNIT_ROW, [], NUMBERED, ...PEOPLE]);
    const { unit, rows } = await read(file);
    expect(unit).toBe('DV0790001');
    expect(rows.map((r) => [r.line, r.maSoBhxh, r.name, r.dob])).toEqual([
      [6, '0790000001', '', '06/03/1990'],
      [7, '0790000002', 'Trần Thị Bính', ''],
    ]);
  });

  it('finds the row numbering the columns as far down as row 60, and no further', async () => {
    const head = [FORM_NO_ROW, TITLE_ROW, UNIT_ROW];
    const at60 = await typed('numbered-at-60', [...head, ...Array.from({ length: 56 }, () => []), NUMBERED, ...PEOPLE]);
    expect((await read(at60)).rows.map((r) => [r.line, r.maSoBhxh])).toEqual([[61, '0790000001'], [62, '0790000002']]);
    const at61 = await typed('numbered-at-61', [...head, ...Array.from({ length: 57 }, () => []), NUMBERED, ...PEOPLE]);
    await expect(openReturnedMau02(at61)).rejects.toThrow(unnumbered(at61));
  });

  it('refuses a sheet that lost its form number, or its list title, though the rest is there', async () => {
    const noFormNo = await typed('no-form-number', [['BẢO HIỂM XÃ HỘI VIỆT NAM'], TITLE_ROW, UNIT_ROW, [], NUMBERED, ...PEOPLE]);
    await expect(openReturnedMau02(noFormNo)).rejects.toThrow(notMau02(noFormNo));
    const noTitle = await typed('no-title', [FORM_NO_ROW, [], UNIT_ROW, [], NUMBERED, ...PEOPLE]);
    await expect(openReturnedMau02(noTitle)).rejects.toThrow(notMau02(noTitle));
  });

  it('refuses a numbered row that lacks a column it reads: (2), the code, or (10)–(13), the corrections', async () => {
    for (const missing of [2, 11, 13]) {
      const numbered = NUMBERED.map((t, i) => (i + 1 === missing ? null : t));
      const file = await typed(`no-column-${missing}`, [FORM_NO_ROW, TITLE_ROW, UNIT_ROW, [], numbered, ...PEOPLE]);
      await expect(openReturnedMau02(file)).rejects.toThrow(unnumbered(file));
    }
  });

  it('takes the unit from the first "Mã đơn vị:" line: a later one, from another unit’s head pasted below, does not replace it', async () => {
    const file = await typed('two-units', [FORM_NO_ROW, TITLE_ROW, UNIT_ROW, ['Mã đơn vị: DV0790002'], NUMBERED, ...PEOPLE]);
    expect((await read(file)).unit).toBe('DV0790001');
  });
});
