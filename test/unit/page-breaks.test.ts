// The page break that keeps the notes and signatures of a printed form with the last rows of its table
// (page-fit.ts): the estimate of a page, the choice of the break, and the break as the list files and Mẫu 03 write
// it. How LibreOffice then prints them: test/integration/printed-pages.test.ts and scripts/print-check.ts.
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { writeSampleList, writeSampleMau03, type Sample } from '../../scripts/lib/print-samples.js';
import { pageRoom, TablePages } from '../../src/reports/page-fit.js';
import type { FormKind } from '../../src/reports/list-row.js';
import { HO_TRO } from '../../src/reports/ho-tro.js';
import { MAU01 } from '../../src/reports/mau01.js';
import { MAU02 } from '../../src/reports/mau02.js';
import { printSetup } from '../../src/reports/styles.js';
import { unpackedWithin } from '../../src/reports/xlsx/part-sizes.js';

const dir = tempDirPerFile('ddcn-page-breaks-');

describe('a printed page, estimated', () => {
  it("holds what LibreOffice's pages held, at most 1 % less, never more", () => {
    // Measured: sheets with a 20-point row and then rows of 10 points, the second row 10–19 points, printed by
    // LibreOffice 7.4 (with Carlito) on the forms' page setup; the first page held, to the point, 527 (Mẫu 01's
    // widths, unscaled), 625 (Mẫu 02's), 582 (the escalation list's), 596 (Mẫu 03's) points of rows.
    const page = printSetup('1:1');
    const measured: Array<[number[], number]> = [
      [MAU01.columns.map((c) => c.width), 527],
      [MAU02.columns.map((c) => c.width), 625],
      [HO_TRO.columns.map((c) => c.width), 582],
      [[4, 20, 10, 9, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9, 9, 7, 7, 20], 596],
    ];
    for (const [widths, held] of measured) {
      const { natural } = pageRoom(widths, page);
      expect(natural, `Σ ${widths.reduce((a, b) => a + b)}`).toBeLessThanOrEqual(held);
      expect(natural, `Σ ${widths.reduce((a, b) => a + b)}`).toBeGreaterThan(held * 0.99);
    }
  });

  it('holds less where Excel’s would: its 7 px a width unit, scaled by whole percents, between the margins', () => {
    // Mẫu 01 is not scaled in Excel (735 of 784 points wide): 516 points between the margins, 2 % kept spare.
    expect(pageRoom(MAU01.columns.map((c) => c.width), printSetup('1:1')).safe).toBeCloseTo(516.08 * 0.98, 1);
  });
});

describe('the row before which the signatures’ page starts', () => {
  // A page of 100 points (90 safely), 40 above the table on the first, a 10-point head on the others; the block
  // under the table is what is given plus 30 points to sign.
  const pages = (rows: number[]) => {
    const p = new TablePages({ natural: 100, safe: 90 }, 40, 10);
    rows.forEach((h) => p.add(h));
    return p;
  };

  it('is none when the whole form fits on its one page', () => {
    expect(pages([5]).breakBefore(10)).toBeNull(); // 40 + 5 + 10 + 30 = 85
  });

  it('is none for a table of one row: the first page keeps a row under its title', () => {
    expect(pages([60]).breakBefore(10)).toBeNull();
  });

  it('is where LibreOffice starts the last page, when that page has room for the block', () => {
    // rows 1–6 fill the first page (40 + 60), rows 7–10 the second (10 + 40), with the block: 90
    expect(pages(Array(10).fill(10)).breakBefore(10)).toBe(7);
  });

  it('is before the last three rows when LibreOffice’s last page would hold fewer', () => {
    expect(pages(Array(8).fill(10)).breakBefore(10)).toBe(6); // rows 7–8 on the second page, and the block: room for row 6
  });

  it('is before the last three rows when the last page has no room for the block', () => {
    expect(pages(Array(12).fill(10)).breakBefore(10)).toBe(10); // rows 7–12 and the block: 110
    expect(pages([10, 10]).breakBefore(20)).toBe(2); // one page of 110: row 2 goes over, row 1 stays
  });

  it('keeps fewer rows with the block when three are too tall to go with it', () => {
    expect(pages([10, 30, 30, 30]).breakBefore(10)).toBe(4); // 10 + 30 + 40 = 80; with row 3 it would be 110
  });
});

/** The rows under which the sheet of `file` breaks the page by hand, as its XML says (exceljs does not read them). */
async function breaksAfter(file: string): Promise<number[]> {
  let xml = '';
  await unpackedWithin(file, { total: 1 << 30 }, (name, data) => {
    if (name === 'xl/worksheets/sheet1.xml') xml = data.toString('utf8');
  });
  return [...xml.matchAll(/<brk id="(\d+)" max="16383" man="1"\/>/g)].map((m) => Number(m[1]));
}

async function heights(file: string): Promise<(row: number) => number> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0]!;
  return (row) => ws.getRow(row).height ?? 15;
}

const sum = (h: (row: number) => number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => h(from + i)).reduce((a, b) => a + b, 0);

describe('the lists', () => {
  const list = async (form: FormKind, rows: number, sample: Sample = 'short') => {
    const file = path.join(dir, `${form}-${sample}-${rows}.xlsx`);
    await writeSampleList(file, form, rows, sample);
    return file;
  };
  // Mẫu 01: the table starts at row 14, under 262 points of title and head; the notes and signatures under it take
  // 162 points down to the hints, and 30 to sign: the first page, as LibreOffice prints it, holds them under 4 people.
  const FIRST = 14;

  it('break nowhere while the form fits on one page', async () => {
    expect(await breaksAfter(await list('mau01', 3))).toEqual([]);
  });

  it('put the last three people on the signatures’ page when the table ends near the bottom of a page', async () => {
    const file = await list('mau01', 5);
    expect(await breaksAfter(file)).toEqual([FIRST + 1]); // under person 2: persons 3–5 go over
    const h = await heights(file);
    const room = pageRoom(MAU01.columns.map((c) => c.width), printSetup('1:1'));
    // Rows FIRST + 5 … FIRST + 13: a blank row, the notes, a blank row, the date line, the titles, the hints.
    expect(sum(h, 1, FIRST + 4) + sum(h, FIRST + 5, FIRST + 13) + 30).toBeGreaterThan(room.natural); // all on page 1: too much
    expect(sum(h, 11, 13) + sum(h, FIRST + 2, FIRST + 13) + 30).toBeLessThanOrEqual(room.natural); // head, 3 people, block
    // Four people and the block fit on one page as LibreOffice prints it: no break (a review found them on two).
    expect(await breaksAfter(await list('mau01', 4))).toEqual([]);

    const longer = await list('mau01', 17); // 17 people fill two pages to the bottom: 14, then 3 with the block
    expect(await breaksAfter(longer)).toEqual([FIRST + 17 - 4]);
  });

  it('break where LibreOffice starts the last page when the block fits under its rows', async () => {
    const file = await list('mau01', 20);
    const [after] = await breaksAfter(file);
    const h = await heights(file);
    const room = pageRoom(MAU01.columns.map((c) => c.width), printSetup('1:1'));
    // The first page as full as LibreOffice makes it: the next person would not fit.
    expect(sum(h, 1, after!)).toBeLessThanOrEqual(room.natural);
    expect(sum(h, 1, after! + 1)).toBeGreaterThan(room.natural);
    expect(after).toBe(FIRST + 17 - 1); // persons 1–17, then 18–20 with the block
  });

  it('break Mẫu 02 and the escalation list too, long rows and short', async () => {
    for (const form of ['mau02', 'ho-tro'] as const) {
      for (const sample of ['short', 'long'] as const) {
        expect(await breaksAfter(await list(form, 1, sample)), `${form} ${sample} 1`).toEqual([]);
        const [after] = await breaksAfter(await list(form, 40, sample));
        expect(after, `${form} ${sample} 40`).toBeGreaterThan(FIRST);
      }
    }
  });
});

describe('Mẫu 03', () => {
  it('puts the total row and the rows above it on the signatures’ page, for every scope', async () => {
    for (const scope of ['national', 'province', 'district', 'unit'] as const) {
      const file = path.join(dir, `mau03-${scope}.xlsx`);
      await writeSampleMau03(file, scope, 2, 'short');
      // Rows 14–15 the two units, 16 the total: its head and foot leave no page room for the block under three
      // rows of 49 points, so unit 1 stays on the first page and unit 2 and the total go over.
      expect(await breaksAfter(file), scope).toEqual([14]);
    }
  });

  it('breaks where LibreOffice starts the last page of a national report', async () => {
    const file = path.join(dir, 'mau03-national-63.xlsx');
    await writeSampleMau03(file, 'national', 63, 'short');
    const [after] = await breaksAfter(file);
    const h = await heights(file);
    expect(after).toBeGreaterThan(14);
    expect(sum(h, 10, 13) + sum(h, after! + 1, 14 + 63)).toBeLessThanOrEqual(pageRoom([4, 20, 10, 9, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9, 9, 7, 7, 20], printSetup('1:1')).natural);
  });
});
