// Reading a Mẫu 02 a unit sent back: the workbook as ddcn wrote it, then changed the ways a clerk's Excel changes it
// (a formula filled down, a column deleted, the unit line cleared), and files that are no returned Mẫu 02 at all.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { withPart } from '../helpers/zip-parts.js';
import { UserError } from '../../src/errors.js';
import { ListFileWriter } from '../../src/reports/list-file.js';
import type { ListRow } from '../../src/reports/list-row.js';
import { openReturnedMau02, ReturnedFileError, type ReturnedRow } from '../../src/reports/read-mau02.js';
import { compressEntry, zipArchive } from '../../src/reports/xlsx/zip.js';

const dir = tempDirPerFile('ddcn-read-mau02-');

const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };
const person = (i: number): ListRow => ({
  maSoBhxh: `079000000${i}`, hoTen: `Nguyễn Văn ${i}`, ngaySinh: '1990-03-05', gioiTinh: 'M', soGiayTo: '012345678', soDdcn: null,
  vssid: false, email: null, status: 'MISMATCHED', fields: ['dob'], findings: [], detail: { registry: { ngaySinh: '1990-03-06' } },
});
// On the Mẫu 02 as written: the numbered row (1) … (14) is row 14, the people from row 15.
const FIRST = 15;

/** The Mẫu 02 ddcn writes for two people, changed by `edit` in exceljs (as a clerk's Excel would) and saved. */
async function returned(name: string, edit: (ws: ExcelJS.Worksheet) => void): Promise<string> {
  const sent = path.join(dir, `${name}.sent.xlsx`);
  const w = ListFileWriter.open({ path: sent, form: 'mau02', unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
  w.add([person(1), person(2)]);
  await w.close();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(sent);
  edit(wb.worksheets[0]!);
  const file = path.join(dir, `${name}.xlsx`);
  await wb.xlsx.writeFile(file);
  return file;
}

async function rowsOf(file: string): Promise<ReturnedRow[]> {
  const form = await openReturnedMau02(file);
  const out: ReturnedRow[] = [];
  for (const r of form.rows) out.push(r);
  return out;
}

function cellWith(ws: ExcelJS.Worksheet, re: RegExp): ExcelJS.Cell {
  let found: ExcelJS.Cell | undefined;
  ws.eachRow((row) => row.eachCell((c) => void (re.test(c.text) && !found && (found = c))));
  if (!found) throw new Error(`nothing matches ${re}`);
  return found;
}

/**
 * An OLE compound file as Excel and LibreOffice write an .xls, or an .xlsx saved with a password (MS-CFB): the header,
 * the FAT from sector 0, and the directory, its entries named `names`, from sector `at` on (the sectors between: the
 * streams, here zeros). `shift`: 9 for sectors of 512 bytes (version 3), 12 for 4 096 (version 4). `edit` may damage
 * the header or the FAT.
 */
function compoundFile(
  names: string[], { shift = 9, at = 1, edit = () => undefined }: { shift?: number; at?: number; edit?: (header: Buffer, fat: Buffer) => void } = {},
): Buffer {
  const size = 2 ** shift;
  const directorySectors = Math.ceil(names.length / (size / 128));
  const end = at + directorySectors;
  const fatSectors = Math.ceil(end / (size / 4));
  if (fatSectors > at) throw new Error('the directory would overlap the FAT');
  const header = Buffer.alloc(size);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(header);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(shift === 9 ? 3 : 4, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(shift, 0x1e);
  header.writeUInt16LE(6, 0x20);
  header.writeUInt32LE(fatSectors, 0x2c);
  header.writeUInt32LE(at, 0x30);
  header.writeUInt32LE(4096, 0x38);
  header.writeUInt32LE(0xfffffffe, 0x3c);
  header.writeUInt32LE(0xfffffffe, 0x44);
  header.fill(0xff, 0x4c, 512);
  const fat = Buffer.alloc(fatSectors * size, 0xff);
  for (let n = 0; n < fatSectors; n++) {
    header.writeUInt32LE(n, 0x4c + 4 * n);
    fat.writeUInt32LE(0xfffffffd, 4 * n);
  }
  for (let n = at; n < end; n++) fat.writeUInt32LE(n === end - 1 ? 0xfffffffe : n + 1, 4 * n);
  const body = Buffer.alloc((end - fatSectors) * size);
  names.forEach((name, i) => {
    const e = (at - fatSectors) * size + i * 128;
    body.write(name, e, 'utf16le');
    body.writeUInt16LE(2 * name.length + 2, e + 0x40);
    body[e + 0x42] = i === 0 ? 5 : 2; // the root, then streams
  });
  edit(header, fat);
  return Buffer.concat([header, fat, body]);
}

describe('reading a returned Mẫu 02', () => {
  it('reads a list whose every text was saved decomposed (NFD, as some Mac software saves Vietnamese), head lines too', async () => {
    const file = await returned('nfd', (ws) => {
      ws.getCell(`J${FIRST}`).value = 'Trần Thị Bích';
      ws.eachRow((row) => row.eachCell((c) => void (typeof c.value === 'string' && (c.value = c.value.normalize('NFD')))));
    });
    expect(await readFile(file)).not.toContain(Buffer.from('Mẫu số 02'.normalize('NFC')));
    const form = await openReturnedMau02(file);
    expect(form.unit).toBe('DV0790001');
    const rows: ReturnedRow[] = [];
    for (const r of form.rows) rows.push(r);
    expect(rows.map((r) => [r.maSoBhxh, r.name])).toEqual([['0790000001', 'Trần Thị Bích'], ['0790000002', '']]);
  });

  it('reads a list saved by LibreOffice after a row was deleted, with the empty rows it writes at the sheet\'s end', async () => {
    const file = await returned('row-deleted', (ws) => {
      ws.getCell(`L${FIRST + 1}`).value = 'Nữ';
      ws.spliceRows(FIRST, 1); // the first person deleted: the second moves up
      // What LibreOffice writes then: the sheet's last two rows, empty, at its own default height.
      for (const n of [1_048_575, 1_048_576]) ws.getRow(n).height = 12.8;
    });
    const rows = await rowsOf(file);
    expect(rows.map((r) => [r.line, r.maSoBhxh, r.sex])).toEqual([[FIRST, '0790000002', 'Nữ']]);
  });

  it('names the Excel error a formula left in an input column, the last one (13) too, also where the formula was filled down, and reads rich text as text', async () => {
    const file = await returned('formula-error', (ws) => {
      ws.getCell(`K${FIRST}`).value = { formula: '1/0', result: { error: '#DIV/0!' }, shareType: 'shared', ref: `K${FIRST}:K${FIRST + 1}` } as ExcelJS.CellValue;
      ws.getCell(`K${FIRST + 1}`).value = { sharedFormula: `K${FIRST}`, result: { error: '#DIV/0!' } } as ExcelJS.CellValue;
      ws.getCell(`L${FIRST}`).value = { formula: 'IF(1,"Nam")', result: 'Nam' };
      ws.getCell(`M${FIRST + 1}`).value = { formula: 'VALUE("x")', result: { error: '#VALUE!' } } as ExcelJS.CellValue;
      // A name typed with part of it in bold is rich text: read as its plain text.
      ws.getCell(`J${FIRST}`).value = { richText: [{ text: 'Nguyễn ' }, { font: { bold: true }, text: 'Văn Hưng' }] };
    });
    const rows = (await rowsOf(file)).slice(0, 2);
    expect(rows.map((r) => [r.line, r.maSoBhxh, r.errors, r.sex, r.name])).toEqual([
      [FIRST, '0790000001', ['(11) #DIV/0!'], 'Nam', 'Nguyễn Văn Hưng'],
      [FIRST + 1, '0790000002', ['(11) #DIV/0!', '(13) #VALUE!'], '', ''],
    ]);
  });

  it('gives an empty text for a column (1)–(9) whose number is gone from the numbered row, and reads the others by theirs', async () => {
    const file = await returned('no-number-8', (ws) => void (ws.getCell(FIRST - 1, 8).value = null));
    const [first] = await rowsOf(file);
    expect(first!.shown.slice(0, 8)).toEqual(['1', '0790000001', 'Nguyễn Văn 1', '05/03/1990', 'Nam', '012345678', '', '']);
    expect(first!.shown[8]).toMatch(/^Ngày sinh: 05\/03\/1990/);
  });

  it('reads a birth date typed as a date, pasted as a serial number, or typed as a year, as dd/mm/yyyy or the year', async () => {
    // Excel counts days from 30/12/1899: 31512 is 10/04/1986, 73 415 is 31/12/2100 (the last birth year taken).
    // A serial with a time of day (31512.5) or a serial typed as text ('31512') is no date: kept as typed. So is a
    // larger number, in a cell that no date format made a date: 02011995 typed for 02/01/1995 (2011995) is not
    // 26/08/7408, a date the clerk never typed.
    const dobs: ExcelJS.CellValue[] = [
      31512, new Date(Date.UTC(1986, 3, 10)), 1986, 2100, 2101, 73415, 73416, 2011995, 2958465, '05/03/1990', 1986.5, 31512.5, '31512',
    ];
    const file = await returned('dates', (ws) => {
      dobs.forEach((v, i) => {
        ws.getCell(FIRST + i, 2).value = `07900000${10 + i}`;
        ws.getCell(FIRST + i, 11).value = v;
      });
    });
    const rows = (await rowsOf(file)).slice(0, dobs.length);
    expect(rows.map((r) => r.dob)).toEqual([
      '10/04/1986', '10/04/1986', '1986', '2100', '01/10/1905', '31/12/2100', '73416', '2011995', '2958465', '05/03/1990', '1986.5', '31512.5', '31512',
    ]);
    expect(rows.flatMap((r) => r.errors)).toEqual([]);
  });

  it('reads a serial number pasted into a workbook of the 1904 date system (old Macintosh Excel) as the date it is there', async () => {
    // 30 050 days from 01/01/1904 is 10/04/1986 (31 512 from 30/12/1899); a date cell is read as exceljs reads it.
    const file = await returned('dates-1904', (ws) => {
      (ws.workbook.properties as { date1904?: boolean }).date1904 = true;
      ws.getCell(FIRST, 11).value = 30_050;
      ws.getCell(FIRST + 1, 11).value = new Date(Date.UTC(1986, 3, 10));
    });
    expect((await rowsOf(file)).map((r) => r.dob)).toEqual(['10/04/1986', '10/04/1986']);
  });

  it('reads a date cell as the date it shows, and refuses one whose format shows the month first where its day could be a month', async () => {
    // A clerk's 10/07/1964 (10 July) in a spreadsheet under English (USA) settings: stored as 7 October, shown
    // `10/07/64` with LibreOffice's `mm/dd/yy`. Format 14 is Excel's short date, shown in the computer's order
    // (exceljs names it mm-dd-yy, and writes that as 14). A day over 12, or equal to the month, reads one way only.
    const october7 = new Date(Date.UTC(1964, 9, 7));
    const cells: Array<[ExcelJS.CellValue, string]> = [
      [october7, 'mm/dd/yy'],
      [october7, 'm/d/yyyy'],
      [october7, 'mm-dd-yy'],
      [october7, 'mm\\/dd\\/yyyy;@'],
      [october7, '[$-409]m/d/yy h:mm AM/PM'],
      [october7, '[Red]mm/dd/yy'],
      [october7, '"Ngày sinh: "mm/dd/yyyy'],
      [{ formula: 'DATE(1964,10,7)', result: october7 }, 'm/d/yyyy'],
      [new Date(Date.UTC(1964, 6, 25)), 'mm/dd/yy'],
      [new Date(Date.UTC(1964, 6, 7)), 'mm/dd/yy'],
      [new Date(Date.UTC(1964, 6, 12)), 'm/d/yyyy'],
      [new Date(Date.UTC(1964, 6, 13)), 'm/d/yyyy'],
      [october7, 'dd/mm/yyyy'],
      [october7, 'd/m/yy'],
      [october7, 'dd\\/mm\\/yyyy;@'],
      [october7, 'yyyy-mm-dd'],
      [october7, 'd-mmm-yy'],
      [october7, '[$-F800]dddd, mmmm dd, yyyy'],
      [october7, 'mmm d, yyyy'],
      [october7, 'dd/mm'],
      [october7, 'h:mm dd/mm/yyyy'],
      [october7, 'mm:ss dd/mm/yyyy'],
      [october7, '"Ngày "d" tháng "m" năm "yyyy'],
    ];
    const file = await returned('date-formats', (ws) => {
      cells.forEach(([v, numFmt], i) => {
        ws.getCell(FIRST + i, 2).value = `07900000${10 + i}`;
        const c = ws.getCell(FIRST + i, 11);
        c.value = v;
        c.style = { ...c.style, numFmt }; // this cell only: the column's cells share one style object
      });
    });
    const rows = (await rowsOf(file)).slice(0, cells.length);
    const refused = 'ngày trong ô định dạng tháng trước ngày (mm/dd/yy, hoặc ngày ngắn theo cài đặt máy tính), không rõ số nào là ngày, ' +
      'số nào là tháng (định dạng cột là Text rồi gõ lại dạng dd/mm/yyyy)';
    expect(rows.map((r) => [r.dob, r.dobProblem ?? null])).toEqual([
      // As shown, for the rejects file; Excel's short date (id 14) as a Vietnamese Excel shows it, day first.
      ['10/07/1964', refused],
      ['10/07/1964', refused],
      ['07/10/1964', refused],
      ...Array.from({ length: 5 }, () => ['10/07/1964', refused]),
      ['25/07/1964', null],
      ['07/07/1964', null],
      ['07/12/1964', refused],
      ['13/07/1964', null],
      ...Array.from({ length: 11 }, () => ['07/10/1964', null]),
    ]);
    // None of them is an Excel error value.
    expect(rows.every((r) => r.errors.length === 0)).toBe(true);
  });

  it('reads a year typed into a column (11) cell formatted as a date as the year, not as a day of 1905', async () => {
    // The clerk formatted (11) as a date (LibreOffice: Format Cells, Date) and typed `1986` for someone whose year of
    // birth alone is known: the cell holds the number 1986, shown 08/06/1905, which exceljs hands over as that Date.
    // A real date in such a cell is still a date; a whole number past 2100 is a date too (2101 is 01/10/1905).
    const cells: Array<[ExcelJS.CellValue, string]> = [
      [1986, 'dd/mm/yyyy'], [1964, 'mm/dd/yy'], [2100, 'dd/mm/yyyy'], [31512, 'dd/mm/yyyy'], [2101, 'dd/mm/yyyy'],
    ];
    const file = await returned('year-in-date-cell', (ws) => {
      cells.forEach(([v, numFmt], i) => {
        ws.getCell(FIRST + i, 2).value = `07900000${10 + i}`;
        const c = ws.getCell(FIRST + i, 11);
        c.value = v;
        c.style = { ...c.style, numFmt };
      });
    });
    const rows = (await rowsOf(file)).slice(0, cells.length);
    expect(rows.map((r) => [r.dob, r.dobProblem ?? null])).toEqual([
      ['1986', null], ['1964', null], ['2100', null], ['10/04/1986', null], ['01/10/1905', null],
    ]);
  });

  it('reads a birth date a formula gives (=DATE(…), a serial number or a date) as dd/mm/yyyy', async () => {
    const dobs: ExcelJS.CellValue[] = [
      { formula: 'DATE(1990,2,1)', result: 32905 },
      { formula: 'DATE(1986,4,10)', result: new Date(Date.UTC(1986, 3, 10)) },
      { formula: 'TEXT(1990,"0")', result: '1990' },
    ];
    const file = await returned('formula-dates', (ws) => {
      dobs.forEach((v, i) => {
        ws.getCell(FIRST + i, 2).value = `07900000${20 + i}`;
        ws.getCell(FIRST + i, 11).value = v;
      });
    });
    const rows = (await rowsOf(file)).slice(0, dobs.length);
    expect(rows.map((r) => r.dob)).toEqual(['01/02/1990', '10/04/1986', '1990']);
  });

  it('reads what else a clerk’s Excel may hold: a formula filled down, a link, TRUE, an error value', async () => {
    const file = await returned('cell-kinds', (ws) => {
      ws.getCell(`L${FIRST}`).value = { formula: 'IF(1,"Nữ")', result: 'Nữ', shareType: 'shared', ref: `L${FIRST}:L${FIRST + 1}` } as ExcelJS.CellValue;
      ws.getCell(`L${FIRST + 1}`).value = { sharedFormula: `L${FIRST}`, result: 'Nữ' } as ExcelJS.CellValue;
      // A name pasted from a web page or an e-mail arrives as a link: its text is the name.
      ws.getCell(`J${FIRST}`).value = { text: 'Nguyễn Văn Hưng', hyperlink: 'mailto:hung@example.vn' };
      ws.getCell(`J${FIRST + 1}`).value = { error: '#N/A' } as ExcelJS.CellValue;
      ws.getCell(`M${FIRST + 1}`).value = true;
    });
    const rows = (await rowsOf(file)).slice(0, 2);
    expect(rows.map((r) => [r.name, r.sex, r.number, r.errors])).toEqual([
      ['Nguyễn Văn Hưng', 'Nữ', '', []],
      ['', 'Nữ', 'true', ['(10) #N/A']],
    ]);
  });

  it('reads a name and a date typed with spaces around them without the spaces, and a person’s empty cells merged over the date column as empty', async () => {
    const file = await returned('spaces-merged', (ws) => {
      ws.getCell(`J${FIRST}`).value = '  Nguyễn Văn Hưng ';
      ws.getCell(`K${FIRST}`).value = ' 05/03/1990 ';
      ws.mergeCells(`J${FIRST + 1}:K${FIRST + 1}`);
    });
    const rows = (await rowsOf(file)).slice(0, 2);
    expect(rows.map((r) => [r.maSoBhxh, r.name, r.dob, r.errors])).toEqual([
      ['0790000001', 'Nguyễn Văn Hưng', '05/03/1990', []],
      ['0790000002', '', '', []],
    ]);
  });

  it('ends the table at the signature row also where the unit added a signer of its own (KẾ TOÁN TRƯỞNG) to it', async () => {
    const file = await returned('third-signer', (ws) => {
      // The blank row under the people, typed over with the three signers' titles.
      ws.getCell(`B${FIRST + 2}`).value = 'NGƯỜI LẬP BIỂU';
      ws.getCell(`G${FIRST + 2}`).value = 'KẾ TOÁN TRƯỞNG';
      ws.getCell(`K${FIRST + 2}`).value = 'THỦ TRƯỞNG ĐƠN VỊ';
    });
    expect((await rowsOf(file)).map((r) => [r.line, r.maSoBhxh])).toEqual([[FIRST, '0790000001'], [FIRST + 1, '0790000002']]);
  });

  it('refuses a file that is not an .xlsx workbook, a damaged one, and a list that is not a Mẫu 02', async () => {
    const csv = path.join(dir, 'mau02.xlsx.csv');
    await writeFile(csv, 'Stt,Mã số BHXH\n1,0790000001\n');
    await expect(openReturnedMau02(csv)).rejects.toThrow(`${csv} is not an .xlsx workbook; save the returned Mẫu 02 as "Excel Workbook (.xlsx)" and import it again`);
    const damaged = path.join(dir, 'damaged.xlsx');
    await writeFile(damaged, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
    await expect(openReturnedMau02(damaged)).rejects.toThrow(
      `${damaged} is not a readable .xlsx workbook (its zip structure is damaged or unusual): save the returned Mẫu 02 again from Excel and import it again`,
    );
    const mau01 = path.join(dir, 'mau01.xlsx');
    const w = ListFileWriter.open({ path: mau01, form: 'mau01', unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
    w.add([{ ...person(1), status: 'MATCHED', soDdcn: '079090000001', fields: [], detail: null }]);
    await w.close();
    // Its directory whole, its contents not: refused as damaged before the reader.
    const bytes = await readFile(mau01);
    bytes.fill(0x55, 60, 1200);
    const corrupt = path.join(dir, 'corrupt.xlsx');
    await writeFile(corrupt, bytes);
    await expect(openReturnedMau02(corrupt)).rejects.toThrow(`${corrupt} is not a readable .xlsx workbook (its zip structure is damaged or unusual)`);
    // A sound zip that holds no workbook: the reader finds no sheet in it.
    const empty = path.join(dir, 'empty.xlsx');
    await writeFile(empty, zipArchive([compressEntry('[Content_Types].xml', Buffer.from('không phải XML'))], new Date()));
    const e = (await openReturnedMau02(empty).catch((err: unknown) => err)) as Error;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`${empty} has no visible worksheet`);
    await expect(openReturnedMau02(mau01)).rejects.toThrow(
      `${mau01} is not a Mẫu số 02 (no "Mẫu số 02" and list title at the top of any visible sheet); import the list that \`ddcn lists\` wrote`,
    );
  });

  it('reads (10)–(13) typed with a leading apostrophe, which LibreOffice keeps in their Text cells, without it', async () => {
    // From Excel habit, `'` typed first to keep a value text: LibreOffice stores it in a cell formatted as Text (as
    // (10)–(13) are sent), or `’` once autocorrected. A name's own apostrophe, and a lone one, stay.
    const file = await returned('apostrophes', (ws) => {
      const [a, b] = [ws.getRow(FIRST), ws.getRow(FIRST + 1)];
      [a.getCell(10).value, a.getCell(11).value, a.getCell(12).value, a.getCell(13).value] = ["'Nguyễn Văn Mới", "'10/04/1986", '’Nữ', "'079090000123"];
      [b.getCell(10).value, b.getCell(11).value, b.getCell(12).value] = ["H'Hen Niê", '‘1986', "'"];
    });
    expect((await rowsOf(file)).map((r) => [r.name, r.dob, r.sex, r.number])).toEqual([
      ['Nguyễn Văn Mới', '10/04/1986', 'Nữ', '079090000123'],
      ["H'Hen Niê", '1986', "'", ''],
    ]);
  });

  it('reads a list on which the clerk set an autofilter on whole columns, as LibreOffice names it (_xlnm._FilterDatabase = $A:$N)', async () => {
    // LibreOffice: columns A–N selected by their headers, Data → AutoFilter, saved as .xlsx. The name is no cell per
    // row for exceljs; counted as 14 680 064 cells in named ranges, the whole list was refused.
    const filled = await returned('autofilter', (ws) => {
      ws.getCell(FIRST, 10).value = 'Nguyễn Văn Một';
    });
    const file = path.join(dir, 'autofilter-columns.xlsx');
    await writeFile(file, await withPart(await readFile(filled), path.join(dir, 'autofilter.scratch.xlsx'), 'xl/workbook.xml', (xml) =>
      xml.replace('</sheets>', `</sheets><definedNames><definedName function="false" hidden="true" localSheetId="0" name="_xlnm._FilterDatabase" vbProcedure="false">&apos;Mẫu 02&apos;!$A:$N</definedName></definedNames>`)));
    const rows = await rowsOf(file);
    expect(rows.map((r) => [r.maSoBhxh, r.name])).toEqual([['0790000001', 'Nguyễn Văn Một'], ['0790000002', '']]);
    // Set from the numbered row down to the sheet's last row (A14:N1048576), the filter's name is 14.7 million cells
    // exceljs would build (1.7 GB): refused, saying what the clerk did and how to undo it.
    const down = path.join(dir, 'autofilter-down.xlsx');
    await writeFile(down, await withPart(await readFile(filled), path.join(dir, 'autofilter.scratch.xlsx'), 'xl/workbook.xml', (xml) =>
      xml.replace('</sheets>', `</sheets><definedNames><definedName hidden="true" localSheetId="0" name="_xlnm._FilterDatabase">&apos;Mẫu 02&apos;!$A$14:$N$1048576</definedName></definedNames>`)));
    const err = await openReturnedMau02(down).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ReturnedFileError);
    expect((err as ReturnedFileError).message).toMatch(/ in named ranges .*\(an AutoFilter set down to the sheet's last row names such a range: turn the filter off, Data → AutoFilter, and save again\)$/);
    expect((err as ReturnedFileError).vi).toMatch(/ô trong vùng đặt tên\)\. Thường do bộ lọc \(AutoFilter\) đặt đến dòng cuối trang tính: tắt bộ lọc \(Dữ liệu → Lọc tự động \/ Data → AutoFilter\), lưu lại rồi gửi lại\.$/);
  });

  it('finds the Mẫu 02 behind a sheet the clerk put in front of it, and refuses an OpenDocument file as not .xlsx', async () => {
    const sent = await returned('moved', () => undefined);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(sent);
    const notes = wb.addWorksheet('Ghi chú');
    notes.getCell('A1').value = 'Danh sách đã kiểm tra ngày 05/06/2024';
    // exceljs orders the sheets by orderNo, which its types do not declare.
    const [form] = wb.worksheets as Array<ExcelJS.Worksheet & { orderNo: number }>;
    (notes as ExcelJS.Worksheet & { orderNo: number }).orderNo = 0;
    form!.orderNo = 1;
    const moved = path.join(dir, 'moved-behind.xlsx');
    await wb.xlsx.writeFile(moved);
    expect((await rowsOf(moved)).map((r) => r.maSoBhxh).filter(Boolean)).toEqual(['0790000001', '0790000002']);
    // LibreOffice's own format, renamed: a zip whose first entry names it.
    const ods = path.join(dir, 'tra-ve.xlsx');
    await writeFile(ods, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(26), Buffer.from('mimetypeapplication/vnd.oasis.opendocument.spreadsheet')]));
    await expect(openReturnedMau02(ods)).rejects.toThrow(`${ods} is not an .xlsx workbook; save the returned Mẫu 02 as "Excel Workbook (.xlsx)"`);
  });

  it('tells a workbook saved with a password, which is no zip, to have its password removed; an .xls is still no .xlsx', async () => {
    const write = async (name: string, bytes: Buffer) => {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      return file;
    };
    const password = async (file: string) => {
      const e = (await openReturnedMau02(file).catch((err: unknown) => err)) as ReturnedFileError;
      expect(e).toBeInstanceOf(ReturnedFileError);
      expect(e.message).toBe(
        `${file} is a workbook saved with a password (encrypted), which cannot be read: open it, remove the password, save it as "Excel Workbook (.xlsx)" and import it again`,
      );
      expect(e.vi).toBe('Tệp Excel có đặt mật khẩu (đã mã hoá) nên không đọc được. Mở tệp, bỏ mật khẩu, lưu lại dạng "Excel Workbook (.xlsx)" rồi gửi lại.');
    };
    const notXlsx = async (file: string) => {
      const e = (await openReturnedMau02(file).catch((err: unknown) => err)) as ReturnedFileError;
      expect(e).toBeInstanceOf(ReturnedFileError);
      expect(e.message).toBe(`${file} is not an .xlsx workbook; save the returned Mẫu 02 as "Excel Workbook (.xlsx)" and import it again`);
      expect(e.vi).toMatch(/^Tệp không phải dạng Excel \.xlsx \(tệp \.ods, \.xls hoặc \.csv đổi tên\?\)/);
    };
    // As Excel writes one: the streams past the directory's first sector, found through the FAT; in a large file,
    // the directory far in, its sectors' numbers in the FAT's second sector.
    const encrypted = ['Root Entry', '\u0006DataSpaces', 'Version', 'DataSpaceMap', 'EncryptionInfo', 'EncryptedPackage'];
    await password(await write('mat-khau.xlsx', compoundFile(encrypted)));
    await password(await write('mat-khau-v4.xlsx', compoundFile(encrypted, { shift: 12 })));
    await password(await write('mat-khau-lon.xlsx', compoundFile(encrypted, { at: 127 })));
    await password(await write('chi-goi.xlsx', compoundFile(['Root Entry', 'EncryptedPackage'])));
    // The directory's first 8 sectors are looked through, the last entry of each too (an encrypted workbook has a
    // dozen entries).
    const padded = (n: number) => ['Root Entry', ...Array.from({ length: n - 2 }, (_, i) => `s${i}`), 'EncryptionInfo'];
    await password(await write('tam.xlsx', compoundFile(padded(32))));
    await notXlsx(await write('chin.xls', compoundFile(padded(33))));
    const xls = ['Root Entry', 'Workbook', '\u0001CompObj', '\u0001Ole', '\u0005SummaryInformation', '\u0005DocumentSummaryInformation'];
    await notXlsx(await write('mau02.xls', compoundFile(xls)));
    // Damaged: a directory whose sectors loop, one past the file's end (past the FAT sectors the header lists), a
    // FAT sector missing, a file shorter than the header. Read no further.
    await notXlsx(await write('vong.xls', compoundFile(xls, { edit: (_h, fat) => fat.writeUInt32LE(1, 4 * 2) })));
    await notXlsx(await write('xa.xls', compoundFile(encrypted, { edit: (h) => h.writeUInt32LE(109 * 128, 0x30) })));
    await notXlsx(await write('thieu-fat.xls', compoundFile(encrypted, { edit: (h) => h.writeUInt32LE(50, 0x4c) })));
    await notXlsx(await write('ngan.xls', compoundFile(encrypted).subarray(0, 300)));
  });

  it('refuses a sheet whose unit line is empty, or whose columns are not numbered', async () => {
    // Empty as ddcn writes it on the list of people without a unit code: said as that list, and what to do instead.
    const noUnit = path.join(dir, 'no-unit.xlsx');
    const w = ListFileWriter.open({ path: noUnit, form: 'mau02', unit: { ...UNIT, maDonVi: null, tenDonVi: '', diaChi: '' }, issuedAt: '2024-06-03T01:30:00.000Z' });
    w.add([person(1)]);
    await w.close();
    await expect(openReturnedMau02(noUnit)).rejects.toThrow(
      `${noUnit} is the Mẫu 02 of people without a unit code ("Mã đơn vị:" empty, as ddcn lists writes it): it cannot be returned with corrections; give them their unit code in the participants file and import it again, then their unit's Mẫu 02 lists them`,
    );
    // A unit's own list whose code the clerk emptied (its name still there) is no such list: its code is missing,
    // and the clerk is not to be told that the unit's list goes to no unit.
    const emptied = await returned('code-emptied', (ws) => void (cellWith(ws, /^Mã đơn vị/).value = 'Mã đơn vị: '));
    await expect(openReturnedMau02(emptied)).rejects.toThrow(`${emptied}: the "Mã đơn vị:" line above the table is missing or empty`);
    // Taken out by hand: the line is missing.
    const lineGone = await returned('line-gone', (ws) => void (cellWith(ws, /^Mã đơn vị/).value = null));
    await expect(openReturnedMau02(lineGone)).rejects.toThrow(`${lineGone}: the "Mã đơn vị:" line above the table is missing or empty`);
    const unnumbered = await returned('unnumbered', (ws) => ws.getRow(FIRST - 1).eachCell((c) => void (c.value = null)));
    await expect(openReturnedMau02(unnumbered)).rejects.toThrow(`${unnumbered}: no row numbering the columns (1) … (14) above the table`);
  });

  it('reads on a thread of its own: a workbook that needs more memory or time than given is refused with what to do, and the next one reads', async () => {
    const sent = path.join(dir, 'five-thousand.xlsx');
    const w = ListFileWriter.open({ path: sent, form: 'mau02', unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
    w.add(Array.from({ length: 5000 }, (_, i) => ({ ...person(i), maSoBhxh: String(790_000_000 + i).padStart(10, '0') })));
    await w.close();
    // 5 000 people need a heap of 48 MB at the least (scripts/bench-read-workbooks.ts).
    const memory = (await openReturnedMau02(sent, { heapMb: 24 }).catch((err: unknown) => err)) as ReturnedFileError;
    expect(memory).toBeInstanceOf(ReturnedFileError);
    expect(memory.message).toBe(
      `${sent} needs more than 24 MB of memory to read (a Mẫu 02 as ddcn writes it needs a small part of that): copy the list into ` +
        'the Mẫu 02 the office sent, without other sheets, pictures or formatting added, and import it again',
    );
    expect(memory.vi).toMatch(/^Tệp Excel quá nặng để đọc \(cần quá nhiều bộ nhớ hoặc thời gian\)\./);
    await expect(openReturnedMau02(sent, { timeoutMs: 1 })).rejects.toThrow(`${sent} took more than 0.001 s to read (a Mẫu 02 as ddcn writes it`);
    // This process is unharmed, and a thread that met a limit is not the one that reads next.
    const rows = await rowsOf(sent);
    expect(rows.filter((r) => r.maSoBhxh !== '')).toHaveLength(5000);
    expect(rows[4999]).toMatchObject({ line: FIRST + 4999, maSoBhxh: '0790004999', shown: expect.arrayContaining(['Nguyễn Văn 4999']) as unknown });
  });

  it('refuses a workbook whose one long text is shown in many cells, before the main thread takes it in', async () => {
    // A shared string is in the workbook once however many cells show it: 60 people × 13 cells of one 200 000-letter
    // text unpack to 0.2 MB and read, each cell kept to 4 096 characters at most, as 2 MB of text (a 29 KB file of
    // this kind took a portal to 13.7 GB in review, before cells were cut and the result bounded).
    const long = 'a'.repeat(200_000);
    const file = await returned('one-text-everywhere', (ws) => {
      for (let r = FIRST; r < FIRST + 60; r++) for (const c of [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]) ws.getCell(r, c).value = long;
      for (let r = FIRST + 2; r < FIRST + 60; r++) ws.getCell(r, 2).value = String(790_000_000 + r).padStart(10, '0');
    });
    const heap = process.memoryUsage().heapUsed;
    const e = (await openReturnedMau02(file, { unpackedBytes: 4 * 1024 * 1024 }).catch((err: unknown) => err)) as ReturnedFileError;
    expect(e).toBeInstanceOf(ReturnedFileError);
    expect(e.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds more than \\d+ KB of text once read, twice what it unpacks to \\(a long text repeated in many cells\\?\\) \\(a Mẫu 02 as ddcn writes it needs a small part of that\\): copy the list`),
    );
    expect(e.vi).toBe('Tệp có nội dung rất dài lặp lại ở nhiều ô (khi đọc ra lớn hơn gấp đôi tệp). Chép danh sách sang Mẫu số 02 đã nhận, chỉ điền cột (10)–(13), rồi gửi lại.');
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(30 * 1024 * 1024);
    // The CLI's limits are the same: twice what the file unpacks to, whatever its limit.
    await expect(rowsOf(file)).rejects.toThrow('of text once read, twice what it unpacks to');
  });

  it('reads a value followed by thousands of spaces as the value, and a cell of spaces as empty; keeps a long one over its limit', async () => {
    const file = await returned('spaces', (ws) => {
      ws.getCell(`J${FIRST}`).value = `Nguyễn Văn Hưng${' '.repeat(5000)}`;
      ws.getCell(`K${FIRST}`).value = '\u00a0'.repeat(5000);
      ws.getCell(`J${FIRST + 1}`).value = 'Đỗ Văn Bốn'.repeat(4000);
      // Past twice the cell limit, text after the spaces is no less part of the cell: never trimmed away.
      ws.getCell(`M${FIRST}`).value = `079192000006${' '.repeat(9000)}079192000007`;
      ws.getCell(`M${FIRST + 1}`).value = `${' '.repeat(9000)}079192000007`;
      // Cut where a character takes two UTF-16 units: both kept.
      ws.getCell(`L${FIRST}`).value = `${'N'.repeat(10)}😀`;
    });
    const [first, second] = await rowsOf(file);
    expect([first!.name, first!.dob]).toEqual(['Nguyễn Văn Hưng', '']);
    // Kept to its limit and one more character: refused as too long, at a few hundred bytes whatever it held.
    expect(second!.name).toHaveLength(101);
    expect(second!.name.startsWith('Đỗ Văn BốnĐỗ Văn Bốn')).toBe(true);
    expect([first!.number.length, second!.number.length]).toEqual([21, 21]);
    expect([first!.number.slice(0, 12), second!.number.trim()]).toEqual(['079192000006', '']);
    expect(first!.sex).toBe(`${'N'.repeat(10)}😀`);
  });

  it('reuses its reading thread without piling up listeners on it', async () => {
    const file = await returned('again-and-again', () => undefined);
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 15; i++) expect((await rowsOf(file)).filter((r) => r.maSoBhxh !== '')).toHaveLength(2);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('says why a path cannot be read: missing, a folder, a workbook without sheets', async () => {
    const missing = path.join(dir, 'missing.xlsx');
    const e = await openReturnedMau02(missing).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe(`cannot open ${missing}: no such file (check the path) [ENOENT]`);
    const folder = path.join(dir, 'a-folder.xlsx');
    await mkdir(folder);
    await expect(openReturnedMau02(folder)).rejects.toThrow(`cannot open ${folder}: it is a folder, not a file [EISDIR]`);
    const empty = path.join(dir, 'no-sheets.xlsx');
    await new ExcelJS.Workbook().xlsx.writeFile(empty);
    await expect(openReturnedMau02(empty)).rejects.toThrow(`${empty} has no visible worksheet`);
  });
});
