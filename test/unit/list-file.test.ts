// The list files as SpreadsheetML written by ListFileWriter, opened the ways they are read: exceljs's whole-file
// reader (a clerk's Excel, `ddcn import corrections`) and its streaming reader, and the zip as bytes.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { correctionSource } from '../../src/reports/ho-tro.js';
import { ListFileWriter } from '../../src/reports/list-file.js';
import { lines, RowHeights } from '../../src/reports/list-layout.js';
import { MAU01 } from '../../src/reports/mau01.js';
import { MAU02 } from '../../src/reports/mau02.js';
import { REMEMBERED_STRINGS } from '../../src/reports/xlsx/shared-strings.js';
import { zipArchive, type CompressedEntry } from '../../src/reports/xlsx/zip.js';
import type { EscalationRow, FormKind, ListFileSpec, ListRow } from '../../src/reports/list-row.js';

const dir = tempDirPerFile('ddcn-list-file-');

const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai & Cộng sự', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };
const ISSUED = '2024-06-03T01:30:00.000Z';

const person = (i: number, over: Partial<ListRow> = {}): ListRow => ({
  maSoBhxh: `079${String(i).padStart(7, '0')}`, hoTen: `Nguyễn Văn ${i}`, ngaySinh: '1990-03-05', gioiTinh: 'M',
  soGiayTo: '012345678', soDdcn: `079090${String(i).padStart(6, '0')}`, vssid: i % 2 === 0, email: i % 2 === 0 ? `p${i}@example.vn` : null,
  status: 'MATCHED', fields: [], findings: [], detail: null, ...over,
});
const unmatched = (i: number, over: Partial<ListRow> = {}) =>
  person(i, { status: 'MISMATCHED', soDdcn: null, fields: ['dob'], detail: { registry: { ngaySinh: '1990-03-06' } }, ...over });

async function write(name: string, form: FormKind, rows: unknown[], pieces = 1): Promise<string> {
  const spec: ListFileSpec = { path: path.join(dir, name), form, unit: UNIT, issuedAt: ISSUED };
  const w = ListFileWriter.open(spec);
  const size = Math.ceil(rows.length / pieces);
  for (let i = 0; i < rows.length; i += size) w.add(rows.slice(i, i + size));
  expect(await w.close()).toBe(rows.length);
  return spec.path;
}

async function sheetOf(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

/** Row number → values, as the streaming reader sees them. */
async function streamed(file: string): Promise<Map<number, unknown[]>> {
  const rows = new Map<number, unknown[]>();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', worksheets: 'emit' });
  for await (const ws of reader) {
    for await (const row of ws) {
      // The whole-file reader's eachRow skips rows without values (the room to sign); so does this.
      if (row.hasValues) rows.set(row.number, (row.values as unknown[]).slice(1));
    }
  }
  return rows;
}

function wholeRows(ws: ExcelJS.Worksheet): Map<number, unknown[]> {
  const rows = new Map<number, unknown[]>();
  ws.eachRow((row, n) => rows.set(n, (row.values as unknown[]).slice(1)));
  return rows;
}

/** The local file headers of a zip, in order; `data`: where the entry's compressed bytes start. */
function localHeaders(zip: Buffer): Array<{ name: string; flags: number; compressedSize: number; size: number; crc: number; data: number; modified: string }> {
  const out = [];
  for (let at = 0; zip.readUInt32LE(at) === 0x04034b50; ) {
    const nameLength = zip.readUInt16LE(at + 26);
    const compressedSize = zip.readUInt32LE(at + 18);
    const data = at + 30 + nameLength + zip.readUInt16LE(at + 28);
    out.push({
      name: zip.toString('ascii', at + 30, at + 30 + nameLength), flags: zip.readUInt16LE(at + 6),
      crc: zip.readUInt32LE(at + 14), compressedSize, size: zip.readUInt32LE(at + 22), data, modified: dosTime(zip.readUInt16LE(at + 12), zip.readUInt16LE(at + 10)),
    });
    at = data + compressedSize;
  }
  return out;
}

/** A zip entry's MS-DOS date and time (local time, 2-second steps) as `yyyy-mm-dd hh:mm:ss`. */
function dosTime(date: number, time: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${1980 + (date >> 9)}-${p((date >> 5) & 15)}-${p(date & 31)} ${p(time >> 11)}:${p((time >> 5) & 63)}:${p((time & 31) * 2)}`;
}

/** The worksheet XML of a list file, as written. */
async function sheetXml(file: string): Promise<string> {
  const zip = await readFile(file);
  const e = localHeaders(zip).find((h) => h.name === 'xl/worksheets/sheet1.xml')!;
  return inflateRawSync(zip.subarray(e.data, e.data + e.compressedSize)).toString('utf8');
}

describe('the escalation list, column (11)', () => {
  it('names where the last correction came from: a returned file and row, a file sent on the portal, the portal\'s form', () => {
    expect(correctionSource('/srv/ddcn/in/DV0790001/mau02.xlsx', 15)).toBe('mau02.xlsx, dòng 15');
    expect(correctionSource('upload:dv-hn1/Mẫu 02 đã điền.xlsx', 18)).toBe('Mẫu 02 đã điền.xlsx, dòng 18 (gửi trên cổng thông tin, tài khoản dv-hn1)');
    expect(correctionSource('web:tinh-001', 0)).toBe('Nhập trên cổng thông tin (tài khoản tinh-001)');
  });
});

describe('list files written as SpreadsheetML', () => {
  it('lays out Mẫu 02 with merges, frozen panes, print titles and page setup, centred on the page', async () => {
    const ws = await sheetOf(await write('mau02.xlsx', 'mau02', [unmatched(1), unmatched(2), unmatched(3)]));
    expect(ws.name).toBe('Mẫu 02');
    expect(ws.getCell('A7').text).toBe('Tên đơn vị: Công ty TNHH Sao Mai & Cộng sự');
    expect(ws.model.merges).toEqual(expect.arrayContaining([
      'A1:E1', 'M1:N1', 'A5:N5', 'A11:A13', 'C11:H11', 'J11:M11', 'G12:H12', 'I11:I13', 'N11:N13', // head
      'A19:N19', 'A20:N20', 'J26:N26', 'A27:D27', 'J28:N28', // notes and signatures under the 3 people
    ]));
    // a merged block carries its style in every cell, so the borders run round it
    expect(ws.getCell('H11').border.bottom?.style).toBe('thin');
    expect((ws.getCell('M12').fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFFF2CC');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', xSplit: 3, ySplit: 14, topLeftCell: 'D15' });
    expect(ws.pageSetup).toMatchObject({
      paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.6, header: 0.3, footer: 0.3 }, printTitlesRow: '11:14',
    });
    expect(ws.headerFooter.oddFooter).toBe('&C&"Times New Roman,Italic"&10Trang &P/&N');
    expect(ws.getColumn(9).width).toBe(33);
    expect(ws.getRow(5).height).toBeGreaterThan(15);
    expect(ws.getRow(29).height).toBe(60);
    expect(ws.getCell('A20').alignment).toMatchObject({ vertical: 'top', wrapText: true });
    // Stt in a column of 4: shrunk to fit from 1 000 on, where it printed ### (a unit of a thousand people and more).
    expect(ws.getCell('A15').alignment).toMatchObject({ horizontal: 'center', shrinkToFit: true });
  });

  it('puts the input rules on columns 10–13 of every person and nowhere else', async () => {
    const ws = await sheetOf(await write('rules.xlsx', 'mau02', [unmatched(1), unmatched(2), unmatched(3)]));
    for (const row of [15, 17]) {
      expect(ws.getCell(row, 10).dataValidation).toMatchObject({ type: 'textLength', operator: 'lessThanOrEqual', formulae: [100], allowBlank: true });
      expect(ws.getCell(row, 11).dataValidation).toMatchObject({ type: 'textLength', operator: 'between', formulae: [4, 10], errorStyle: 'warning' });
      expect(ws.getCell(row, 12).dataValidation).toMatchObject({ type: 'list', formulae: ['"Nam,Nữ"'], showErrorMessage: true, errorStyle: 'stop' });
      expect(ws.getCell(row, 13).dataValidation).toMatchObject({ type: 'custom', formulae: ['AND(LEN(M15)=12,ISNUMBER(VALUE(M15)))'] });
      expect(ws.getCell(row, 13).dataValidation.prompt).toBe('Ghi đủ 12 chữ số của số ĐDCN/CCCD, kể cả các số 0 ở đầu.');
    }
    expect(ws.getCell(14, 12).dataValidation).toBeUndefined(); // the numbered row
    expect(ws.getCell(18, 12).dataValidation).toBeUndefined(); // below the last person
    expect(ws.getCell(15, 9).dataValidation).toBeUndefined(); // column (9) is ours, not the unit's
  });

  it('writes rows in ascending order with numeric heights, each row’s cells in column order, and merges only blocks of several cells, as Excel requires', async () => {
    for (const form of ['mau01', 'mau02', 'ho-tro'] as const) {
      const people = [unmatched(1), unmatched(2)].map((p) =>
        form === 'ho-tro' ? { ...p, maDonVi: 'DV0790001', tenDonVi: 'Công ty Sao Mai', correctedAt: ISSUED, sourceFile: '/tmp/mau02.xlsx', sourceRow: 15 } : p);
      const xml = await sheetXml(await write(`order-${form}.xlsx`, form, people));
      const rows = [...xml.matchAll(/<row r="(\d+)"[^>]*>(.*?)<\/row>/g)];
      const numbers = rows.map((m) => Number(m[1]));
      expect(numbers, form).toEqual([...numbers].sort((a, b) => a - b));
      expect(new Set(numbers).size, form).toBe(numbers.length);
      // A height is a number of points, or absent (the default height).
      expect([...xml.matchAll(/ ht="([^"]*)"/g)].map((m) => m[1]).filter((h) => !/^\d+(\.\d+)?$/.test(h!)), form).toEqual([]);
      for (const [, r, cells] of rows) {
        const columns = [...cells!.matchAll(/<c r="([A-Z]+)(\d+)"/g)].map(([, col, row]) => {
          expect(row, `${form} row ${r}`).toBe(r);
          return col!.length * 100 + col!.charCodeAt(col!.length - 1); // A…Z, then AA…: enough for these forms
        });
        expect(columns, `${form} row ${r}`).toEqual([...columns].sort((a, b) => a - b));
        expect(new Set(columns).size).toBe(columns.length);
      }
      // Text only where SpreadsheetML has text (values, rule formulae, the footer), none between elements.
      const stray = xml.replace(/^<\?xml[^>]*\?>\n/, '').replace(/<(v|formula1|formula2|oddFooter)>[^<]*<\/\1>/g, '').replace(/<[^>]*>/g, '');
      expect(stray, form).toBe('');
      // Rule operators are SpreadsheetML's, or absent (a list or a formula rule; between, the default).
      const operators = [...xml.matchAll(/ operator="([^"]*)"/g)].map((m) => m[1]);
      for (const op of operators) expect(['between', 'notBetween', 'equal', 'notEqual', 'lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'], form).toContain(op);
      const merges = [...xml.matchAll(/<mergeCell ref="([A-Z]+\d+):([A-Z]+\d+)"\/>/g)];
      expect(merges.length, form).toBeGreaterThan(10);
      for (const [, from, to] of merges) expect(from, form).not.toBe(to);
    }
  });

  it('freezes the panes Excel shows when scrolling, and gives each column the width its form sets', async () => {
    const mau02 = await write('panes-mau02.xlsx', 'mau02', [unmatched(1)]);
    const mau01 = await write('panes-mau01.xlsx', 'mau01', [person(1)]);
    // Mẫu 02 keeps Stt, the code and the name in view (3 columns) and the head to row 14; Mẫu 01 only the head.
    expect(await sheetXml(mau02)).toContain('<pane xSplit="3" ySplit="14" topLeftCell="D15" activePane="bottomRight" state="frozen"/><selection pane="bottomRight"/>');
    expect(await sheetXml(mau01)).toContain('<pane ySplit="13" topLeftCell="A14" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>');
    for (const [file, form] of [[mau02, MAU02], [mau01, MAU01]] as const) {
      const ws = await sheetOf(file);
      expect(form.columns.map((_, i) => ws.getColumn(i + 1).width)).toEqual(form.columns.map((c) => c.width));
      const xml = await sheetXml(file);
      expect(xml).toMatch(/<cols>(<col [^>]*\/>)+<\/cols>/);
      // One <col> a column, numbered from 1: overlapping or zero ranges make Excel repair the file.
      expect([...xml.matchAll(/<col min="(\d+)" max="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual(form.columns.map((_, i) => [i + 1, i + 1]));
    }
  });

  it('puts no input rules on a Mẫu 02 without people, nor anywhere on a Mẫu 01', async () => {
    const empty = await write('empty-mau02.xlsx', 'mau02', []);
    expect(await sheetXml(empty)).not.toContain('<dataValidation');
    const ws = await sheetOf(empty);
    expect([ws.getCell(14, 10).dataValidation, ws.getCell(15, 10).dataValidation]).toEqual([undefined, undefined]);
    expect(await sheetXml(await write('rules-mau01.xlsx', 'mau01', [person(1)]))).not.toContain('<dataValidation');
  });

  it('keeps numbers, codes and anything that looks like a formula as text', async () => {
    const names = ['=1+1', '+84912345678', '@x', '-5', '=HYPERLINK("http://x.vn","Bấm")', '007'];
    const rows = names.map((hoTen, i) => person(i + 1, { hoTen, maSoBhxh: `00000000${i}1`, soDdcn: `00109000000${i}` }));
    const ws = await sheetOf(await write('text.xlsx', 'mau01', rows));
    names.forEach((name, i) => {
      const row = ws.getRow(14 + i);
      expect(row.getCell(1).value).toBe(i + 1); // Stt is a number
      for (const [c, want] of [[2, `00000000${i}1`], [3, name], [6, `00109000000${i}`]] as const) {
        const cell = row.getCell(c);
        expect(cell.type, `${cell.address} ${want}`).toBe(ExcelJS.ValueType.String);
        expect(cell.value).toBe(want);
        expect(cell.formula).toBeUndefined();
      }
      expect(row.getCell(2).numFmt).toBe('@');
      expect(row.getCell(6).numFmt).toBe('@');
    });
  });

  it('writes any text a data file may hold: markup characters, spaces at the ends, line breaks, control characters', async () => {
    const rows = [
      person(1, { hoTen: 'Lê <b>Văn</b> & "Tèo" \'A\'' }),
      person(2, { hoTen: '  Trần Thị Bé  ' }),
      person(3, { hoTen: 'Ngô\u0001Văn\u000BBa\u001F\uFFFE' }), // forbidden in XML 1.0: dropped, the file still opens
      person(4, { hoTen: 'Hà\tNội\r\nCũ', email: 'a&lt;b@example.vn' }),
      unmatched(5, { fields: ['name', 'dob'], detail: { registry: { hoTen: 'Phạm Văn Năm', ngaySinh: '1990-03-06' } } }),
    ];
    const file = await write('chars.xlsx', 'mau01', rows.slice(0, 4));
    const ws = await sheetOf(file);
    expect([14, 15, 16, 17].map((r) => ws.getCell(r, 3).value)).toEqual([
      'Lê <b>Văn</b> & "Tèo" \'A\'', '  Trần Thị Bé  ', 'NgôVănBa', 'Hà\tNội\r\nCũ',
    ]);
    expect(ws.getCell(17, 7).value).toBe('a&lt;b@example.vn');
    expect((await streamed(file)).get(17)?.[6]).toBe('a&lt;b@example.vn');

    const mau02 = await sheetOf(await write('lines.xlsx', 'mau02', rows.slice(4)));
    expect(mau02.getCell('I15').value).toBe('Họ và tên: Nguyễn Văn 5 — CSDL dân cư: Phạm Văn Năm\nNgày sinh: 05/03/1990 — CSDL dân cư: 06/03/1990');
  });

  it('keeps characters beyond the first 65 536 (Nôm, emoji) and drops halves of broken pairs, in an all-ASCII strings part', async () => {
    const names = [
      'Nguyễn Văn 𠀀', // U+20000: its second half is the first low surrogate, DC00
      'Trần Thị 𠏿', // U+203FF: second half DFFF, the last
      'Lê 😀 \u{10000}\u{10FFFD}', // the first character past 65 535, and one of the last plane (first half DBFF)
      'Ngô\uD800Văn\uDC00Ba\uDFFF', // halves on their own: after a letter, before one, at the end
      'Hà\uDC00Nội', // a lone second half right after a non-ASCII letter
      'Ａ\uD83D！', // a lone first half before a fullwidth letter (above DFFF), which stays
      'Vũ\u007FAn', // DEL is allowed in XML: kept, as a reference
    ];
    const file = await write('astral.xlsx', 'mau01', names.map((hoTen, i) => person(i + 1, { hoTen })));
    const want = ['Nguyễn Văn 𠀀', 'Trần Thị 𠏿', 'Lê 😀 \u{10000}\u{10FFFD}', 'NgôVănBa', 'HàNội', 'Ａ！', 'Vũ\u007FAn'];
    const ws = await sheetOf(file);
    expect(names.map((_, i) => ws.getCell(14 + i, 3).value)).toEqual(want);
    const stream = await streamed(file);
    expect(names.map((_, i) => stream.get(14 + i)?.[2])).toEqual(want);
    const zip = await readFile(file);
    const e = localHeaders(zip).find((h) => h.name === 'xl/sharedStrings.xml')!;
    const strings = inflateRawSync(zip.subarray(e.data, e.data + e.compressedSize)).toString('latin1');
    expect(strings).toMatch(/^[\t\n\x20-\x7e]*$/);
    expect(strings).toContain('Nguy&#7877;n V&#259;n &#131072;');
  });

  it('leaves column (4) empty for a person whose birth date is not known', async () => {
    const ws = await sheetOf(await write('no-dob.xlsx', 'mau01', [person(1, { ngaySinh: null }), person(2)]));
    expect([ws.getCell(14, 4).value, ws.getCell(15, 4).value]).toEqual([null, '05/03/1990']);
  });

  it('refuses a part or a workbook too large for a zip without zip64 (4 GiB) instead of writing a broken file', () => {
    // Only the sizes matter here: the checks come before any byte is copied.
    const part = (name: string, size: number, compressedSize = size): CompressedEntry => ({ name, crc: 0, size, compressedSize, data: [] });
    const at = new Date('2024-06-03T08:30:00Z');
    const LAST = 2 ** 32 - 1; // the largest size or offset a zip without zip64 holds
    const header = (name: string) => 30 + name.length;
    // Sizes: up to the last that fits, whether the part compresses well (XML does) or not.
    expect(zipArchive([part('a.xml', LAST, 2 ** 20)], at).readUInt32LE(0)).toBe(0x04034b50);
    expect(zipArchive([part('a.xml', 2 ** 20, LAST - header('a.xml'))], at).readUInt32LE(0)).toBe(0x04034b50);
    expect(() => zipArchive([part('xl/worksheets/sheet1.xml', LAST + 1, 2 ** 20)], at)).toThrow('xl/worksheets/sheet1.xml is too large for a zip without zip64');
    expect(() => zipArchive([part('xl/sharedStrings.xml', 2 ** 20, LAST + 1)], at)).toThrow('xl/sharedStrings.xml is too large for a zip without zip64');
    // Offsets: a part may start at the last offset there is; one after it may not; nor may the archive end past it.
    expect(() => zipArchive([part('a.xml', 8, LAST - header('a.xml')), part('b.xml', 0, 0)], at)).toThrow('archive too large for a zip without zip64');
    expect(() => zipArchive([part('a.xml', 8, LAST), part('b.xml', 0, 0)], at)).toThrow('b.xml is too large for a zip without zip64');
    expect(() => zipArchive([part('a.xml', 3 * 2 ** 30), part('b.xml', 3 * 2 ** 30)], at)).toThrow('archive too large for a zip without zip64');
  });

  it('streams a unit with thousands of people into one file, read alike by both exceljs readers', async () => {
    const n = 12_000;
    const file = await write('big.xlsx', 'mau01', Array.from({ length: n }, (_, i) => person(i + 1)), 7);
    const ws = await sheetOf(file);
    expect([ws.getCell(14, 1).value, ws.getCell(14, 2).value]).toEqual([1, '0790000001']);
    expect([ws.getCell(13 + n, 1).value, ws.getCell(13 + n, 2).value, ws.getCell(13 + n, 7).value]).toEqual([n, '0790012000', 'p12000@example.vn']);
    expect(ws.getCell(13 + n + 2, 1).value).toBe('Ghi chú:');
    expect(ws.model.merges).toContain(`A${13 + n + 2}:I${13 + n + 2}`);
    // The whole-file reader repeats a merged block's value in each of its cells; the streaming one does not.
    const table = (rows: Map<number, unknown[]>) => [...rows].filter(([r]) => r >= 13 && r <= 13 + n); // (1)…(9) and people
    const stream = await streamed(file);
    expect(stream.size).toBe(wholeRows(ws).size);
    expect(table(stream)).toEqual(table(wholeRows(ws)));
    expect(stream.get(1)?.[0]).toBe('BẢO HIỂM XÃ HỘI VIỆT NAM');
    // A merged block holds its text once, in its first cell, as Excel writes it (the other cells only its style).
    const filled = (r: number) => stream.get(r)!.filter((v) => v !== null && v !== undefined);
    expect(filled(1)).toEqual(['BẢO HIỂM XÃ HỘI VIỆT NAM', 'Mẫu số 01']);
    expect(filled(13 + n + 2)).toEqual(['Ghi chú:']);
    // Written to the compressor in pieces of about 1 MB: between the pieces, nothing but rows and cells (whose
    // values here are numbers: Stt and shared-string ids).
    const sheetData = (await sheetXml(file)).split('<sheetData>')[1]!.split('</sheetData>')[0]!;
    expect(sheetData.length).toBeGreaterThan(2 << 20);
    expect(sheetData.replace(/<[^>]*>/g, '')).toMatch(/^\d*$/);
    // The string table likewise, written in pieces too, as it grows. A text every row repeats (the date of birth,
    // the "X" of column (8)) is stored again only after REMEMBERED_STRINGS new ones: once per such stretch, not per row.
    const zip = await readFile(file);
    const e = localHeaders(zip).find((h) => h.name === 'xl/sharedStrings.xml')!;
    const sst = inflateRawSync(zip.subarray(e.data, e.data + e.compressedSize)).toString('latin1');
    expect(sst.length).toBeGreaterThan(1 << 20);
    expect(sst.replace(/^<\?xml[^>]*\?>\n/, '').replace(/<t( [^>]*)?>[^<]*<\/t>/g, '').replace(/<[^>]*>/g, '')).toBe('');
    const texts = [...sst.matchAll(/<si><t(?: [^>]*)?>([^<]*)<\/t><\/si>/g)].map((m) => m[1]);
    const stored = (text: string) => texts.filter((t) => t === text).length;
    const stretches = Math.ceil(texts.length / REMEMBERED_STRINGS);
    expect(stretches).toBeGreaterThan(3);
    for (const repeated of ['05/03/1990', 'X']) {
      expect(stored(repeated), repeated).toBeGreaterThanOrEqual(stretches - 1);
      expect(stored(repeated), repeated).toBeLessThanOrEqual(stretches);
    }
    // Every string cell points into the table.
    const ids = [...(await sheetXml(file)).matchAll(/ t="s"><v>(\d+)<\/v>/g)].map((m) => Number(m[1]));
    expect(Math.max(...ids)).toBe(texts.length - 1);
  });

  it('gives every zip entry its CRC and sizes in the local header, with the parts a streaming reader needs first', async () => {
    const file = await write('zip.xlsx', 'mau02', Array.from({ length: 3000 }, (_, i) => unmatched(i + 1)), 3);
    const entries = localHeaders(await readFile(file));
    expect(entries.map((e) => e.name)).toEqual([
      '[Content_Types].xml', '_rels/.rels', 'docProps/app.xml', 'docProps/core.xml', 'xl/workbook.xml',
      'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml',
    ]);
    for (const e of entries) {
      expect(e.modified, `${e.name} is dated in Vietnam time, when the list was issued`).toBe('2024-06-03 08:30:00');
      expect(e.flags & 0x08, `${e.name} has a data descriptor`).toBe(0);
      expect(e.size, e.name).toBeGreaterThan(0);
      expect(e.compressedSize, e.name).toBeGreaterThan(0);
    }
    const stream = await streamed(file);
    expect(stream.get(15)?.slice(0, 3)).toEqual([1, '0790000001', 'Nguyễn Văn 1']);
    expect(stream.get(14 + 3000)?.[0]).toBe(3000);
  });

  it('writes the escalation list with its own head and the date under it', async () => {
    const row: EscalationRow = {
      ...unmatched(1), maDonVi: 'DV0790001', tenDonVi: 'Công ty Sao Mai', correctedAt: '2024-06-01T02:00:00.000Z',
      sourceFile: '/tmp/returned/mau02-DV0790001.xlsx', sourceRow: 15,
    };
    const ws = await sheetOf(await write('ho-tro.xlsx', 'ho-tro', [row]));
    expect(ws.name).toBe('Đề nghị hỗ trợ');
    expect(ws.getCell('A2').text).toBe('BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH');
    expect((ws.getRow(12).values as unknown[]).slice(1)).toEqual(Array.from({ length: 12 }, (_, i) => `(${i + 1})`));
    expect((ws.getRow(13).values as unknown[]).slice(1, 11)).toEqual([
      1, '0790000001', 'Nguyễn Văn 1', '05/03/1990', 'Nam', '012345678', 'DV0790001', 'Công ty Sao Mai',
      'Ngày sinh: 05/03/1990 — CSDL dân cư: 06/03/1990', '01/06/2024 09:00',
    ]);
    expect(ws.getCell(13, 11).value).toBe('mau02-DV0790001.xlsx, dòng 15');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', xSplit: 3, ySplit: 12 });
    expect(ws.pageSetup.printTitlesRow).toBe('11:12');
    let dated = '';
    let datedRow = 0;
    ws.eachRow((r) => r.eachCell((c) => void (/, ngày \d\d tháng \d{1,2} năm \d{4}$/.test(c.text) && (dated = c.text) && (datedRow = r.number))));
    expect(dated).toBe('Thành phố Hồ Chí Minh, ngày 03 tháng 6 năm 2024');
    // The date and the right-hand signature over the last columns wide enough for the date on one line (its 47
    // characters and two: the last four columns, 30 + 11 + 17 + 10).
    for (const r of [datedRow, datedRow + 1, datedRow + 2]) expect(ws.model.merges).toContain(`I${r}:L${r}`);
  });

  it('gives each person a row tall enough for its wrapped text, and a one-line row no taller than usual', async () => {
    const threeFields = unmatched(2, {
      fields: ['name', 'dob', 'sex'], gioiTinh: 'F',
      detail: { registry: { hoTen: 'Ngô Thị Hai', ngaySinh: '1966', gioiTinh: 'M' } },
    });
    const rows = [
      unmatched(1, { fields: ['sex'], detail: { registry: { gioiTinh: 'F' } } }), // "Giới tính: Nam — CSDL dân cư: Nữ"
      threeFields,
      unmatched(3, { status: 'MISSING_ID', soGiayTo: null, fields: [], detail: null }), // column 6 asks for the number
    ];
    const file = await write('heights.xlsx', 'mau02', rows);
    const ws = await sheetOf(file);
    const height = (r: number) => ws.getRow(r).height;
    const lineCount = (r: number, c: number) => String(ws.getCell(r, c).value).split('\n').length;

    expect(lineCount(15, 9)).toBe(1);
    expect(height(15)).toBe(15);
    expect(lineCount(16, 9)).toBe(3);
    expect(height(16)).toBeGreaterThanOrEqual(3 * 15); // column (9) is 11 pt
    expect(ws.getCell(17, 6).value).toBe('đề nghị kê khai bổ sung số ĐDCN tại cột 13');
    expect(height(17)).toBeGreaterThanOrEqual(3 * 15); // 11 pt in a column 15 characters wide
    // the heights are the rows' own, not a guess Excel or LibreOffice would redo
    const xml = await sheetXml(file);
    for (const r of [15, 16, 17]) expect(xml).toMatch(new RegExp(`<row r="${r}" ht="[0-9.]+" customHeight="1">`));

    const mau01 = await sheetOf(await write('heights01.xlsx', 'mau01', [
      person(1, { email: 'p1@example.vn' }),
      person(2, { email: 'nguyen.thi.thanh.huong.phong.ke.toan.2024@congty-saomai.com.vn' }), // column (7), 30 wide
      person(3, { hoTen: 'Tôn Nữ Hoàng Thị Ngọc Bích Phương Thảo Nguyên' }), // column (3), 26 wide
    ]));
    expect(mau01.getRow(14).height).toBe(15);
    expect(mau01.getRow(15).height).toBeGreaterThanOrEqual(3 * 15);
    expect(mau01.getRow(16).height).toBeGreaterThanOrEqual(2 * 15);
  });

  it('counts lines by line breaks and by wrapping at the column width', () => {
    expect(lines('', 20)).toBe(1);
    expect(lines('Giới tính: Nam — CSDL dân cư: Nữ', 40)).toBe(1);
    expect(lines('a\nb\nc', 40)).toBe(3);
    expect(lines('x'.repeat(60), 20)).toBe(4); // 66 of 19 a line
    expect(lines('x'.repeat(60) + '\n\nb', 20)).toBe(6);
    expect(lines('a\n' + 'x'.repeat(40), 20)).toBe(1 + 3); // each line on its own: a short one, then 44 of 19 a line
    expect(lines('\n' + 'x'.repeat(40), 20)).toBe(1 + 3); // a text that starts with a line break
    const heights = new RowHeights([{ width: 5, style: 'center' }, { width: 40, style: 'small' }, { width: 10, style: 'count' }]);
    expect(heights.of([123456789, 'kết quả', null])).toBe(15); // numbers do not wrap
    expect(heights.of([1, 'kết quả', 'x'.repeat(80)])).toBe(15); // nor text in a column whose style does not wrap
    expect(heights.of([1, 'a\nb\nc', null])).toBe(3 * 13.5 + 3);
    expect(heights.of([1, 'a\n'.repeat(100), null])).toBe(409); // as tall as Excel allows
  });

  it('leaves nothing behind when a file is given up', async () => {
    const spec: ListFileSpec = { path: path.join(dir, 'gone', 'mau01.xlsx'), form: 'mau01', unit: UNIT, issuedAt: ISSUED };
    const w = ListFileWriter.open(spec);
    w.add([person(1)]);
    await expect(w.close()).rejects.toThrow(/ENOENT/); // its directory does not exist
    await w.abort();
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
    // A folder in the file's place: the workbook is written under its temporary name, cannot be moved, and is removed.
    const taken = path.join(dir, 'taken');
    await mkdir(path.join(taken, 'mau01.xlsx'), { recursive: true });
    const w2 = ListFileWriter.open({ ...spec, path: path.join(taken, 'mau01.xlsx') });
    w2.add([person(1)]);
    await expect(w2.close()).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await readdir(taken)).toEqual(['mau01.xlsx']);
  });
});

describe("the unit's lines above the table", () => {
  // A branch's full name and an address in an industrial park, 155 and 152 characters: on one row of one line they
  // were cut at the form's right edge, in print (LibreOffice) and on screen.
  const LONG_UNIT = {
    ...UNIT,
    tenDonVi: 'Chi nhánh Công ty Trách nhiệm hữu hạn Một thành viên Xổ số Kiến thiết và Dịch vụ In Thành phố Hồ Chí Minh tại Khu công nghệ cao Quận 9 - Văn phòng đại diện',
    diaChi: 'Lô I-3b-1, Đường N2, Khu Công nghệ cao Thành phố Hồ Chí Minh, Phường Hiệp Phú, Thành phố Thủ Đức, Thành phố Hồ Chí Minh, Việt Nam (cổng số 2, tòa nhà B)',
  };

  it.each(['mau01', 'mau02'] as const)('wrap a long name or address onto a row as tall as its lines (%s)', async (form) => {
    const spec: ListFileSpec = { path: path.join(dir, `long-unit-${form}.xlsx`), form, unit: LONG_UNIT, issuedAt: ISSUED };
    const w = ListFileWriter.open(spec);
    w.add([form === 'mau01' ? person(1) : unmatched(1)]);
    await w.close();
    const ws = await sheetOf(spec.path);
    // Mẫu 02 is wider: its 161-character address line fits on one line.
    for (const r of form === 'mau01' ? [7, 9] : [7]) {
      expect(ws.getCell(r, 1).text).toMatch(/^(Tên đơn vị|Địa chỉ): .*(đại diện|tòa nhà B\))$/);
      expect(ws.getCell(r, 1).alignment?.wrapText).toBe(true);
      expect(ws.getRow(r).height).toBeGreaterThanOrEqual(2 * 16);
    }
    // The code's line is one line, as before.
    expect(ws.getRow(8).height ?? 15).toBeLessThan(20);
  });
});
