// Writes one list file (Mẫu 01, Mẫu 02 or the escalation list) with exceljs's streaming writer: the layout of
// the printed form above and below the table, one committed row per person in between.
import { rename, rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { threadId } from 'node:worker_threads';
import ExcelJS from 'exceljs';
import { HO_TRO } from './ho-tro.js';
import type { CellValue, ListForm } from './list-form.js';
import type { FormKind, ListFileSpec } from './list-row.js';
import { MAU01 } from './mau01.js';
import { MAU02 } from './mau02.js';
import { officeName, PARENT_OFFICE, placeName } from './office.js';
import { PAGE_FOOTER, printSetup, S } from './styles.js';
import { BLANK_PLACE_DATE_LINE, formatDate, placeDateLine, vnDate } from './vn-date.js';

// The forms are generic over their row type; a writer only passes rows through to the form's own `cells`.
const FORMS: Record<FormKind, ListForm<never>> = { mau01: MAU01, mau02: MAU02, 'ho-tro': HO_TRO };

// Always deflated. Stored entries would save ~2 ms per small file, but archiver writes them with a data descriptor
// (sizes after the data), which streaming readers — exceljs's own WorkbookReader among them — misread now and then.
const ZIP = { zlib: { level: 6 } };

/** From this many rows a file streams to disk as it is written; smaller ones are assembled in memory, written once. */
const STREAM_FROM_ROWS = 5_000;

/** Collects a small workbook in memory: one write to disk instead of one per zip entry. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
  contents(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

type Sheet = ExcelJS.Worksheet;

/** Columns from the left (or right) until their widths reach `chars`: where a block of text above the table goes. */
function span(form: ListForm<never>, chars: number, fromRight = false): number {
  const widths = form.columns.map((c) => c.width);
  if (fromRight) widths.reverse();
  let sum = 0;
  for (let i = 0; i < widths.length; i++) {
    sum += widths[i] ?? 0;
    if (sum >= chars) return i + 1;
  }
  return widths.length;
}

/** Rough line count of wrapped text in a cell `width` characters wide. */
function lines(text: string, width: number): number {
  return text.split('\n').reduce((n, part) => n + Math.max(1, Math.ceil((part.length * 1.1) / Math.max(width - 1, 1))), 0);
}

function put(ws: Sheet, row: number, col: number, value: CellValue, style: Partial<ExcelJS.Style>, cols = 1, rows = 1): void {
  const cell = ws.getRow(row).getCell(col);
  if (value !== null) cell.value = value;
  cell.style = style;
  // Merged cells take the master's style at merge time, so borders run round the whole block.
  if (cols > 1 || rows > 1) ws.mergeCells(row, col, row + rows - 1, col + cols - 1);
}

export class ListFileWriter {
  private stt = 0;
  private readonly styles: Array<Partial<ExcelJS.Style>>;

  private constructor(
    private readonly spec: ListFileSpec,
    private readonly form: ListForm<never>,
    private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter,
    private readonly sheet: Sheet,
    private readonly firstDataRow: number,
    private readonly tmp: string,
    private readonly collector: Collector | null,
  ) {
    this.styles = form.columns.map((c) => S[c.style]);
  }

  static open(spec: ListFileSpec): ListFileWriter {
    const form = FORMS[spec.form];
    const n = form.columns.length;
    const issued = vnDate(new Date(spec.issuedAt));
    const tmp = `${spec.path}.${process.pid}-${threadId}.tmp`;
    const collector = spec.expectedRows < STREAM_FROM_ROWS ? new Collector() : null;
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      ...(collector ? { stream: collector } : { filename: tmp }),
      useStyles: true,
      useSharedStrings: true, // text cells as the shared strings Excel itself writes
      zip: ZIP,
    });
    workbook.creator = 'ddcn';
    workbook.created = new Date(spec.issuedAt);
    workbook.modified = workbook.created;

    const intro = form.intro(spec);
    const headTop = 8 + intro.length;
    const numbered = headTop + form.headRows;
    const sheet = workbook.addWorksheet(form.sheetName, {
      pageSetup: printSetup(`${headTop}:${numbered}`),
      views: [{ state: 'frozen', xSplit: form.frozenColumns, ySplit: numbered }],
      headerFooter: PAGE_FOOTER,
    });
    sheet.columns = form.columns.map((c) => ({ width: c.width }));
    const total = form.columns.reduce((s, c) => s + c.width, 0);

    const left = span(form, 40);
    const right = span(form, 18, true);
    put(sheet, 1, 1, PARENT_OFFICE, S.office, left);
    if (form.formNo) put(sheet, 1, n - right + 1, form.formNo, S.formNo, right);
    put(sheet, 2, 1, officeName(spec.unit.maTinh), S.officeBold, left);
    put(sheet, 3, 1, '――――――――', S.office, left);
    put(sheet, 5, 1, form.title, S.title, n);
    sheet.getRow(5).height = 18 * lines(form.title, total * 0.9) + 4;
    put(sheet, 6, 1, `(Số liệu đến ngày ${formatDate(issued)})`, S.subtitle, n);
    intro.forEach((text, i) => put(sheet, 7 + i, 1, text, S.unitLine, n));

    for (const h of form.head) {
      put(sheet, headTop + h.row, h.col, h.text, h.input ? S.headInput : S.head, h.cols ?? 1, h.rows ?? 1);
    }
    for (let r = 0; r < form.headRows; r++) {
      const own = form.head.filter((h) => h.row === r && (h.rows ?? 1) === 1);
      const need = Math.max(1, ...own.map((h) => lines(h.text, form.columns.slice(h.col - 1, h.col - 1 + (h.cols ?? 1)).reduce((s, c) => s + c.width, 0))));
      sheet.getRow(headTop + r).height = Math.max(20, 15 * need + 6);
    }
    for (let c = 1; c <= n; c++) put(sheet, numbered, c, `(${c})`, S.numbered);
    return new ListFileWriter(spec, form, workbook, sheet, numbered + 1, tmp, collector);
  }

  get path(): string {
    return this.spec.path;
  }

  get rows(): number {
    return this.stt;
  }

  /** Appends people; each row is committed to the stream at once. */
  add(rows: readonly unknown[]): void {
    const n = this.styles.length;
    for (const r of rows) {
      this.stt += 1;
      const values = this.form.cells(r as never, this.stt);
      const row = this.sheet.getRow(this.firstDataRow + this.stt - 1);
      for (let c = 0; c < n; c++) {
        const cell = row.getCell(c + 1);
        const v = values[c];
        // Strings stay strings: a name such as "=1+1" or "+84…" is stored as text, never as a formula.
        if (v !== null && v !== undefined) cell.value = v;
        cell.style = this.styles[c]!;
      }
      row.commit();
    }
  }

  /** Validation, notes and signatures under the table; then the file is finished and moved into place. */
  async close(): Promise<number> {
    try {
      const { form, sheet } = this;
      const n = form.columns.length;
      const last = this.firstDataRow + this.stt - 1;
      if (form.validations && this.stt > 0) {
        // The streaming worksheet has data validations; exceljs's typings only declare them on cells.
        const dv = (sheet as unknown as { dataValidations: { add(range: string, rule: ExcelJS.DataValidation): void } }).dataValidations;
        for (const [range, rule] of form.validations(this.firstDataRow, last)) dv.add(range, rule);
      }
      const total = form.columns.reduce((s, c) => s + c.width, 0);
      let r = last + 2;
      put(sheet, r++, 1, 'Ghi chú:', S.noteTitle, n);
      for (const note of form.notes) {
        put(sheet, r, 1, note, S.note, n);
        sheet.getRow(r++).height = 14 * lines(note, total * 1.1) + 2;
      }
      r += 1;
      const left = span(form, 36);
      const right = span(form, 40, true);
      const rightCol = n - right + 1;
      const dateLine = form.datedOnIssue
        ? placeDateLine(placeName(this.spec.unit.maTinh), vnDate(new Date(this.spec.issuedAt)))
        : BLANK_PLACE_DATE_LINE;
      put(sheet, r++, rightCol, dateLine, S.signDate, right);
      const [signLeft, signRight] = form.signatures;
      put(sheet, r, 1, signLeft.title, S.signTitle, left);
      put(sheet, r++, rightCol, signRight.title, S.signTitle, right);
      put(sheet, r, 1, signLeft.hint, S.signHint, left);
      put(sheet, r++, rightCol, signRight.hint, S.signHint, right);
      sheet.getRow(r).height = 60; // room to sign
      sheet.commit();
      await this.workbook.commit();
      // Written under a temporary name and renamed: a file with the final name is always complete.
      if (this.collector) await writeFile(this.tmp, this.collector.contents());
      await rename(this.tmp, this.spec.path);
      return this.stt;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Gives up on the file: nothing is left under its final name. */
  async abort(): Promise<void> {
    await rm(this.tmp, { force: true });
  }
}
