import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'fast-csv';
import type ExcelJS from 'exceljs';
import { UserError } from '../errors.js';
import { cellText } from '../reports/cell-text.js';

/** One data row of an input table: its line (1 = header) and the cells as text, in header order. */
export interface TableRow {
  line: number;
  cells: string[];
  /** Why the row cannot be read at all (wrong number of fields, undecodable bytes). */
  problem?: string;
}

export interface Table {
  header: string[];
  rows: AsyncIterable<TableRow>;
}

const REPLACEMENT_CHAR = '\uFFFD';

/** Streams a CSV (UTF-8) or the first sheet of an .xlsx file. Never holds the whole file in memory. */
export async function openTable(file: string): Promise<Table> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.xlsx') return openXlsx(file);
  if (ext === '.xls') throw new UserError(`${file}: the old .xls format is not supported; save it as .xlsx or CSV UTF-8`);
  return openCsv(file);
}

async function sniff(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new UserError(`cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function openCsv(file: string): Promise<Table> {
  const head = await sniff(file);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new UserError(`${file} is UTF-16 text; save it as "CSV UTF-8 (comma delimited)" and import again`);
  }
  const parser = createReadStream(file).pipe(parse<string[], string[]>({ headers: false, ignoreEmpty: false }));
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let line = 0;
  let first: string[] | undefined;
  // The header is the first non-blank line.
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    line += 1;
    if (next.value.some((c) => c.trim() !== '')) {
      first = next.value;
      break;
    }
  }
  if (!first) throw new UserError(`${file} is empty: expected a header row and data rows`);
  const header = first.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase());
  const headerLine = line;
  async function* rows(): AsyncGenerator<TableRow> {
    let n = headerLine;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      n += 1;
      const cells = next.value;
      if (cells.every((c) => c.trim() === '')) continue;
      const row: TableRow = { line: n, cells };
      if (cells.length !== header.length) row.problem = `has ${cells.length} fields, the header has ${header.length}`;
      else if (cells.some((c) => c.includes(REPLACEMENT_CHAR)))
        row.problem = 'contains bytes that are not UTF-8; save the file as "CSV UTF-8"';
      yield row;
    }
  }
  return { header, rows: rows() };
}

// Lives with the forms, which read returned Mẫu 02 cells with it too; the forms sit below the pipeline.
export { cellText } from '../reports/cell-text.js';

async function openXlsx(file: string): Promise<Table> {
  await sniff(file);
  // Loaded only when a workbook is read: exceljs costs more than half a second at every start otherwise.
  const { default: Excel } = await import('exceljs');
  const reader = new Excel.stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
  });
  const sheets = reader[Symbol.asyncIterator]();
  const sheet = await sheets.next().catch((err: unknown) => {
    throw new UserError(`${file} is not a readable .xlsx workbook: ${(err as Error).message}`, { cause: err });
  });
  if (sheet.done) throw new UserError(`${file} has no worksheet`);
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
  const header = values.slice(1).map((v) => cellText(v).trim().toLowerCase());
  async function* rows(): AsyncGenerator<TableRow> {
    for (;;) {
      const next = await rowsIt.next();
      if (next.done) return;
      if (!next.value.hasValues) continue;
      const vals = next.value.values as ExcelJS.CellValue[];
      const cells = header.map((_, i) => cellText(vals[i + 1]));
      const row: TableRow = { line: next.value.number, cells };
      // exceljs's streaming reader sometimes hands back an unresolved shared-string reference for workbooks whose
      // zip entries are stored uncompressed: better a reject that says so than "[object Object]" in the data.
      if (vals.some((v) => typeof v === 'object' && v !== null && 'sharedString' in v))
        row.problem = 'a cell could not be read (unresolved shared string); open and save the file in Excel, then import again';
      else if (vals.length - 1 > header.length && vals.slice(header.length + 1).some((v) => cellText(v).trim() !== ''))
        row.problem = `has values beyond the ${header.length} header columns`;
      yield row;
    }
  }
  return { header, rows: rows() };
}
