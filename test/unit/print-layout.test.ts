// The forms as they print: A4 landscape, fit to the page width, at 9 pt or more once scaled, and every row at
// least as tall as the lines its wrapped text needs (else LibreOffice and paper print one row over the next).
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { districtLabel } from '../../src/reports/districts.js';
import { ListFileWriter } from '../../src/reports/list-file.js';
import type { ListRow } from '../../src/reports/list-row.js';
import { mau03Bytes, writeMau03, type ProgressRow } from '../../src/reports/mau03.js';
import { assess } from '../../src/reports/milestones.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-print-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sheetOf(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

/** Pixels of a column `width` characters wide in the default 11 pt Calibri (7 px a digit, 5 px of padding). */
const columnPx = (width: number) => Math.trunc(width * 7) + 5;

/** The scale at which the sheet prints when fitted to the printable width of A4 landscape (297 mm at 96 dpi). */
function fitScale(ws: ExcelJS.Worksheet): number {
  const m = ws.pageSetup.margins!;
  const printable = ((297 / 25.4 - m.left - m.right) * 96);
  const widths = ws.columns.map((c) => c.width ?? 9);
  return Math.min(1, printable / widths.reduce((s, w) => s + columnPx(w), 0));
}

/**
 * Lines a text needs wrapped in `width` characters at `size` pt: words are kept whole, a longer word is cut.
 * Capitals take ~1.2 of a width unit, padding included: LibreOffice printed the escalation list's 122-character
 * title (13 pt bold, 155 units wide) on two lines, 107 characters on the first, and the 37 of an office's name
 * (11 pt bold) in 45 units on one.
 */
function linesNeeded(text: string, width: number, size: number): number {
  const capitals = /\p{Lu}/u.test(text) && text === text.toLocaleUpperCase('vi');
  const room = Math.max(1, capitals ? Math.floor((width * 11) / size / 1.2) : Math.floor((width * 11) / size) - 1);
  let n = 0;
  for (const paragraph of text.split('\n')) {
    let line = 0;
    n++;
    for (const word of paragraph.split(' ')) {
      const len = word.length;
      if (line === 0) line = len;
      else if (line + 1 + len <= room) line += 1 + len;
      else {
        n++;
        line = len;
      }
      while (line > room) {
        n++;
        line -= room;
      }
    }
  }
  return n;
}

/** Merged ranges as cell address → its width in characters and the rows it covers. */
function mergedRanges(ws: ExcelJS.Worksheet): Map<string, { cols: number[]; rows: number[] }> {
  const out = new Map<string, { cols: number[]; rows: number[] }>();
  const merges = (ws.model as unknown as { merges: string[] }).merges ?? [];
  for (const ref of merges) {
    const [a, b] = ref.split(':') as [string, string];
    const from = ws.getCell(a);
    const to = ws.getCell(b);
    const cols = Array.from({ length: Number(to.col) - Number(from.col) + 1 }, (_, i) => Number(from.col) + i);
    const rows = Array.from({ length: Number(to.row) - Number(from.row) + 1 }, (_, i) => Number(from.row) + i);
    out.set(from.address, { cols, rows });
  }
  return out;
}

/** Every finding of a cell whose wrapped text needs more height than its row (or merged rows) has. */
function overflowing(ws: ExcelJS.Worksheet): string[] {
  const merged = mergedRanges(ws);
  const widthOf = (col: number) => ws.getColumn(col).width ?? 9;
  const heightOf = (row: number) => ws.getRow(row).height ?? 15;
  const problems: string[] = [];
  ws.eachRow((row) => {
    row.eachCell((cell) => {
      if (typeof cell.value !== 'string' || cell.isMerged && cell.master !== cell) return;
      const range = merged.get(cell.address) ?? { cols: [Number(cell.col)], rows: [Number(cell.row)] };
      const width = range.cols.reduce((s, c) => s + widthOf(c), 0);
      const size = cell.font?.size ?? 11;
      if (!cell.alignment?.wrapText) {
        // A line that does not wrap is cut at its block's edge: it must fit, capitals taking ~1.2 of a width unit.
        const need = cell.value.length * (cell.value === cell.value.toLocaleUpperCase('vi') ? 1.2 : 1);
        if (need > (width * 11) / size) problems.push(`${cell.address} needs ${need.toFixed(1)} characters on one line, has ${width}: ${cell.value.slice(0, 40)}`);
        return;
      }
      const need = linesNeeded(cell.value, width, size) * size * 1.25;
      const have = range.rows.reduce((s, r) => s + heightOf(r), 0);
      if (have < need) problems.push(`${cell.address} needs ${need.toFixed(1)} pt, has ${have} pt: ${cell.value.slice(0, 40)}`);
    });
  });
  return problems;
}

function smallestFont(ws: ExcelJS.Worksheet): number {
  let min = Infinity;
  ws.eachRow((row) => row.eachCell((cell) => {
    if (cell.value !== null && cell.value !== '') min = Math.min(min, cell.font?.size ?? 11);
  }));
  return min;
}

function expectPrintable(ws: ExcelJS.Worksheet) {
  expect(ws.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 });
  const printed = smallestFont(ws) * fitScale(ws);
  expect(printed, `smallest text prints at ${printed.toFixed(1)} pt`).toBeGreaterThanOrEqual(9);
  expect(overflowing(ws)).toEqual([]);
}

const progressRow = (label: string, total: number, matched: number): ProgressRow => ({
  label, total, matched, matchedRate: total ? matched / total : null, matchedIncrease: 120, mismatched: total - matched, missing: 0,
  conflict: 0, pending: 0, corrected: 12, rematched: 3, escalated: 1, target: 2_000_000, vssid: 1_234_567, vssidRate: 0.617,
  vssidIncrease: 4_321, assessment: assess(total ? matched / total : null, { year: 2024, month: 8, day: 15 }, 2024),
});

describe('Mẫu 03 prints', () => {
  it('at 9 pt or more on A4 landscape, fit to width, every row as tall as its wrapped text', async () => {
    const file = path.join(dir, 'mau03.xlsx');
    const rows = [
      progressRow(districtLabel('79', '760'), 12_345_678, 6_000_000),
      progressRow(districtLabel('079', '787'), 1000, 900),
      progressRow(districtLabel('79', '999'), 1000, 100),
      progressRow('(chưa có mã huyện)', 0, 0),
    ];
    await writeMau03(file, {
      province: '79', period: 'month', from: { year: 2024, month: 8, day: 1 }, asOf: { year: 2024, month: 8, day: 15 },
      issuedAt: new Date('2024-08-15T03:00:00Z'), rows, total: progressRow('Tổng cộng', 12_347_678, 6_001_000),
    });
    const ws = await sheetOf(file);
    expectPrintable(ws);
    const labels = [14, 15, 16].map((r) => ws.getCell(r, 2).value);
    expect(labels).toEqual(['Quận 1 (760)', 'Huyện Cần Giờ (787)', 'Quận, huyện mã 999']);
    expect(String(ws.getCell(16, 18).value)).toMatch(/^Chậm tiến độ/);
  });
});

const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai & Cộng sự', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };
const person = (i: number, over: Partial<ListRow>): ListRow => ({
  maSoBhxh: `079${String(i).padStart(7, '0')}`, hoTen: `Nguyễn Thị Phương Thảo ${i}`, ngaySinh: '1990-03-05', gioiTinh: 'F',
  soGiayTo: '012345678', soDdcn: null, vssid: i % 2 === 0, email: i % 2 === 0 ? `nguyen.thi.phuong.thao.${i}@congty-saomai.example.vn` : null,
  status: 'MISMATCHED', fields: ['dob', 'name', 'sex'], findings: [],
  detail: { registry: { hoTen: 'Nguyễn Thị Phương Thảo', ngaySinh: '1990-03-06', gioiTinh: 'M' } }, ...over,
});

describe('Mẫu 03 as a download and as a file', () => {
  const report = {
    province: '79', period: 'week' as const, from: { year: 2024, month: 8, day: 9 }, asOf: { year: 2024, month: 8, day: 15 },
    issuedAt: new Date('2024-08-15T03:00:00Z'), rows: [progressRow(districtLabel('79', '760'), 1000, 900), progressRow(districtLabel('79', null), 10, 0)],
    total: progressRow('Tổng cộng', 1010, 900),
  };
  const cells = (ws: ExcelJS.Worksheet) => {
    const out: string[] = [];
    ws.eachRow((row, r) => row.eachCell((c, k) => void out.push(`${r}:${k} ${JSON.stringify(c.value)}`)));
    return out;
  };

  it('gives the portal the same workbook as the file ddcn writes', async () => {
    const file = path.join(dir, 'mau03-week.xlsx');
    await writeMau03(file, report);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await mau03Bytes(report)) as unknown as ArrayBuffer); // exceljs types want an ArrayBuffer; it reads a Buffer
    const downloaded = wb.worksheets[0]!;
    expect(downloaded.name).toBe('Mẫu 03');
    expect(cells(downloaded)).toEqual(cells(await sheetOf(file)));
    expect(downloaded.getCell(15, 2).value).toBe('(chưa có mã huyện)');
  });

  it('reports why the file cannot be written, the write’s own error, and leaves no temporary file behind', async () => {
    // No folder to write into: said in words an operator acts on; the cause is the write's own error, not that of
    // cleaning up a temporary file never made.
    const missing = path.join(dir, 'no-such-folder', 'mau03.xlsx');
    await expect(writeMau03(missing, report)).rejects.toMatchObject({
      message: `cannot write ${missing}: no such file (check the path) [ENOENT]`, cause: { code: 'ENOENT', syscall: 'open' },
    });
    // A folder in the file's place: the workbook is written, cannot be moved there, and is removed.
    const taken = path.join(dir, 'taken');
    await mkdir(path.join(taken, 'mau03.xlsx'), { recursive: true });
    await expect(writeMau03(path.join(taken, 'mau03.xlsx'), report)).rejects.toMatchObject({ cause: { code: 'EISDIR' } });
    expect(await readdir(taken)).toEqual(['mau03.xlsx']);
  });
});

describe('Mẫu 02 prints', () => {
  it('at 9 pt or more (body and column 9) on A4 landscape, every row as tall as its wrapped text', async () => {
    const file = path.join(dir, 'mau02.xlsx');
    const w = ListFileWriter.open({ path: file, form: 'mau02', unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
    w.add([
      person(1, {}),
      person(2, { status: 'MISSING_ID', soGiayTo: null, fields: [], detail: null }),
      person(3, { escalatedOn: '02/06/2024' }),
      person(4, { status: 'CONFLICT', soDdcn: '079190000004', fields: [], detail: { conflictWith: ['0790000009'] } }),
    ]);
    expect(await w.close()).toBe(4);
    const ws = await sheetOf(file);
    expectPrintable(ws);
    const column9 = [] as string[];
    ws.eachRow((row) => {
      const v = row.getCell(9).value;
      if (typeof v === 'string' && /CSDL|ĐDCN|TT CNTT/.test(v)) column9.push(v);
    });
    expect(column9.find((v) => v.startsWith('Đã chuyển TT CNTT hỗ trợ ngày 02/06/2024'))).toBeDefined();
    // Column 9 is printed in the body's size, not a smaller one.
    expect(ws.getCell(ws.rowCount - 10, 9).font?.size ?? 11).toBeGreaterThanOrEqual(11);
  });
});

describe('Mẫu 03 of a district office prints', () => {
  it('with the longest office name on one line', async () => {
    const file = path.join(dir, 'mau03-district.xlsx');
    await writeMau03(file, {
      province: '58', period: 'week', from: { year: 2024, month: 8, day: 12 }, asOf: { year: 2024, month: 8, day: 15 },
      issuedAt: new Date('2024-08-15T03:00:00Z'), rows: [progressRow('Thành phố Phan Rang-Tháp Chàm (582)', 1000, 900)],
      total: progressRow('Tổng cộng', 1000, 900), within: { kind: 'district', maTinh: '58', maHuyen: '582' },
    });
    const ws = await sheetOf(file);
    expect([ws.getCell('A1').value, ws.getCell('A2').value]).toEqual(['BẢO HIỂM XÃ HỘI TỈNH NINH THUẬN', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ PHAN RANG-THÁP CHÀM']);
    expectPrintable(ws);
  });
});

describe('the lists of a district office print', () => {
  it('with the longest office name on one line, on each form', async () => {
    // Thành phố Phan Rang-Tháp Chàm (58/582): `BẢO HIỂM XÃ HỘI THÀNH PHỐ PHAN RANG-THÁP CHÀM`, 45 characters
    const unit = { ...UNIT, maTinh: '58', maHuyen: '582' };
    for (const form of ['mau01', 'mau02'] as const) {
      const file = path.join(dir, `district-${form}.xlsx`);
      const w = ListFileWriter.open({ path: file, form, unit, issuedAt: '2024-06-03T01:30:00.000Z' });
      w.add([person(1, form === 'mau01' ? { status: 'MATCHED', soDdcn: '079090000001', fields: [], detail: null } : {})]);
      expect(await w.close()).toBe(1);
      const ws = await sheetOf(file);
      expect([ws.getCell('A1').value, ws.getCell('A2').value]).toEqual(['BẢO HIỂM XÃ HỘI TỈNH NINH THUẬN', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ PHAN RANG-THÁP CHÀM']);
      expectPrintable(ws);
    }
  });
});

describe('Mẫu 01 and the escalation list print', () => {
  const write = async (form: 'mau01' | 'ho-tro') => {
    const file = path.join(dir, `${form}.xlsx`);
    const w = ListFileWriter.open({ path: file, form, unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
    const people = [person(1, { status: 'MATCHED', soDdcn: '079090000001', fields: [], detail: null })];
    w.add(form === 'mau01' ? people : people.map((p) => ({ ...p, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai', correctedAt: '2024-06-01T02:00:00.000Z', sourceFile: '/tmp/mau02.xlsx', sourceRow: 15 })));
    expect(await w.close()).toBe(1);
    return sheetOf(file);
  };

  it('Mẫu 01: at 9 pt or more on A4 landscape, its two-line title and every head row as tall as their text', async () => {
    const ws = await write('mau01');
    expectPrintable(ws);
    // The numbered row (1) … (9), right above the first person, is one line like any other.
    expect(ws.getCell(13, 9).value).toBe('(9)');
    expect(ws.getRow(13).height ?? 15).toBe(15);
  });

  it('the escalation list: at 9 pt or more on A4 landscape, every row as tall as its wrapped text', async () => {
    expectPrintable(await write('ho-tro'));
  });
});
