import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type ExcelJS from 'exceljs';
import { cannotOpen, UserError } from '../errors.js';
import { CONTROL, firstRowForMessage, looksLikeData } from './table-row.js';
import { CsvScanner, NOT_UTF8, type CsvRecord, type Separator } from './csv-scan.js';
import { monthFirstDate, monthFirstProblem, type SmallWorkbook, tableCellText, unreadableWorkbook } from './read-xlsx.js';
import { limitMet, readInThread, type ThreadLimits } from '../reports/xlsx/read-thread.js';
import type { TableRow } from './table-row.js';

export type { TableRow } from './table-row.js';

import { unpackedWithin, xlsxPartSizes } from '../reports/xlsx/part-sizes.js';
import { SHEET_COLUMNS, sheetExtent, type SheetExtent } from '../reports/xlsx/sheet-extent.js';
import { cellErrorProblem, cellText, notADate, notADateProblem } from '../reports/cell-text.js';
import { columnLetter } from '../reports/list-form.js';

export interface Table {
  header: string[];
  /** The rows a batch at a time (cheaper per row); use either this or `rows`, once. */
  batches: AsyncIterable<TableRow[]>;
  rows: AsyncIterable<TableRow>;
  /** A CSV file's reading, which can be stopped at a line start (CsvReading). */
  csv?: CsvReading;
  /** Closes the file of a table whose rows are not read to the end (a CSV's; nothing to do for a workbook). */
  close?: () => Promise<void>;
}

/** Streams a CSV (UTF-8) or the first sheet of an .xlsx file. Never holds the whole file in memory. */
export async function openTable(file: string): Promise<Table> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.xlsx') return openXlsx(file);
  if (ext === '.xls') throw new UserError(`${file}: the old .xls format is not supported; save it as .xlsx or CSV UTF-8`);
  return openCsv(file);
}

async function sniff(file: string): Promise<Buffer> {
  // Looked at before it is opened: opening a named pipe waits for a writer.
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw cannotOpen(file, err);
  }
  if (info.isDirectory()) throw cannotOpen(file, Object.assign(new Error('a folder'), { code: 'EISDIR' }));
  // A pipe (`/dev/stdin`, `<(…)`) or a device: the import reads the file more than once (its first bytes, a
  // second reading of changed lines, a worker from the middle), which only a file on disk allows.
  // `/dev/stdin` redirected from a file is a file to stat(), but the rejects file would go beside it, into /dev.
  if (!info.isFile() || /^\/(dev\/(stdin|fd\/)|proc\/)/.test(path.resolve(file))) {
    throw new UserError(`cannot read ${file}: not a regular file (a pipe or a device); save it to a file and import that`);
  }
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw cannotOpen(file, err);
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const SAVE_AS_UTF8 = 'save it as "CSV UTF-8 (comma delimited)" and import again';

/**
 * UTF-32 with or without its byte-order mark (`FF FE 00 00` / `00 00 FE FF`, which UTF-16's test would take for
 * UTF-16's): two NUL bytes side by side in every four, at the same places. Rare (a few converters write it); said as what it is,
 * as UTF-16 is, rather than sent to look for a UTF-16 option no program offers for it.
 */
function looksUtf32(head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) || (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff)) return true;
  const zeros = [0, 0, 0, 0];
  for (let i = 0; i < head.length - (head.length % 4); i++) if (head[i] === 0) zeros[i % 4]! += 1;
  const groups = Math.floor(head.length / 4);
  // A character of the Basic Multilingual Plane (every Vietnamese letter) leaves two bytes of its four zero: the
  // last two (little-endian) or the first two. UTF-16 never has two NULs side by side at every fourth byte.
  const none = (i: number) => zeros[i] === groups;
  return groups >= 2 && zeros.some((z) => z < groups) && ((none(2) && none(3)) || (none(0) && none(1)));
}

/** UTF-16 with or without its byte-order mark: many NUL bytes, nearly all on the same side of each pair. */
function looksUtf16(head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0) continue;
    if (i % 2) odd++;
    else even++;
  }
  return head.length >= 4 && Math.max(even, odd) >= head.length / 4 && Math.min(even, odd) <= Math.max(even, odd) / 10;
}

/** Bytes read from a CSV file at a time. */
const CSV_READ = 256 * 1024;

/**
 * Where the reading of a CSV file stops. By default at the end; `stopAt` a line start lets another thread read the
 * rest (import-keys.ts): the reading stops there only if its scanner stands clean (outside any record, CsvScanner
 * `clean`), and otherwise goes on to the end of the file itself.
 */
export class CsvReading {
  private end = Infinity;
  /** Once the reading has come to the stop: whether it stopped there (true) or went on to the end (false). */
  stopped: boolean | undefined;
  /** Bytes consumed so far. */
  consumed = 0;
  /** The fields' separator, as the scanner decided it on the header. */
  separator: Separator = ',';

  constructor(
    readonly file: string,
    /** Fields of the header record: every record must have as many. */
    public fields = 0,
  ) {}

  /**
   * Whether the reading can stop at `at`, the start of a line: not when it is past it already. (Called between two
   * reads: the table is opened, its rows not yet asked for.)
   */
  canStopAt(at: number): boolean {
    return at > this.consumed;
  }

  /** Stops the reading at `at` (canStopAt). */
  stopAt(at: number): void {
    if (!this.canStopAt(at)) throw new Error(`cannot stop the reading at byte ${at}: ${this.consumed} are read already`);
    this.end = at;
  }

  /**
   * How many bytes to read next (0 at the stop). Reads end on multiples of CSV_READ from the file's start, whichever
   * byte a reading starts from, so that a part read by another thread is cut into buffers where a single reading
   * would cut it (the scanner's outcome does not depend on it; this keeps it so).
   */
  next(): number {
    return Math.min(CSV_READ - (this.consumed % CSV_READ), this.end - this.consumed);
  }

  /** The stop is reached with `scanner` as it stands: stop there (true), or read on to the end of the file. */
  reached(scanner: CsvScanner): boolean {
    this.stopped = scanner.clean;
    if (!this.stopped) this.end = Infinity;
    return this.stopped;
  }
}

/**
 * Reads the records of a CSV file in batches (one per buffer read), each with its physical line: from the start, or
 * from `start` (a line start) with a scanner set up as `from` says (CsvScanner).
 */
async function* csvRecords(reading: CsvReading, start = 0, from?: { lines: number; fields: number; separator: Separator }): AsyncGenerator<CsvRecord[]> {
  const scanner = new CsvScanner(from);
  const handle = await open(reading.file, 'r');
  try {
    reading.consumed = start;
    for (;;) {
      const want = reading.next();
      if (want <= 0) {
        if (reading.reached(scanner)) return;
        continue;
      }
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, reading.consumed);
      if (bytesRead === 0) break;
      reading.consumed += bytesRead;
      const recs = scanner.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      reading.separator = scanner.separator;
      if (recs.length) yield recs;
    }
  } finally {
    await handle.close();
  }
  const last = scanner.end();
  if (last.length) yield last;
}

/**
 * The data rows of a CSV file from `start`, a line start after `lines` physical lines, where a reading from the
 * beginning stood clean (CsvReading): what a reading of the whole file gives for that part.
 */
export async function* csvRowsFrom(file: string, start: number, from: { lines: number; fields: number; separator: Separator }): AsyncGenerator<TableRow[]> {
  for await (const recs of csvRecords(new CsvReading(file, from.fields), start, from)) yield recs.filter(notBlank);
}

/** The start of the first line that begins at or after `pos` (> 0), or null when none does within 64 KB. */
export async function lineStartFrom(file: string, pos: number): Promise<number | null> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const buf = Buffer.allocUnsafe(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, pos - 1);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    return nl < 0 || pos + nl >= size ? null : pos + nl;
  } finally {
    await handle.close();
  }
}

/**
 * What a file that is no CSV text is, from its first bytes, for a message that says so: read as CSV, a compressed
 * file or an old workbook was 'a row of 9 values that looks like data, not a header (is the header row missing?)'.
 */
function notCsv(file: string, head: Buffer): UserError | null {
  if (head[0] === 0x1f && head[1] === 0x8b) return new UserError(`${file} is compressed (gzip): unpack it (gunzip) and import the CSV it holds`);
  if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    return new UserError(`${file} is a zip archive (an .xlsx workbook, or files packed together): name a workbook FILE.xlsx, or unpack the archive and import the CSV it holds`);
  }
  if (head.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))) {
    return new UserError(`${file} is an old Excel workbook (.xls), not CSV text: save it as .xlsx or as "CSV UTF-8 (comma delimited)" and import that`);
  }
  // Lines that end in a carriage return alone (old Mac software): the whole file was one line, and so no header.
  const cr = head.indexOf(13);
  if (head.indexOf(10) < 0 && cr >= 0 && cr < head.length - 1) {
    return new UserError(`${file}: its lines end in a carriage return alone (as old Macintosh software writes them), which this import does not read; ${SAVE_AS_UTF8}`);
  }
  // The same after a header that ends as Windows ends lines (a header file and an old program's rows put together):
  // the rows were one line, rejected as 'has 201 fields' or as over-long, and the summary said '1 rejected' of them.
  // Said of the file: carriage returns alone between the rows, and no line feed after the header's.
  const nl = head.indexOf(10);
  if (nl >= 0) {
    const rows = head.subarray(nl + 1);
    // Outside quotes (a carriage return inside a quoted field is the field's), and not the last byte read.
    let quoted = false;
    let alone = 0;
    for (let i = 0; i < rows.length - 1; i++) {
      if (rows[i] === 34) quoted = !quoted;
      else if (rows[i] === 13 && !quoted) alone += 1;
    }
    if (rows.indexOf(10) < 0 && alone > 0) {
      return new UserError(`${file}: its lines after the header end in a carriage return alone (as old Macintosh software writes them), which this import does not read; ${SAVE_AS_UTF8}`);
    }
  }
  return null;
}

async function openCsv(file: string): Promise<Table> {
  const head = await sniff(file);
  if (looksUtf32(head)) throw new UserError(`${file} is UTF-32 text; ${SAVE_AS_UTF8}`);
  if (looksUtf16(head)) throw new UserError(`${file} is UTF-16 text; ${SAVE_AS_UTF8}`);
  const other = notCsv(file, head);
  if (other) throw other;
  const reading = new CsvReading(file);
  const it = csvRecords(reading)[Symbol.asyncIterator]();
  let first: CsvRecord | undefined;
  let rest: CsvRecord[] = [];
  // The file stays open from here until its records are read to the end, or close() is called.
  const close = async () => void (await it.return(undefined));
  let header: string[];
  try {
    // The header is the first record (blank lines before it are skipped by the scanner).
    while (!first) {
      const next = await it.next();
      if (next.done) break;
      [first, ...rest] = next.value;
    }
    // Said with what to do: at night an empty file is most often an export that failed, or one just begun.
    if (!first) {
      throw new UserError(`${file} is empty: expected a header row and data rows; nothing was imported. Check the export (failed, or still being written?) and import it again`);
    }
    if (first.problem) throw new UserError(`${file}: the header row cannot be read (${first.problem}); ${SAVE_AS_UTF8}`);
    header = checkHeader(file, first.cells.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase()));
    await notUtf8(file, rest);
  } catch (err) {
    await close();
    throw err;
  }
  reading.fields = first.cells.length;
  async function* batches(): AsyncGenerator<TableRow[]> {
    try {
      if (rest.length) yield rest.filter(notBlank);
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value.filter(notBlank);
      }
    } finally {
      await close(); // a reader that stops early (break) closes the file too
    }
  }
  return { ...withRows(header, batches()), csv: reading, close };
}

/**
 * A file saved in an 8-bit encoding ("CSV" rather than "CSV UTF-8" from Excel: Windows-1258; a TCVN3 or VNI font
 * file) has an ASCII header and rows that are not UTF-8: when half or more of the rows of the first read are such,
 * the file fails whole, rather than every row going to the rejects file with its text already garbled. A few such
 * rows among good ones are rejected one by one.
 */
async function notUtf8(file: string, first: readonly CsvRecord[]): Promise<void> {
  const rows = first.filter(notBlank);
  const bad = rows.filter((r) => r.problem === NOT_UTF8).length;
  // Every row of the first read, or at least three and half of them; and bytes that truly are not UTF-8 (a U+FFFD
  // written in a UTF-8 file is a character, not a sign of another encoding).
  if ((bad > 0 && bad === rows.length) || (bad >= 3 && bad * 2 >= rows.length)) {
    if (await firstReadIsUtf8(file)) return;
    throw new UserError(
      `${file} is not UTF-8: ${bad} of its first ${rows.length} rows have bytes of another encoding (Windows-1258, or a TCVN3 or VNI ` +
        `font file); nothing was imported. Open it in Excel and ${SAVE_AS_UTF8}`,
    );
  }
}

/** Whether the bytes of the first read (CSV_READ) are UTF-8; a character cut at its end does not count against it. */
async function firstReadIsUtf8(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  const buf = Buffer.alloc(CSV_READ);
  let bytesRead: number;
  try {
    ({ bytesRead } = await handle.read(buf, 0, CSV_READ, 0));
  } finally {
    await handle.close();
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead), { stream: true });
    return true;
  } catch (err) {
    if (err instanceof TypeError) return false; // what a fatal decoder throws on bytes that are not UTF-8
    throw err;
  }
}

/** A row whose every field is empty (`,,,,`) is not a record: spreadsheets leave them at the end. */
const notBlank = (r: TableRow) => r.problem !== undefined || r.cells.some((c) => c.trim() !== '');

/** A header naming a column twice cannot be read: which of the two holds the value? */
function checkHeader(file: string, header: string[]): string[] {
  // "Text (Tab delimited)": one column named with every name. Said so, instead of 'no "ma_so_bhxh" column. Found:
  // ma_so_bhxh…'.
  if (header.length === 1 && header[0]!.split('\t').length > 2) {
    throw new UserError(`${file}: its fields are separated by tabs; ${SAVE_AS_UTF8} (commas, or semicolons, between fields)`);
  }
  // A form ddcn wrote (a returned Mẫu 02 above all, put in the participants' or targets' place): its first row is the
  // issuing office over merged cells, which read as a header naming one column many times. Said as what it is.
  const form = header.map((h) => h.normalize('NFC')).find((h) => /^mẫu số 0[123]$/.test(h));
  if (form) {
    throw new UserError(
      form === 'mẫu số 02'
        ? `${file} is a Mẫu số 02 that ddcn wrote, not a table to import here: a returned Mẫu 02 is entered with \`ddcn import corrections ${file}\``
        : `${file} is a ${form.replace('mẫu', 'Mẫu')} that ddcn wrote, not a table to import here; nothing was imported`,
    );
  }
  // Another form headed by its issuing office (the IT centre's escalation list, de-nghi-ho-tro.xlsx): no column of a
  // table is named so.
  if (header.some((h) => /^bảo hiểm xã hội /.test(h.normalize('NFC')))) {
    throw new UserError(`${file} is a form that ddcn wrote (its first row names the issuing office), not a table to import here; nothing was imported`);
  }
  const seen = new Set<string>();
  const twice = [...new Set(header.filter((h) => h !== '' && (seen.has(h) || !seen.add(h))))];
  if (twice.length && looksLikeData(header)) {
    // A first row of data with a value twice (the personal number as the code too, an owner's name as the unit's):
    // it is a person, not a header, and is not repeated.
    throw new UserError(`${file}: ${firstRowForMessage(header, [])}`);
  }
  if (twice.length) throw new UserError(`${file}: the header names ${twice.map((h) => `"${h}"`).join(', ')} more than once; keep one column of each name and import again`);
  return header;
}

function withRows(header: string[], batches: AsyncIterable<TableRow[]>): Table {
  return {
    header,
    batches,
    rows: (async function* () {
      for await (const b of batches) yield* b;
    })(),
  };
}

// Lives with the forms, which read returned Mẫu 02 cells with it too; the forms sit below the pipeline.
export { cellText } from '../reports/cell-text.js';

/** No part of a workbook may unpack to more than this: beyond it, CSV (a 159 KB file can hold a 150 MB cell). */
const XLSX_PART_LIMIT = 64 * 1024 * 1024;
/** Beyond these a sheet is refused before it is read (sheet-extent.ts); the file has 12 columns, a few more kept.
 * Merged and validated cells count together: exceljs builds an entry for each. */
const XLSX_COLUMN_LIMIT = 1_000;
const XLSX_MERGED_LIMIT = 100_000;
const XLSX_MERGES_LIMIT = 2_000; // exceljs compares each merged range with every earlier one
/** Workbooks up to this size unpacked are read whole, which resolves merged cells; larger ones are streamed. */
const XLSX_SMALL = 24 * 1024 * 1024;

async function openXlsx(file: string): Promise<Table> {
  await sniff(file);
  const sizes = await xlsxPartSizes(file);
  const damaged = () => new UserError(`${file} is not a readable .xlsx workbook (its zip structure is damaged or unusual); save it again from Excel`);
  if (!sizes) throw damaged();
  const parts = [...sizes.values()];
  const largest = Math.max(0, ...parts);
  if (largest > XLSX_PART_LIMIT) {
    throw new UserError(
      `${file}: part of the workbook unpacks to ${Math.round(largest / 1024 / 1024)} MB (at most ${XLSX_PART_LIMIT / 1024 / 1024} MB); ` +
        'a cell may hold a huge value. Save the sheet as "CSV UTF-8 (comma delimited)" and import the CSV',
    );
  }
  const small = parts.reduce((a, b) => a + b, 0) <= XLSX_SMALL;
  // The directory may state less than its parts hold: they are inflated, up to the limits, before a reader builds
  // them (~4 ms per MB unpacked).
  // And what a sheet makes the reader build (sheet-extent.ts): a merged range or a far column costs cells by the
  // million whatever the file's size.
  let wide: SheetExtent | null = null;
  // The tabs and their parts, for the streamed reader, which meets the sheets in the zip's order, hidden or not.
  const book: { sheets?: string; rels?: string } = {};
  const uncomputed = new Map<number, { count: number; first: string }>();
  // Cells showing an error (#N/A), by sheet part and address: exceljs's stream reader drops a formula's error result,
  // and the cell read as empty.
  const errorCells = new Map<number, Map<string, string>>();
  const inflated = await unpackedWithin(file, { total: small ? XLSX_SMALL : Infinity, part: XLSX_PART_LIMIT }, (name, data) => {
    if (name === 'xl/workbook.xml') book.sheets = data.toString('utf8');
    if (name === 'xl/_rels/workbook.xml.rels') book.rels = data.toString('utf8');
    const sheetPart = /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(name);
    if (sheetPart) {
      const u = uncomputedFormulas(data);
      if (u) uncomputed.set(Number(sheetPart[1]), u);
      if (!small) errorCells.set(Number(sheetPart[1]), errorsOf(data));
    }
    if (wide) return;
    const e = sheetExtent(data);
    if (e.columns > XLSX_COLUMN_LIMIT || e.columnDefinitions > SHEET_COLUMNS || e.merges > XLSX_MERGES_LIMIT || e.merged + e.validated + e.named > XLSX_MERGED_LIMIT) wide = e;
  });
  if (inflated === 'unreadable') throw damaged();
  if (wide) {
    const e: SheetExtent = wide;
    throw new UserError(
      `${file}: a sheet reaches column ${e.columns} or merges ${e.merged} cells, ${e.validated} under data validation, ${e.named} in named ranges ` +
        `(at most ${XLSX_COLUMN_LIMIT} columns, ${XLSX_MERGES_LIMIT} merged ranges and ${XLSX_MERGED_LIMIT} merged, validated or named cells): unmerge the cells, remove the data validation, the names `+
        'and the columns beyond the data, or save the sheet as "CSV UTF-8 (comma delimited)" and import the CSV',
    );
  }
  if (inflated === 'over') {
    throw new UserError(
      `${file}: the workbook unpacks to more than its zip directory states (over ${XLSX_PART_LIMIT / 1024 / 1024} MB in a part, or over ` +
        `${XLSX_SMALL / 1024 / 1024} MB in all for a workbook that says it is smaller): save it again from Excel, or as "CSV UTF-8 (comma delimited)", and import it again`,
    );
  }
  const wanted = firstVisibleSheetPart(book.sheets, book.rels);
  // A workbook written by a program that does not calculate (a script's library) holds formulas without values: the
  // readers take such a cell as empty, and `=F2&" "&G2` in ho_ten emptied the name of everyone on file, 'updated'.
  // The whole file is refused: every formula of it is unknown. (An empty text Excel computed is kept as `<v></v>`.)
  const notComputed = typeof wanted === 'number' ? uncomputed.get(wanted) : [...uncomputed.values()][0];
  if (notComputed) {
    throw new UserError(
      `${file}: ${notComputed.count} formula cell${notComputed.count > 1 ? 's' : ''} (the first at ${notComputed.first}) ${notComputed.count > 1 ? 'have' : 'has'} no computed value: ` +
        'the workbook was written by a program that does not calculate. Open it in Excel or LibreOffice, save it, and import it again; nothing was imported',
    );
  }
  if (small) {
    const { header, rows } = await readSmallInThread(file);
    async function* batches(): AsyncGenerator<TableRow[]> {
      for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
    }
    return withRows(checkHeader(file, header), batches());
  }
  // Streamed: the first visible sheet, as read whole, and merged cells only in their top-left cell (exceljs's stream
  // reader sees the merges after the rows). README says so.
  // The reader gives the sheets in the zip's order, hidden ones too: it took the first of them, so a large
  // workbook whose first tab was a hidden copy of older data imported that copy, and said nothing of the sheet shown.
  if (wanted === 'none') throw new UserError(`${file} has no visible worksheet`);
  // Loaded only when a workbook is read: exceljs costs more than half a second at every start otherwise.
  const { default: Excel } = await import('exceljs');
  const reader = new Excel.stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'emit',
  });
  let part = 0; // the N of xl/worksheets/sheetN.xml, told just before the reader gives that sheet
  (reader as unknown as NodeJS.EventEmitter).on('entry', (e: { type: string; id?: string }) => {
    if (e.type === 'worksheet') part = Number(e.id);
  });
  const sheets = reader[Symbol.asyncIterator]();
  const unreadable = (err: unknown) => {
    throw unreadableWorkbook(file, err);
  };
  let sheet = await sheets.next().catch(unreadable);
  // Without the workbook's own list (a part named otherwise), the first sheet the reader does not mark hidden.
  const hidden = (ws: unknown) => /^(hidden|veryHidden)$/.test(String((ws as { state?: string }).state));
  while (!sheet.done && (wanted === null ? hidden(sheet.value) : part !== wanted)) {
    for await (const _ of sheet.value as AsyncIterable<unknown>); // a sheet not read is passed over to its end
    sheet = await sheets.next().catch(unreadable);
  }
  if (sheet.done) throw new UserError(`${file} has no visible worksheet`);
  const errors = errorCells.get(part) ?? new Map<string, string>();
  // The 1904 date system (old Macintosh Excel): a formula's date result, which the stream reader leaves a number, counts
  // from 1904 as the reader's own Dates do.
  const date1904 = /<(?:\w+:)?workbookPr\b[^>]*\sdate1904\s*=\s*["'](?:1|true)["']/.test(book.sheets ?? '');
  const rowsIt = (sheet.value as AsyncIterable<ExcelJS.Row>)[Symbol.asyncIterator]();
  let headerRow: ExcelJS.Row | undefined;
  for (;;) {
    const next = await rowsIt.next();
    if (next.done) break;
    if (next.value.hasValues) {
      headerRow = next.value;
      break;
    }
  }
  if (!headerRow) throw new UserError(`${file} is empty: the first sheet needs a header row and data rows`);
  const values = headerRow.values as ExcelJS.CellValue[];
  const header = checkHeader(file, values.slice(1).map((v) => cellText(v).trim().toLowerCase()));
  async function* rows(): AsyncGenerator<TableRow> {
    for (;;) {
      const next = await rowsIt.next();
      if (next.done) return;
      if (!next.value.hasValues) continue;
      const vals = next.value.values as ExcelJS.CellValue[];
      // As a workbook read whole is read (read-xlsx.ts): a formula's date (`=DATE(1990,2,1)`, its result 32905 in a
      // date-formatted cell) was its serial number here, no date, and the person's date of birth was not stored.
      const shown = header.map((_, i) => monthFirstDate(vals[i + 1], next.value.getCell(i + 1).numFmt, date1904));
      const cells = header.map((_, i) => shown[i] ?? tableCellText(vals[i + 1], next.value.getCell(i + 1).numFmt, date1904));
      const row: TableRow = { line: next.value.number, cells };
      const notDate = header.findIndex((_, i) => notADate(vals[i + 1]));
      const error = errors.size === 0 ? -1 : header.findIndex((_, i) => errors.has(`${columnLetter(i + 1)}${next.value.number}`));
      const monthFirst = shown.findIndex((t) => t !== null);
      if (notDate >= 0) row.problem = notADateProblem(header[notDate]!);
      else if (error >= 0) row.problem = cellErrorProblem(header[error]!, errors.get(`${columnLetter(error + 1)}${next.value.number}`)!);
      else if (monthFirst >= 0) row.problem = monthFirstProblem(header[monthFirst]!);
      // exceljs's streaming reader sometimes hands back an unresolved shared-string reference for workbooks whose
      // zip entries are stored uncompressed: better a reject that says so than "[object Object]" in the data.
      else if (vals.some((v) => typeof v === 'object' && v !== null && 'sharedString' in v))
        row.problem = 'a cell could not be read (unresolved shared string); open and save the file in Excel, then import again';
      else if (vals.length - 1 > header.length && vals.slice(header.length + 1).some((v) => cellText(v).trim() !== ''))
        row.problem = `has values beyond the ${header.length} header columns`;
      // As the CSV reader marks it (csv-scan.ts): Excel keeps a control character typed or pasted into a cell.
      else if (cells.some((c) => CONTROL.test(c))) row.control = true;
      // A row that only reads as empty (a formula filled down past the data giving "", cells of spaces) is no record,
      // as in a workbook read whole and a CSV: it was 'ma_so_bhxh is empty', once for every such row.
      else if (cells.every((c) => c.trim() === '')) continue;
      yield row;
    }
  }
  return withRows(header, inBatches(rows()));
}

/**
 * The reading thread's heap and time for a workbook read whole (read-thread.ts): exceljs builds every cell of it.
 * Measured (scripts/bench-read-workbooks.ts) at the XLSX_SMALL limit, 24 MB unpacked (43 000 rows of 12 columns):
 * read in 2.4 s with a heap of 208 MB at the least. Five times the heap and fifty times the time: a busy machine never
 * meets them, a workbook built to make the reader run away soon does.
 */
const XLSX_HEAP_MB = 1024;
const XLSX_READ_MS = 120_000;

/**
 * What a workbook read whole may hand back, as JSON, at most: twice what it may unpack to. Not twice what the file
 * itself unpacks to: a merged cell's value is repeated on every row it covers, which the file does not hold (unit
 * names of 130 characters merged down 10 000 rows read as 2.08 times the file).
 */
const XLSX_RESULT_BYTES = 2 * XLSX_SMALL;

export async function readSmallInThread(file: string, given: Partial<ThreadLimits> = {}): Promise<SmallWorkbook> {
  const limits: ThreadLimits = { heapMb: XLSX_HEAP_MB, timeoutMs: XLSX_READ_MS, maxResultBytes: XLSX_RESULT_BYTES, ...given };
  const read = await readInThread<SmallWorkbook>(new URL('./read-xlsx.ts', import.meta.url), 'readSmallXlsx', file, limits);
  if (read.ok) return read.value;
  if ('limit' in read) {
    throw new UserError(
      `${file} ${limitMet(read.limit, limits)}; save the sheet as "CSV UTF-8 (comma delimited)" and import the CSV (a CSV is read in a stream, whatever its size)`,
    );
  }
  if (read.error.user) throw new UserError(read.error.message);
  throw new Error(read.error.message);
}

/**
 * The formula cells of a sheet's XML that hold no value (`<c r="B2"><f>…</f></c>`, no `<v>`): how many, and where the
 * first is. Null when there are none. Excel and LibreOffice always keep a formula's last value, `<v></v>` for an
 * empty text.
 */
export function uncomputedFormulas(xml: Buffer): { count: number; first: string } | null {
  let count = 0;
  let first = '';
  // `[^<>]*`, `[^<]*`: never past the next tag, linear on any text.
  for (const m of xml.toString('latin1').matchAll(/<(?:\w+:)?c\b([^<>]*)>\s*<(?:\w+:)?f\b[^<>]*(?:\/>|>[^<]*<\/(?:\w+:)?f>)\s*<\/(?:\w+:)?c>/g)) {
    if (count++ === 0) first = /(?:^|\s)r\s*=\s*["']([^"']*)["']/.exec(m[1]!)?.[1] ?? '?';
  }
  return count ? { count, first } : null;
}

/** The cells of a sheet's XML that show an error (`t="e"`), by address (`B2`), with the error's code (`#N/A`). */
export function errorsOf(xml: Buffer): Map<string, string> {
  const found = new Map<string, string>();
  const text = xml.toString('latin1');
  if (!/\st\s*=\s*["']e["']/.test(text)) return found;
  // Blanks between the tags (a sheet written indented, by a program other than Excel) as none.
  for (const m of text.matchAll(/<(?:\w+:)?c\b([^<>]*)>\s*(?:<(?:\w+:)?f\b[^<>]*(?:\/>|>[^<]*<\/(?:\w+:)?f>)\s*)?<(?:\w+:)?v>([^<]*)</g)) {
    if (!/(?:^|\s)t\s*=\s*["']e["']/.test(m[1]!)) continue;
    const ref = /(?:^|\s)r\s*=\s*["']([A-Za-z]+\d+)["']/.exec(m[1]!)?.[1];
    if (ref) found.set(ref.toUpperCase(), m[2]!);
  }
  return found;
}

/**
 * The N of xl/worksheets/sheetN.xml of a workbook's first visible sheet, in the order of its tabs (workbook.xml and
 * its relationships); 'none' when every sheet is hidden; null when the workbook does not say so in that form.
 */
export function firstVisibleSheetPart(workbook: string | undefined, rels: string | undefined): number | 'none' | null {
  if (workbook === undefined || rels === undefined) return null;
  const sheets = [...workbook.matchAll(/<(?:\w+:)?sheet\b([^>]*)>/g)].map((m) => m[1]!);
  if (sheets.length === 0) return null;
  const visible = sheets.find((a) => !/\bstate\s*=\s*["'](?:hidden|veryHidden)["']/.test(a));
  if (visible === undefined) return 'none';
  const id = /\s\w+:id\s*=\s*["']([^"']+)["']/.exec(visible)?.[1];
  for (const m of rels.matchAll(/<(?:\w+:)?Relationship\b([^>]*)>/g)) {
    if (/\sId\s*=\s*["']([^"']+)["']/.exec(m[1]!)?.[1] !== id) continue;
    const n = /["'/]worksheets\/sheet(\d+)\.xml["']/.exec(m[1]!)?.[1];
    return n === undefined ? null : Number(n);
  }
  return null;
}

async function* inBatches(rows: AsyncIterable<TableRow>, size = 1000): AsyncGenerator<TableRow[]> {
  let batch: TableRow[] = [];
  for await (const r of rows) {
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
