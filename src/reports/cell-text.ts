import type ExcelJS from 'exceljs';
import { MAX_BIRTH_YEAR } from '../domain/dates.js';

/**
 * Day 0 of a workbook's serial dates, in ms (UTC): 1899-12-30 (Excel's 1900 leap-year bug included), or 1904-01-01 in a
 * workbook kept in the 1904 date system (old Macintosh Excel), whose serials are 1 462 fewer.
 */
export const excelEpochMs = (date1904: boolean): number => (date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30));

/** Whether a workbook read whole keeps its dates in the 1904 date system (exceljs makes its own Dates so). */
export const usesDate1904 = (wb: ExcelJS.Workbook): boolean => (wb.properties as { date1904?: boolean } | undefined)?.date1904 === true;

/** The first moment after Excel's last day (31/12/9999, which may carry a time). */
const AFTER_EXCEL_DAYS_MS = Date.UTC(10000, 0, 1);

/**
 * Whether a cell (or a formula's cached result) that exceljs read as a date holds none: a number typed into a cell
 * formatted as a date and too large to be one (a CCCD number: exceljs makes it an Invalid Date, and the number is
 * lost). Its text is empty; the readers reject its row and say why.
 */
export function notADate(value: ExcelJS.CellValue): boolean {
  const v = value !== null && typeof value === 'object' && !(value instanceof Date) && 'result' in value ? (value.result as ExcelJS.CellValue) : value;
  return v instanceof Date && !(v.getTime() < AFTER_EXCEL_DAYS_MS);
}

/** Why a row with such a cell in `column` is refused, for the operator (no value is shown: it is lost). */
export const notADateProblem = (column: string): string =>
  `column ${column}: a number in a cell formatted as a date, too large to be one: format the column as Text and type the value again`;

/** Text of an exceljs cell value; dates as yyyy-mm-dd (UTC parts, as Excel stores them). */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return notADate(value) ? '' : value.toISOString().slice(0, 10);
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('text' in value) return String(value.text);
  // Stryker disable next-line ConditionalExpression: an error value is the last kind of exceljs cell value: nothing reaches the line after it
  if ('error' in value) return '';
  return String(value);
}

/**
 * A whole number in a cell whose format only pads it with zeros (`0000000000`, `00`, `000`) as Excel shows it: the
 * old exports kept a mã số BHXH, a CMND or a province code as a number formatted so, and the sheet shows
 * `0100000001` where the cell holds 100000001. Read without its format the key had 9 digits and was rejected as a
 * lost leading zero, the operator told to format the column as Text, which changes nothing the cell holds. Null
 * when the cell is no such number (read it as before).
 */
export function zeroPadded(value: ExcelJS.CellValue, numFmt: string | undefined): string | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || !numFmt || !/^0+$/.test(numFmt)) return null;
  const digits = value.toFixed(0);
  // At most two zeros: all a code loses (a key of province 01–09 one, a CCCD of 001–009 two). More is a shorter
  // number in a column formatted for longer ones — a 9-digit CMND among 12-digit CCCDs shown as 000012345678 — and
  // is read as it is.
  if (numFmt.length - digits.length > 2) return null;
  return digits.padStart(numFmt.length, '0');
}

/**
 * The error a cell shows (`#N/A`, `#REF!`…), as its value or its formula's result; null for any other value. Read as
 * empty, a lookup that failed down a column (`=VLOOKUP(…)` giving #N/A) emptied the name of everyone on file.
 */
export function cellError(value: ExcelJS.CellValue): string | null {
  const v = value !== null && typeof value === 'object' && 'result' in value ? (value.result as ExcelJS.CellValue) : value;
  return v !== null && typeof v === 'object' && 'error' in v ? String(v.error) : null;
}

/** Why a row with such a cell in `column` is refused, for the operator (the error's code is no one's data). */
export const cellErrorProblem = (column: string, error: string): string =>
  `column ${column}: the cell shows the error ${error} (a formula that failed): correct it in the sheet and import again`;

/**
 * Whether a number format shows the month as a number before the day, the year not first: `mm/dd/yy` (LibreOffice
 * under English (USA) settings), `m/d/yyyy`, and Excel's built-in date format 14, which exceljs names `mm-dd-yy`.
 * Excel shows format 14 in the short-date order of the computer that opens the file, which the file does not say:
 * day first under Vietnamese settings, month first under English (USA) ones, where the date typed `10/07/1964` is
 * 7 October. So it counts as month first, as the standard (ECMA-376) defines it: a date a Vietnamese Excel read
 * right is refused too where its day could be a month, a retyped cell, rather than a wrong date taken unseen.
 * Not `yyyy-mm-dd`, read year, month, day everywhere, nor a month shown by its name (`d-mmm-yy`).
 */
export function monthBeforeDay(format: string | undefined): boolean {
  // The section for positive numbers, without what is quoted or bracketed (colour, locale). (exceljs hands a format
  // over with its escapes taken out: Excel's `mm\/dd\/yyyy` as `mm/dd/yyyy`.)
  const code = (format ?? '').split(';')[0]!.replace(/"[^"]*"|\[[^\]]*\]/g, '').toLowerCase();
  const parts = Array.from(code.matchAll(/d+|m+|y+|h+|s+/g), (m) => m[0]);
  // m after an hour or before seconds is minutes; d beyond dd (ddd, dddd) is the day of the week.
  const month = parts.findIndex((p, i) => p[0] === 'm' && parts[i - 1]?.[0] !== 'h' && parts[i + 1]?.[0] !== 's');
  const day = parts.findIndex((p) => p === 'd' || p === 'dd');
  // Stryker disable next-line EqualityOperator: the day and the month are different parts, never at the same place
  return month >= 0 && parts[month]!.length <= 2 && day > month && parts[0]![0] !== 'y';
}

/**
 * The year typed into a cell formatted as a date (`1975` in a column formatted dd/mm/yyyy, for someone whose year of
 * birth alone is known): the cell holds the number 1975, which the sheet shows as 28/05/1905 and exceljs hands over as
 * that Date. A whole serial up to MAX_BIRTH_YEAR is no date of birth (none is in 1900–1905): it is the number typed,
 * given as that year; null for any other Date or number. Both readers of workbooks read it so (read-xlsx.ts,
 * read-mau02.ts): taken as the date, it was stored as 1905-05-28, "updated".
 */
export function yearTypedAsDate(value: Date | number, date1904: boolean): string | null {
  const serial = value instanceof Date ? (value.getTime() - excelEpochMs(date1904)) / 86_400_000 : value;
  return Number.isInteger(serial) && serial > 0 && serial <= MAX_BIRTH_YEAR ? String(serial) : null;
}

/**
 * A cell's text without the apostrophe typed before it to keep it text (`'0100000002`, `'079`, `'Lê Văn Hùng`):
 * Excel never stores it, but LibreOffice keeps it as part of the text in a cell formatted as Text — the format an
 * office gives its code columns, and the columns (10)–(13) of Mẫu 02 are sent in. It is part of no value (nor its
 * autocorrected forms ‘ ’); a name's own apostrophe (`H'Hen Niê`) is inside it.
 */
export const withoutTypedApostrophe = (text: string): string => text.replace(/^['‘’](?=\S)/, '');
