import type ExcelJS from 'exceljs';
import { UserError } from '../errors.js';
import { cellError, cellErrorProblem, cellText, excelEpochMs, notADate, notADateProblem, usesDate1904, zeroPadded } from '../reports/cell-text.js';
import { CONTROL, type TableRow } from './table-row.js';

/**
 * Reads the first visible sheet of a workbook held in memory (small workbooks: see openXlsx): merged cells take
 * the value of their top-left cell, formula cells their cached result, date cells and date-formatted numbers
 * (a formula's result, `=DATE(1990,2,1)`, is stored as the number 32905) are dates.
 */
/** What the operator is told when the zip library cannot read a workbook, read whole or streamed. */
export function unreadableWorkbook(file: string, err: unknown): UserError {
  return new UserError(`${file} is not a readable .xlsx workbook (${(err as Error).message}); open it in Excel and save it again, or save it as CSV UTF-8`, { cause: err });
}

export interface SmallWorkbook {
  header: string[];
  rows: TableRow[];
}

/** Run on a thread of its own (read-table.ts, readSmallInThread): exceljs builds the whole workbook. */
export async function readSmallXlsx(file: string): Promise<SmallWorkbook> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  await wb.xlsx.readFile(file).catch((err: unknown) => {
    throw unreadableWorkbook(file, err);
  });
  // Dates of a workbook kept in the 1904 date system (old Macintosh Excel) count from 1904: exceljs makes its own
  // Dates so, and a date-formatted number read here must be too.
  const date1904 = usesDate1904(wb);
  const sheet = wb.worksheets.find((s) => s.state === 'visible');
  if (!sheet) throw new UserError(`${file} has no visible worksheet`);
  const lines: Array<{ line: number; cells: string[]; notDates: number[]; errors: Array<[number, string]> }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, n) => {
    const cells: string[] = [];
    const notDates: number[] = [];
    const errors: Array<[number, string]> = [];
    for (let c = 1; c <= row.cellCount; c++) {
      const cell = row.getCell(c);
      const value = (cell.isMerged ? cell.master : cell).value;
      if (notADate(value)) notDates.push(c - 1);
      const error = cellError(value);
      if (error !== null) errors.push([c - 1, error]);
      cells.push(text(cell, date1904));
    }
    lines.push({ line: n, cells, notDates, errors });
  });
  const first = lines.findIndex((l) => l.cells.some((c) => c.trim() !== ''));
  if (first < 0) throw new UserError(`${file} is empty: the first visible sheet needs a header row and data rows`);
  const header = lines[first]!.cells.map((h) => h.trim().toLowerCase());
  const rows: TableRow[] = [];
  for (const l of lines.slice(first + 1)) {
    const notDate = l.notDates.find((i) => i < header.length);
    const error = l.errors.find(([i]) => i < header.length);
    // A row whose cells read as empty is no record, unless one of them shows an error or lost its number: a lookup
    // that failed across the row (`#N/A` in every column, the key too) is someone the sheet meant, whose row was
    // dropped without a word; it is rejected as any row with such a cell is.
    if (notDate === undefined && error === undefined && l.cells.every((c) => c.trim() === '')) continue;
    const row: TableRow = { line: l.line, cells: header.map((_, i) => l.cells[i] ?? '') };
    if (notDate !== undefined) row.problem = notADateProblem(header[notDate]!);
    else if (error !== undefined) row.problem = cellErrorProblem(header[error[0]]!, error[1]);
    else if (l.cells.slice(header.length).some((c) => c.trim() !== '')) row.problem = `has values beyond the ${header.length} header columns`;
    // As the CSV reader marks it (csv-scan.ts): Excel keeps a control character typed or pasted into a cell.
    else if (row.cells.some((c) => CONTROL.test(c))) row.control = true;
    rows.push(row);
  }
  return { header, rows };
}

const DATE_FORMAT = /(^|[^"\\])[dmy]/i;

function text(cell: ExcelJS.Cell, date1904: boolean): string {
  const master = cell.isMerged ? cell.master : cell;
  return tableCellText(master.value, master.numFmt, date1904);
}

/**
 * The text of a participants sheet's cell, read whole or streamed alike: a formula's cached result; a number in a
 * cell formatted as a date (what a formula such as `=DATE(1990,2,1)` leaves, 32905: the readers make a Date only
 * of a plain value) as that date; a whole number formatted with zeros as the sheet shows it (zeroPadded).
 */
export function tableCellText(v: ExcelJS.CellValue, numFmt: string | undefined, date1904 = false): string {
  const value = v !== null && typeof v === 'object' && 'result' in v ? (v.result as ExcelJS.CellValue) : v;
  if (typeof value === 'number' && numFmt && DATE_FORMAT.test(numFmt) && value > 0 && value < 2_958_466) {
    return new Date(excelEpochMs(date1904) + Math.round(value * 86_400_000)).toISOString().slice(0, 10);
  }
  return zeroPadded(value, numFmt) ?? cellText(value);
}
