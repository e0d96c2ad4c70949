import type ExcelJS from 'exceljs';
import { UserError } from '../errors.js';
import {
  cellError, cellErrorProblem, cellText, excelEpochMs, monthBeforeDay, notADate, notADateProblem, usesDate1904, withoutTypedApostrophe, yearTypedAsDate,
  zeroPadded,
} from '../reports/cell-text.js';
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
  const lines: Array<{ line: number; cells: string[]; notDates: number[]; errors: Array<[number, string]>; monthFirst: number[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, n) => {
    const cells: string[] = [];
    const notDates: number[] = [];
    const errors: Array<[number, string]> = [];
    const monthFirst: number[] = [];
    for (let c = 1; c <= row.cellCount; c++) {
      const cell = row.getCell(c);
      const master = cell.isMerged ? cell.master : cell;
      const value = master.value;
      if (notADate(value)) notDates.push(c - 1);
      const shown = monthFirstDate(value, master.numFmt, date1904);
      if (shown !== null) monthFirst.push(c - 1);
      const error = cellError(value);
      if (error !== null) errors.push([c - 1, error]);
      cells.push(shown ?? text(cell, date1904));
    }
    lines.push({ line: n, cells, notDates, errors, monthFirst });
  });
  const first = lines.findIndex((l) => l.cells.some((c) => c.trim() !== ''));
  if (first < 0) throw new UserError(`${file} is empty: the first visible sheet needs a header row and data rows`);
  const header = lines[first]!.cells.map((h) => h.trim().toLowerCase());
  const rows: TableRow[] = [];
  for (const l of lines.slice(first + 1)) {
    const notDate = l.notDates.find((i) => i < header.length);
    const error = l.errors.find(([i]) => i < header.length);
    const monthFirst = l.monthFirst.find((i) => i < header.length);
    // A row whose cells read as empty is no record, unless one of them shows an error or lost its number: a lookup
    // that failed across the row (`#N/A` in every column, the key too) is someone the sheet meant, whose row was
    // dropped without a word; it is rejected as any row with such a cell is.
    if (notDate === undefined && error === undefined && l.cells.every((c) => c.trim() === '')) continue;
    const row: TableRow = { line: l.line, cells: header.map((_, i) => l.cells[i] ?? '') };
    if (notDate !== undefined) row.problem = notADateProblem(header[notDate]!);
    else if (error !== undefined) row.problem = cellErrorProblem(header[error[0]]!, error[1]);
    else if (monthFirst !== undefined) row.problem = monthFirstProblem(header[monthFirst]!);
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
  const year = typedYear(value, numFmt, date1904);
  if (year !== null) return year;
  if (typeof value === 'number' && numFmt && DATE_FORMAT.test(numFmt) && value > 0 && value < 2_958_466) {
    return new Date(excelEpochMs(date1904) + Math.round(value * 86_400_000)).toISOString().slice(0, 10);
  }
  return withoutTypedApostrophe(zeroPadded(value, numFmt) ?? cellText(value));
}

/** A year typed into a date cell, or into a number cell formatted as a date (yearTypedAsDate); null for another cell. */
function typedYear(value: ExcelJS.CellValue, numFmt: string | undefined, date1904: boolean): string | null {
  if (value instanceof Date) return yearTypedAsDate(value, date1904);
  return typeof value === 'number' && numFmt && DATE_FORMAT.test(numFmt) ? yearTypedAsDate(value, date1904) : null;
}

/**
 * Whether a cell holds a date (a date cell, or a number formatted as a date) in a format that writes the month
 * first (`mm/dd/yy`, `m/d/yyyy`) and whose day could be its month (12 or less, not the month itself). LibreOffice
 * under English (USA) settings — the default of an English install — reads `02/07/1987`, typed or opened from a CSV,
 * as 7 February and saves it so: read as the date it holds, such a sheet gave a third of its people the wrong date
 * of birth ("updated"), taking their confirmation with it. The same CSV opened with the column set to Date (DMY)
 * holds 2 July, and is saved with the same mm/dd/yy: which date the office meant cannot be known, so the row is
 * refused (monthFirstProblem), as column (11) of a returned Mẫu 02 is (read-mau02.ts); formatted dd/mm/yyyy, the
 * column shows the office each date as it will be read, and is taken. Excel's built-in short
 * date (format 14, exceljs's `mm-dd-yy`) is not: it shows in the order of each computer's settings, and the dates a
 * Vietnamese Excel saves with it were typed day first and are read right. Such a date is given as the cell shows it,
 * `02/07/1987`, for the rejects file; null for any other cell.
 */
export function monthFirstDate(v: ExcelJS.CellValue, numFmt: string | undefined, date1904 = false): string | null {
  if (!numFmt || numFmt === 'mm-dd-yy' || !monthBeforeDay(numFmt)) return null;
  const value = v !== null && typeof v === 'object' && 'result' in v ? (v.result as ExcelJS.CellValue) : v;
  if (typedYear(value, numFmt, date1904) !== null) return null;
  let date: Date | null = value instanceof Date ? value : null;
  if (typeof value === 'number' && value > 0 && value < 2_958_466) date = new Date(excelEpochMs(date1904) + Math.round(value * 86_400_000));
  if (!date || Number.isNaN(date.getTime())) return null;
  const [day, month] = [date.getUTCDate(), date.getUTCMonth() + 1];
  const pad2 = (n: number) => String(n).padStart(2, '0');
  return day <= 12 && day !== month ? `${pad2(month)}/${pad2(day)}/${date.getUTCFullYear()}` : null;
}

/** Why a row with such a cell in `column` is refused (monthFirstDate), for the operator (no value is shown). */
export const monthFirstProblem = (column: string): string =>
  `column ${column}: a date in a cell formatted month first (mm/dd/yy, as LibreOffice or Excel under English (USA) settings saves a date typed or opened from a CSV) ` +
  'whose day is 12 or less: which number is the day and which the month cannot be known; format the column as dd/mm/yyyy (Format Cells) and check that ' +
  'the dates show as meant, or format it as Text and type the dates as dd/mm/yyyy, then import again';
