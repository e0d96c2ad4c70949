// Reads a Mẫu 02 that a unit filled in and sent back (Plan II.4). The form and the unit are recognised from
// the sheet itself — the form number, the title, the `Mã đơn vị:` line — and the columns from the numbered
// row `(1) … (14)`, so a sheet that gained a row above the table or was re-saved by LibreOffice still reads.
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { UserError } from '../errors.js';
import { cellText } from './cell-text.js';
import { INPUT_COLUMNS } from './mau02.js';

export interface ReturnedRow {
  line: number; // row number in the sheet
  maSoBhxh: string; // column (2)
  name: string; // (10)
  dob: string; // (11)
  sex: string; // (12)
  number: string; // (13)
}

export interface ReturnedForm {
  unit: string; // Mã đơn vị
  rows: AsyncIterable<ReturnedRow>;
}

/** How far down the table head may be. */
const HEAD_SEARCH_ROWS = 60;
const FORM_NO = /^mẫu số\s*0?2$/i;
const TITLE_PART = 'CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ';
const UNIT_LINE = /^mã đơn vị\s*:\s*(.*)$/i;
const COLUMN_NO = /^\((\d{1,2})\)$/;
// What follows the table: the notes, the place-and-date line, the signatures.
const FOOTER = /^ghi chú|, ngày \S+ tháng \S+ năm \S+$|^người lập biểu$|^thủ trưởng đơn vị$|^\(ký, ghi rõ/i;

const text = (v: ExcelJS.CellValue): string => cellText(v).normalize('NFC').trim();

async function checkReadable(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new UserError(`cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, 0);
  await handle.close();
  if (head.toString('latin1') !== 'PK') {
    throw new UserError(`${file} is not an .xlsx workbook; save the returned Mẫu 02 as "Excel Workbook (.xlsx)" and import it again`);
  }
}

/**
 * Reads the whole workbook at once: a returned Mẫu 02 holds one unit's unmatched people, and the full reader
 * goes by the zip's central directory, which every producer writes correctly. (exceljs's streaming reader
 * misreads, now and then, entries stored with a data descriptor.)
 */
export async function openReturnedMau02(file: string): Promise<ReturnedForm> {
  await checkReadable(file);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(file);
  } catch (err) {
    throw new UserError(`${file} is not a readable .xlsx workbook: ${(err as Error).message}`, { cause: err });
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new UserError(`${file} has no worksheet`);
  const last = ws.rowCount;
  const valuesOf = (n: number) => ws.getRow(n).values as ExcelJS.CellValue[];

  let formNo = false;
  let title = false;
  let unit: string | null = null;
  let columns: Map<number, number> | null = null; // column number on the form → sheet column
  let numberedRow = 0;
  for (let n = 1; n <= Math.min(last, HEAD_SEARCH_ROWS) && !columns; n++) {
    const values = valuesOf(n);
    const numbered = new Map<number, number>();
    for (let c = 1; c < values.length; c++) {
      const t = text(values[c]);
      if (t === '') continue;
      if (FORM_NO.test(t)) formNo = true;
      if (t.toLocaleUpperCase('vi').includes(TITLE_PART)) title = true;
      const u = UNIT_LINE.exec(t);
      if (u && unit === null) unit = u[1]!.trim();
      const no = COLUMN_NO.exec(t);
      if (no) numbered.set(Number(no[1]), c);
    }
    if ([2, ...Object.values(INPUT_COLUMNS)].every((k) => numbered.has(k))) {
      columns = numbered;
      numberedRow = n;
    }
  }
  if (!formNo || !title) {
    throw new UserError(`${file} is not a Mẫu số 02 (no "Mẫu số 02" and list title at the top of its first sheet); import the list that \`ddcn lists\` wrote`);
  }
  if (!unit) throw new UserError(`${file}: the "Mã đơn vị:" line above the table is missing or empty`);
  if (!columns) throw new UserError(`${file}: no row numbering the columns (1) … (14) above the table`);
  const col = columns;
  const at = (values: ExcelJS.CellValue[], k: number) => text(values[col.get(k)!]);

  async function* rows(): AsyncGenerator<ReturnedRow> {
    for (let n = numberedRow + 1; n <= last; n++) {
      const values = valuesOf(n);
      // The notes and signatures under the table are not people: the table ends where they begin.
      if (values.some((v) => FOOTER.test(text(v)))) return;
      yield {
        line: n,
        maSoBhxh: at(values, 2),
        name: at(values, INPUT_COLUMNS.name),
        dob: at(values, INPUT_COLUMNS.dob),
        sex: at(values, INPUT_COLUMNS.sex),
        number: at(values, INPUT_COLUMNS.number),
      };
    }
  }
  return { unit, rows: rows() };
}
