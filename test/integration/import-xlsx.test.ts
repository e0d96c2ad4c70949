// xlsx input as offices make it: a hidden helper sheet first, merged unit cells, formulas, date cells, and a
// workbook that unpacks to a huge cell.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { PARTICIPANT_COLUMNS } from '../../src/pipeline/participant-row.js';
import { errorsOf, firstVisibleSheetPart, readSmallInThread, uncomputedFormulas } from '../../src/pipeline/read-table.js';
import { compressEntry, zipArchive } from '../../src/reports/xlsx/zip.js';
import { databasePerFile, deps, rows, useTempDir } from '../helpers/pipeline.js';
import { withPart } from '../helpers/zip-parts.js';

const database = databasePerFile();

describe('import participants from .xlsx', () => {
  it('reads the first visible sheet, merged cells from their top-left cell, formula results and date cells as dates', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const hidden = wb.addWorksheet('tra cuu');
    hidden.state = 'hidden';
    hidden.addRow([...PARTICIPANT_COLUMNS]);
    hidden.addRow(['0999999999', 'Không Được Đọc', '01/01/1990', 'Nam', '', 'XX', '', '', '01', '', '', '']);
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    const people = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung', 'Hoàng Văn Em'];
    people.forEach((name, i) => ws.addRow([`010000000${i + 1}`, name, '05/03/1990', 'Nam', '', i === 0 ? 'TA0001A' : null, 'Cty A', 'Hà Nội', i === 0 ? '01' : null, '', '', '']));
    ws.mergeCells('F2:F6'); // ma_don_vi
    ws.mergeCells('I2:I6'); // ma_tinh
    // Row 3: the date of birth is a formula, as Excel stores it: the cached result is the serial, formatted as a date.
    ws.getCell('C3').value = { formula: 'DATE(1990,2,1)', result: 32905 } as ExcelJS.CellFormulaValue;
    ws.getCell('C3').numFmt = 'dd/mm/yyyy';
    // Row 4: a real date cell.
    ws.getCell('C4').value = new Date(Date.UTC(1985, 11, 31));
    ws.getCell('C4').numFmt = 'dd/mm/yyyy';
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);

    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ inserted: 5, rejected: 0 });
    const got = await rows<{ ma_so_bhxh: string; ma_don_vi: string; ma_tinh: string; ngay_sinh: string }>(
      db, 'SELECT ma_so_bhxh, ma_don_vi, ma_tinh, ngay_sinh FROM participant ORDER BY ma_so_bhxh');
    expect(got.map((p) => [p.ma_don_vi, p.ma_tinh])).toEqual(Array(5).fill(['TA0001A', '01']));
    expect(got.map((p) => p.ngay_sinh)).toEqual(['1990-03-05', '1990-02-01', '1985-12-31', '1990-03-05', '1990-03-05']);
  });

  it('reads a number formatted with zeros (0000000000) as the sheet shows it: a key, a CMND and office codes keep their leading zeros', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    // As old exports kept codes: numbers, shown with their zeros by a custom format. Row 3: no such format, a key
    // whose zero is lost for good (still rejected); row 4: a format of fewer zeros than the number's digits.
    const formats: Record<number, string> = { 1: '0000000000', 5: '000000000', 9: '00', 10: '000' };
    for (const [i, key] of [100000001, 100000002, 1000000003, 100000004, 100000005].entries()) {
      const row = ws.addRow([key, `Nguyễn Văn Số ${i}`, '05/03/1990', 'Nam', 12345678, 'TA0001A', 'Cty A', 'Hà Nội', 1, 1, '', '']);
      if (i !== 1) for (const [c, f] of Object.entries(formats)) row.getCell(Number(c)).numFmt = i === 2 ? '00' : f;
    }
    // Row 5: a CMND (lost zero: 8 digits) in a column formatted for 12-digit CCCDs is not made 000012345678; row 6:
    // a CCCD of province 001 with both zeros shown.
    ws.getCell('E5').numFmt = '000000000000';
    ws.getCell('E6').value = 1090012345;
    ws.getCell('E6').numFmt = '000000000000';
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);

    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ inserted: 4, rejected: 1 });
    expect(await rows(db, 'SELECT ma_so_bhxh, so_giay_to, ma_tinh, ma_huyen, findings FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '012345678', ma_tinh: '01', ma_huyen: '001', findings: [] },
      { ma_so_bhxh: '0100000004', so_giay_to: '012345678', ma_tinh: '01', ma_huyen: '001', findings: [{ field: 'id_number', code: 'repaired', value: '12345678' }] },
      { ma_so_bhxh: '0100000005', so_giay_to: '001090012345', ma_tinh: '01', ma_huyen: '001', findings: [] },
      { ma_so_bhxh: '1000000003', so_giay_to: '012345678', ma_tinh: '01', ma_huyen: '001', findings: [{ field: 'id_number', code: 'repaired', value: '12345678' }] },
    ]);
    const [, rejected] = (await readFile(result.rejectsFile, 'utf8')).trim().split('\n');
    expect(rejected).toMatch(/^3,ma_so_bhxh has 9 digits/);
  });

  it('streams a large workbook (over 24 MB unpacked) from its first visible sheet, not from a hidden one before it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'large.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: true });
    const old = wb.addWorksheet('cu', { state: 'hidden' });
    old.addRow([...PARTICIPANT_COLUMNS]).commit();
    old.addRow(['0999999999', 'Không Được Đọc', '01/01/1990', 'Nam', '', 'XX', '', '', '01', '', '', '']).commit();
    old.commit();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]).commit();
    const n = 30_000;
    for (let i = 1; i <= n; i++) {
      // An address long enough that the sheet unpacks past the limit of a workbook read whole; keys as numbers
      // shown with their zeros, as the streamed reader must read them too.
      // Row 1 001: a lookup that failed (#N/A), refused rather than read as no name.
      const name = i === 1000 ? { formula: 'VLOOKUP(A1001,X!A:B,2,0)', result: { error: '#N/A' } } : `Nguyen Van ${(i * 7919).toString(36)}`;
      const row = ws.addRow([100_000_000 + i, name, '1990', 'Nam', '', 'TA0001A', 'Cty A', `${(i * 31).toString(36)} `.repeat(150), '01', '', '', '']);
      row.getCell(1).numFmt = '0000000000';
      // Rows 3 and 4: a date of birth a formula gives, its cached result a serial number or a date, formatted as a date.
      if (i === 2 || i === 3) {
        row.getCell(3).value = { formula: i === 2 ? 'DATE(1990,2,1)' : 'DATE(1985,12,31)', result: i === 2 ? 32905 : new Date(Date.UTC(1985, 11, 31)) } as ExcelJS.CellFormulaValue;
        row.getCell(3).numFmt = 'dd/mm/yyyy';
      }
      // Row 5: a date LibreOffice under English (USA) settings made of `02/07/1987` (7 February, shown mm/dd/yy):
      // refused, which number is the day cannot be known.
      if (i === 4) {
        row.getCell(3).value = new Date(Date.UTC(1987, 1, 7));
        row.getCell(3).numFmt = 'mm/dd/yy';
      }
      row.commit();
    }
    // Below the data, rows that only read as empty, as in a workbook read whole: a formula filled down that gives "",
    // and cells of spaces. No record, no reject.
    ws.addRow(PARTICIPANT_COLUMNS.map(() => ({ formula: 'IF(X1="","",X1)', result: '' }))).commit();
    ws.addRow(PARTICIPANT_COLUMNS.map(() => '  ')).commit();
    ws.commit();
    await wb.commit();

    const result = await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'));
    expect(result).toMatchObject({ rowsRead: n, inserted: n - 2, rejected: 2 });
    expect(await rows(db, 'SELECT count(*)::int AS n, min(ma_so_bhxh) AS first FROM participant')).toEqual([{ n: n - 2, first: '0100000001' }]);
    expect(await rows(db, "SELECT ma_so_bhxh, ngay_sinh, jsonb_path_query_array(findings, '$[*] ? (@.field == \"dob\")') AS dob FROM participant WHERE ma_so_bhxh <= '0100000004' ORDER BY 1")).toEqual([
      { ma_so_bhxh: '0100000001', ngay_sinh: '1990', dob: [] },
      { ma_so_bhxh: '0100000002', ngay_sinh: '1990-02-01', dob: [] },
      { ma_so_bhxh: '0100000003', ngay_sinh: '1985-12-31', dob: [] },
    ]);
    const [, monthFirst, rejected] = (await readFile(path.join(dir, 'rejects.csv'), 'utf8')).trim().split('\n');
    expect(monthFirst).toMatch(/^5,"column ngay_sinh: a date in a cell formatted month first \(mm\/dd\/yy, .*: which number is the day and which the month cannot be known; .*",0100000004,Nguyen Van [0-9a-z]+,02\/07\/1987,Nam,/);
    expect(rejected).toMatch(/^1001,column ho_ten: the cell shows the error #N\/A \(a formula that failed\): correct it in the sheet and import again,0100001000,/);
  }, 60_000);

  it('streams a workbook kept in the 1904 date system (old Macintosh Excel): a formula\'s date and a date cell count from 1904', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const written = path.join(dir, 'written.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: written, useSharedStrings: false, useStyles: true });
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]).commit();
    for (let i = 1; i <= 30_000; i++) {
      const row = ws.addRow([`01${String(i).padStart(8, '0')}`, `Nguyen Van ${i}`, '1990', 'Nam', '', 'TA0001A', 'Cty A', `${(i * 31).toString(36)} `.repeat(150), '01', '', '', '']);
      // 31 443 and 31 444 days from 01/01/1904: 01/02/1990 and 02/02/1990 (32 905 and 32 906 from 1900).
      if (i === 1) row.getCell(3).value = { formula: 'DATE(1990,2,1)', result: 31_443 } as ExcelJS.CellFormulaValue;
      if (i === 2) row.getCell(3).value = 31_444;
      if (i <= 2) row.getCell(3).numFmt = 'dd/mm/yyyy';
      row.commit();
    }
    ws.commit();
    await wb.commit();
    // exceljs's stream writer does not write the workbook's date system: set as Excel for Mac sets it.
    const file = path.join(dir, 'mac.xlsx');
    await writeFile(file, await withPart(await readFile(written), path.join(dir, 'scratch.xlsx'), 'xl/workbook.xml', (xml) => xml.replace('<workbookPr ', '<workbookPr date1904="1" ')));
    await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'));
    expect(await rows(db, "SELECT ma_so_bhxh, ngay_sinh FROM participant WHERE ma_so_bhxh <= '0100000003' ORDER BY 1")).toEqual([
      { ma_so_bhxh: '0100000001', ngay_sinh: '1990-02-01' },
      { ma_so_bhxh: '0100000002', ngay_sinh: '1990-02-02' },
      { ma_so_bhxh: '0100000003', ngay_sinh: '1990' },
    ]);
  }, 60_000);

  it('finds the first visible tab of a workbook, whatever the numbers of its sheet parts', () => {
    const book = (tabs: string) => `<workbook xmlns:r="r"><sheets>${tabs}</sheets></workbook>`;
    const rels =
      '<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>' +
      '<Relationship Id="rId2" Type="x/worksheet" Target="/xl/worksheets/sheet2.xml"/><Relationship Id="rId3" Target="styles.xml"/></Relationships>';
    // Tabs moved: the second part is the first tab.
    expect(firstVisibleSheetPart(book('<sheet name="b" sheetId="2" r:id="rId2"/><sheet name="a" sheetId="1" r:id="rId1"/>'), rels)).toBe(2);
    expect(firstVisibleSheetPart(book('<sheet name="a" sheetId="1" state="veryHidden" r:id="rId1"/><sheet name="b" sheetId="2" r:id="rId2"/>'), rels)).toBe(2);
    expect(firstVisibleSheetPart(book('<sheet name="a" sheetId="1" state="hidden" r:id="rId1"/>'), rels)).toBe('none');
    expect(firstVisibleSheetPart(book('<sheet name="a" sheetId="1" r:id="rId3"/>'), rels)).toBeNull();
    expect(firstVisibleSheetPart(undefined, rels)).toBeNull();
  });

  it('refuses a workbook whose formulas were never computed (written by a program that does not calculate), leaving the names on file', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const write = async (name: (i: number) => ExcelJS.CellValue) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Danh sach');
      ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to', 'ho', 'ten']);
      for (let i = 1; i <= 3; i++) ws.addRow([`010000000${i}`, name(i), '1990', 'Nam', '', 'Nguyễn Văn', `Số ${i}`]);
      const file = path.join(dir, 'people.xlsx');
      await wb.xlsx.writeFile(file);
      return file;
    };
    await importParticipants(deps(db), await write((i) => ({ formula: `F${i + 1}&" "&G${i + 1}`, result: `Nguyễn Văn Số ${i}` }) as ExcelJS.CellFormulaValue));
    // The same sheet as a script's library writes it: the formulas alone. Read as empty, every name went.
    const file = await write((i) => ({ formula: `F${i + 1}&" "&G${i + 1}` }) as ExcelJS.CellFormulaValue);
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${file}: 3 formula cells (the first at B2) have no computed value: the workbook was written by a program that does not calculate. ` +
        'Open it in Excel or LibreOffice, save it, and import it again; nothing was imported',
    );
    expect(await rows(db, 'SELECT ho_ten FROM participant ORDER BY 1')).toEqual([1, 2, 3].map((i) => ({ ho_ten: `Nguyễn Văn Số ${i}` })));
  });

  it('refuses a row whose cell shows an error (#N/A, #REF!), as a value or a formula\'s result, rather than read it as empty', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to']);
    ws.addRow(['0100000001', 'Nguyễn Văn An', '1990', 'Nam', '']);
    ws.addRow(['0100000002', 'Trần Thị Bình', '1991', 'Nữ', '']);
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);
    await importParticipants(deps(db), file);
    ws.getCell('B2').value = { formula: 'VLOOKUP(A2,X!A:B,2,0)', result: { error: '#N/A' } } as ExcelJS.CellFormulaValue;
    ws.getCell('B3').value = { error: '#REF!' } as ExcelJS.CellErrorValue;
    await wb.xlsx.writeFile(file);
    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ updated: 0, rejected: 2 });
    const [, ...rejected] = (await readFile(result.rejectsFile, 'utf8')).trim().split('\n');
    expect(rejected.map((l) => l.split(',').slice(0, 2))).toEqual([
      ['2', 'column ho_ten: the cell shows the error #N/A (a formula that failed): correct it in the sheet and import again'],
      ['3', 'column ho_ten: the cell shows the error #REF! (a formula that failed): correct it in the sheet and import again'],
    ]);
    expect(await rows(db, 'SELECT ho_ten FROM participant ORDER BY 1')).toEqual([{ ho_ten: 'Nguyễn Văn An' }, { ho_ten: 'Trần Thị Bình' }]);
  });

  it('refuses a date shown month first (mm/dd/yy, LibreOffice under English (USA) settings) whose day could be its month, keeping the date on file', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to']);
    const people = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung', 'Hoàng Văn Em', 'Đỗ Thị Phương'];
    const dates = ['02/07/1987', '13/05/1990', '25/12/1990', '03/03/1991', '31/12/1985', '02/07/1987'];
    people.forEach((name, i) => ws.addRow([`010000000${i + 1}`, name, dates[i], i % 2 ? 'Nữ' : 'Nam', '']));
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);
    await importParticipants(deps(db), file);
    // The office opens its file in LibreOffice Calc set to English (USA) and types the dates again, or opens the CSV
    // export there: `02/07/1987` becomes 7 February, saved as a date cell formatted `mm/dd/yy` (what LibreOffice
    // 7.4 writes, numFmt 166); `13/05/1990` is no date there and stays text.
    const cell = (ref: string, d: Date, numFmt: string) => {
      ws.getCell(ref).value = d;
      ws.getCell(ref).numFmt = numFmt;
    };
    cell('C2', new Date(Date.UTC(1987, 1, 7)), 'mm/dd/yy'); // 2 July typed, 7 February held: refused
    cell('C4', new Date(Date.UTC(1990, 11, 25)), 'mm/dd/yy'); // a day over 12 reads one way only
    cell('C5', new Date(Date.UTC(1991, 2, 3)), 'mm/dd/yy'); // day and month the same
    cell('C6', new Date(Date.UTC(1985, 11, 31)), 'mm-dd-yy'); // Excel's built-in short date (14), as a Vietnamese Excel saves it
    cell('C7', new Date(Date.UTC(1987, 6, 2)), 'dd/mm/yy'); // LibreOffice under Vietnamese settings
    await wb.xlsx.writeFile(file);
    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: 6, rejected: 1 });
    const [, ...rejected] = (await readFile(result.rejectsFile, 'utf8')).trim().split('\n');
    expect(rejected).toEqual([
      '2,"column ngay_sinh: a date in a cell formatted month first (mm/dd/yy, as LibreOffice or Excel under English (USA) settings saves a date typed or opened from a CSV) ' +
        'whose day is 12 or less: which number is the day and which the month cannot be known; format the column as dd/mm/yyyy (Format Cells) and check that ' +
        'the dates show as meant, or format it as Text and type the dates as dd/mm/yyyy, then import again",' +
        '0100000001,Nguyễn Văn An,02/07/1987,Nam,',
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh, ngay_sinh FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', ngay_sinh: '1987-07-02' },
      { ma_so_bhxh: '0100000002', ngay_sinh: '1990-05-13' },
      { ma_so_bhxh: '0100000003', ngay_sinh: '1990-12-25' },
      { ma_so_bhxh: '0100000004', ngay_sinh: '1991-03-03' },
      { ma_so_bhxh: '0100000005', ngay_sinh: '1985-12-31' },
      { ma_so_bhxh: '0100000006', ngay_sinh: '1987-07-02' },
    ]);
  });

  it('reads a year typed into a column formatted as a date as that year, not as a day of 1905', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to']);
    ws.addRow(['0100000001', 'Trần Đức Minh', 1975, 'Nam', '']);
    ws.addRow(['0100000002', 'Lê Thị Hoa', 1990, 'Nữ', '']);
    ws.addRow(['0100000003', 'Phạm Văn Nam', new Date(Date.UTC(1987, 6, 2)), 'Nam', '']);
    // The office formatted the column dd/mm/yyyy (or mm/dd/yy, LibreOffice under English (USA) settings): the years
    // typed for people whose year of birth alone is known are the numbers 1975 and 1990, shown 28/05/1905, 12/06/1905.
    ws.getCell('C2').numFmt = 'dd/mm/yyyy';
    ws.getCell('C3').numFmt = 'mm/dd/yy';
    ws.getCell('C4').numFmt = 'dd/mm/yyyy';
    const file = path.join(dir, 'years.xlsx');
    await wb.xlsx.writeFile(file);
    expect(await importParticipants(deps(db), file)).toMatchObject({ inserted: 3, rejected: 0 });
    expect(await rows(db, "SELECT ma_so_bhxh, ngay_sinh, jsonb_path_query_array(findings, '$[*] ? (@.field == \"dob\")') AS dob FROM participant ORDER BY 1")).toEqual([
      { ma_so_bhxh: '0100000001', ngay_sinh: '1975', dob: [] },
      { ma_so_bhxh: '0100000002', ngay_sinh: '1990', dob: [] },
      { ma_so_bhxh: '0100000003', ngay_sinh: '1987-07-02', dob: [] },
    ]);
  });

  it('reads a code typed with a leading apostrophe into a Text cell, which LibreOffice keeps as part of the text, without it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    // The office formatted its code columns as Text (LibreOffice), and typed `'` first from Excel habit: LibreOffice
    // stores `'0100000002`, `'079` as the cells' text (autocorrected, `’`). A name's own apostrophe stays.
    ws.addRow(["'0100000001", "H'Hen Niê", '05/03/1990', 'Nữ', "'079190000001", "'TA0001A", 'Cty A', 'Hà Nội', "'079", "'760", '', '']);
    ws.addRow(['’0100000002', 'Nguyễn Văn An', '05/03/1990', 'Nam', '', 'TA0001A', 'Cty A', 'Hà Nội', '’079', '760', '', '']);
    for (const c of [1, 5, 6, 9, 10]) ws.getColumn(c).numFmt = '@';
    const file = path.join(dir, 'apostrophes.xlsx');
    await wb.xlsx.writeFile(file);
    expect(await importParticipants(deps(db), file)).toMatchObject({ inserted: 2, rejected: 0 });
    expect(await rows(db, 'SELECT ma_so_bhxh, ho_ten, so_giay_to, ma_don_vi, ma_tinh, ma_huyen FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', ho_ten: "H'Hen Niê", so_giay_to: '079190000001', ma_don_vi: 'TA0001A', ma_tinh: '079', ma_huyen: '760' },
      { ma_so_bhxh: '0100000002', ho_ten: 'Nguyễn Văn An', so_giay_to: null, ma_don_vi: 'TA0001A', ma_tinh: '079', ma_huyen: '760' },
    ]);
  });

  it('rejects a row whose every cell shows an error (a lookup that failed across the row, the key too), rather than pass it over as empty', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to']);
    ws.addRow(['0100000001', 'Nguyễn Văn An', '1990', 'Nam', '']);
    const lookup = (row: number, col: number) => ({ formula: `VLOOKUP($X${row},Nguon!A:E,${col},0)`, result: { error: '#N/A' } }) as ExcelJS.CellFormulaValue;
    ws.addRow([1, 2, 3, 4, 5].map((c) => lookup(3, c)));
    ws.addRow([lookup(4, 1)]);
    ws.addRow(['0100000005', 'Trần Thị Bình', '1991', 'Nữ', '']);
    ws.addRow(['', '', '', '', '', { formula: 'X6', result: { error: '#N/A' } }]); // a helper column beside the table: no one's row
    const file = path.join(dir, 'people.xlsx');
    await wb.xlsx.writeFile(file);
    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: 4, inserted: 2, rejected: 2 });
    const [, ...rejected] = (await readFile(result.rejectsFile, 'utf8')).trim().split('\n');
    expect(rejected.map((l) => l.split(',').slice(0, 2))).toEqual([
      ['3', 'column ma_so_bhxh: the cell shows the error #N/A (a formula that failed): correct it in the sheet and import again'],
      ['4', 'column ma_so_bhxh: the cell shows the error #N/A (a formula that failed): correct it in the sheet and import again'],
    ]);
  });

  it('finds the cells showing an error in a sheet written indented as in one written as Excel writes it', () => {
    const xml = (cells: string) => Buffer.from(`<worksheet><sheetData><row r="2">${cells}</row></sheetData></worksheet>`);
    expect(errorsOf(xml('<c r="B2" t="e"><f>VLOOKUP(A2,X,2,0)</f><v>#N/A</v></c><c r="C2" t="e"><v>#REF!</v></c><c r="D2"><v>1</v></c>'))).toEqual(
      new Map([['B2', '#N/A'], ['C2', '#REF!']]),
    );
    expect(errorsOf(xml('\n  <c r="B2" t="e">\n    <f>VLOOKUP(A2,X,2,0)</f>\n    <v>#N/A</v>\n  </c>\n  <c r="C2" t="e">\n    <v>#REF!</v>\n  </c>'))).toEqual(
      new Map([['B2', '#N/A'], ['C2', '#REF!']]),
    );
  });

  it('tells a formula never computed from one Excel computed to an empty text', () => {
    const xml = (cells: string) => Buffer.from(`<worksheet><sheetData><row r="2">${cells}</row></sheetData></worksheet>`);
    expect(uncomputedFormulas(xml('<c r="B2" t="str"><f>IF(A2="","",A2)</f><v></v></c><c r="C2"><f>1+1</f><v>2</v></c>'))).toBeNull();
    expect(uncomputedFormulas(xml('<c r="B2"><f>A2</f></c><c r="C2" s="1"><f t="shared" si="0"/></c><c r="D2"><v>1</v></c>'))).toEqual({ count: 2, first: 'B2' });
  });

  it('rejects, with the column, a row whose number was typed into a cell formatted as a date, and imports the others', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    for (let i = 1; i <= 3; i++) ws.addRow([`010000000${i}`, 'Nguyễn Văn An', '05/03/1990', 'Nam', '001090000001', 'TA0001A', 'Cty A', 'Hà Nội', '01', '', '', '']);
    // Row 3: a CCCD typed as a number into a date-formatted cell, too large to be a date (exceljs: Invalid Date).
    ws.getCell('E3').value = 79179018501;
    ws.getCell('E3').numFmt = 'dd/mm/yyyy';
    const file = path.join(dir, 'dates.xlsx');
    await wb.xlsx.writeFile(file);
    const rejectsFile = path.join(dir, 'loai', 'hom-nay', 'rejects.csv'); // its folders are made
    expect(await importParticipants(deps(db), file, rejectsFile)).toMatchObject({ inserted: 2, rejected: 1 });
    const rejects = await readFile(rejectsFile, 'utf8');
    expect(rejects.startsWith('\uFEFFline,reason,ma_so_bhxh,')).toBe(true); // a byte-order mark: Excel reads it as UTF-8
    expect(rejects).toContain('3,"column so_giay_to: a number in a cell formatted as a date, too large to be one: format the column as Text and type the value again"');
    expect(await rows(db, 'SELECT ma_so_bhxh FROM participant ORDER BY 1')).toEqual([{ ma_so_bhxh: '0100000001' }, { ma_so_bhxh: '0100000003' }]);
  });

  it('refuses a workbook whose merged range or far column would make the reader build cells by the million', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Người tham gia');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    ws.addRow(['0100000001', 'Nguyễn Văn An', '05/03/1990', 'Nam', '001090000001', 'DV0010001', '', '', '001', '', '', '']);
    const plain = Buffer.from(await wb.xlsx.writeBuffer());
    const file = path.join(dir, 'wide.xlsx');
    for (const extra of ['<mergeCells count="1"><mergeCell ref="A3:Z200000"/></mergeCells>', '<dataValidations count="1"><dataValidation type="list" sqref="D2:D1048576"><formula1>"Nam,Nữ"</formula1></dataValidation></dataValidations>', '']) {
      const far = extra ? (xml: string) => xml.replace('</sheetData>', `</sheetData>${extra}`) : (xml: string) => xml.replace('</sheetData>', '<row r="9"><c r="XFD9" t="inlineStr"><is><t>x</t></is></c></row></sheetData>');
      await writeFile(file, await withPart(plain, path.join(dir, 'scratch.xlsx'), 'xl/worksheets/sheet1.xml', far));
      const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/a sheet reaches column \d+ or merges \d+ cells, \d+ under data validation.*CSV UTF-8/);
    }
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);
  });

  it('reads a workbook whole on a thread of its own: one that needs more memory or time than given is refused, saying to import it as CSV', async () => {
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Người tham gia');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    for (let i = 1; i <= 5000; i++) ws.addRow([String(100_000_000 + i).padStart(10, '0'), `Nguyễn Văn An ${i}`, '05/03/1990', 'Nam', '', 'DV0010001', '', '', '001', '', '', '']);
    const file = path.join(dir, 'five-thousand.xlsx');
    await wb.xlsx.writeFile(file);
    const memory = await readSmallInThread(file, { heapMb: 16, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(memory).toBeInstanceOf(UserError);
    expect((memory as Error).message).toBe(
      `${file} needs more than 16 MB of memory to read; save the sheet as "CSV UTF-8 (comma delimited)" and import the CSV (a CSV is read in a stream, whatever its size)`,
    );
    await expect(readSmallInThread(file, { heapMb: 1024, timeoutMs: 1 })).rejects.toThrow(`${file} took more than 0.001 s to read; save the sheet as "CSV UTF-8`);
    // Within the limits, every row, from the same thread pool.
    const read = await readSmallInThread(file);
    expect(read.rows).toHaveLength(5000);
    expect(read.rows[4999]).toEqual({ line: 5001, cells: ['0100005000', 'Nguyễn Văn An 5000', '05/03/1990', 'Nam', '', 'DV0010001', '', '', '001', '', '', ''] });
  });

  it('refuses a workbook whose one long text is shown in every cell, with nothing imported, before the main thread takes it in', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Người tham gia');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    // One 1 MB text in 1 200 cells: stored once (a shared string), 10 KB zipped; read, 1.2 GB of text.
    const long = 'a'.repeat(1024 * 1024);
    for (let i = 1; i <= 100; i++) ws.addRow(Array(12).fill(long));
    const file = path.join(dir, 'one-text.xlsx');
    await wb.xlsx.writeFile(file);
    const heap = process.memoryUsage().heapUsed;
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /holds more than \d+\.\d MB of text once read, twice what it unpacks to \(a long text repeated in many cells\?\); save the sheet as "CSV UTF-8 \(comma delimited\)" and import the CSV \(a CSV is read in a stream, whatever its size\)$/,
    );
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(100 * 1024 * 1024);
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);
  });

  it('refuses a small workbook whose cell unpacks to 150 MB, before reading it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const huge = Buffer.alloc(150 * 1024 * 1024, 0x41);
    const sheet = Buffer.concat([
      Buffer.from('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ma_so_bhxh</t></is></c><c r="B1" t="inlineStr"><is><t>ho_ten</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>0100000001</t></is></c><c r="B2" t="inlineStr"><is><t>'),
      huge,
      Buffer.from('</t></is></c></row></sheetData></worksheet>'),
    ]);
    const file = path.join(dir, 'huge.xlsx');
    await writeFile(file, zipArchive([compressEntry('xl/worksheets/sheet1.xml', sheet)], new Date()));
    const before = process.memoryUsage().rss;
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/unpacks to 150 MB.*CSV UTF-8/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);

    // The same workbook whose zip says the sheet holds 1 000 bytes: refused for what it inflates to.
    const lying = await readFile(file);
    const end = lying.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    lying.writeUInt32LE(1000, lying.readUInt32LE(end + 16) + 24);
    lying.writeUInt32LE(1000, lying.readUInt32LE(lying.readUInt32LE(end + 16) + 42) + 22); // its own header agrees
    await writeFile(file, lying);
    const lied = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(lied).toBeInstanceOf(UserError);
    expect((lied as Error).message).toMatch(/unpacks to more than its zip directory states.*CSV UTF-8/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);
  });
});
