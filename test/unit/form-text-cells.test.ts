// Every ID number, code and date on every list form is a text cell, so a clerk's Excel keeps `023456784` as it is
// (a number cell would show 23456784 and lose the leading zero for good once saved). Only Stt is a number.
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { ListFileWriter } from '../../src/reports/list-file.js';
import type { EscalationRow, FormKind, ListRow } from '../../src/reports/list-row.js';

const dir = tempDirPerFile('ddcn-text-cells-');

const UNIT = { maTinh: '079', maHuyen: null, maDonVi: '0790001', tenDonVi: 'Công ty TNHH Sao Mai', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };

// Numbers that lose something as numbers: leading zeros (9- and 12-digit), a year-only and a month/year date.
const LAN: ListRow = {
  maSoBhxh: '0790000004', hoTen: 'Đỗ Văn Bốn', ngaySinh: '1966', gioiTinh: 'M', soGiayTo: '023456784', soDdcn: null,
  vssid: true, email: 'bon@example.vn', status: 'MISMATCHED', fields: ['dob'], findings: [], detail: { registry: { ngaySinh: '1965-03-12' } },
};
const BA: ListRow = {
  ...LAN, maSoBhxh: '0010000003', hoTen: 'Võ Văn Ba', ngaySinh: '1971-07', soGiayTo: '001071000003', vssid: false, email: null,
};
const MATCHED: ListRow = { ...LAN, status: 'MATCHED', fields: [], detail: null, soGiayTo: '079066000004', soDdcn: '079066000004' };
const ESCALATED: EscalationRow = {
  ...LAN, maDonVi: '0790001', tenDonVi: 'Công ty TNHH Sao Mai', correctedAt: '2024-06-01T02:00:00.000Z',
  sourceFile: '/tmp/returned/mau02.xlsx', sourceRow: 15,
};

async function write(form: FormKind, rows: unknown[]): Promise<ExcelJS.Worksheet> {
  const file = path.join(dir, `${form}.xlsx`);
  const w = ListFileWriter.open({ path: file, form, unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
  w.add(rows);
  expect(await w.close()).toBe(rows.length);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

function personRow(ws: ExcelJS.Worksheet, code: string): ExcelJS.Row {
  let found: ExcelJS.Row | undefined;
  ws.eachRow((row) => {
    if (row.getCell(2).value === code) found = row;
  });
  if (!found) throw new Error(`${code} is not on the sheet`);
  return found;
}

/** Each filled cell of a person's row as [column, type, value]. */
function cellsOf(row: ExcelJS.Row): Array<[number, ExcelJS.ValueType, unknown]> {
  const out: Array<[number, ExcelJS.ValueType, unknown]> = [];
  row.eachCell((cell, col) => out.push([col, cell.type, cell.value]));
  return out;
}

const { String: TEXT, Number: NUMBER } = ExcelJS.ValueType;

describe('list forms: numbers stay text', () => {
  it('writes Mẫu 02 column 6 as the text 023456784, formatted as text, and a 12-digit number likewise', async () => {
    const ws = await write('mau02', [LAN, BA]);
    const lan = personRow(ws, '0790000004').getCell(6);
    expect([lan.type, lan.value, lan.numFmt]).toEqual([TEXT, '023456784', '@']);
    const ba = personRow(ws, '0010000003').getCell(6);
    expect([ba.type, ba.value, ba.numFmt]).toEqual([TEXT, '001071000003', '@']);
    expect(personRow(ws, '0790000004').getCell(2).numFmt).toBe('@');
  });

  it.each([
    ['mau01', [MATCHED], { '0790000004': [[2, '0790000004'], [4, '1966'], [6, '079066000004']] }],
    ['mau02', [LAN, BA], { '0790000004': [[2, '0790000004'], [4, '1966'], [6, '023456784']], '0010000003': [[2, '0010000003'], [4, '07/1971'], [6, '001071000003']] }],
    ['ho-tro', [ESCALATED], { '0790000004': [[2, '0790000004'], [4, '1966'], [6, '023456784'], [7, '0790001']] }],
  ] as const)('%s: only Stt is a number cell; codes, ID numbers and dates are text with their zeros', async (form, people, expected) => {
    const ws = await write(form, [...people]);
    for (const [code, columns] of Object.entries(expected)) {
      const cells = cellsOf(personRow(ws, code));
      expect(cells.filter(([, type]) => type === NUMBER).map(([col]) => col)).toEqual([1]);
      expect(cells.filter(([, type]) => type !== TEXT && type !== NUMBER)).toEqual([]);
      for (const [col, value] of columns) {
        expect(cells.find(([c]) => c === col), `${form} ${code} column ${col}`).toEqual([col, TEXT, value]);
      }
    }
  });
});
