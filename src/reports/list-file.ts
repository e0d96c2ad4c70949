// Writes one list file (Mẫu 01, Mẫu 02 or the escalation list) as SpreadsheetML assembled here: the parts every
// file shares are built once per thread, and a file costs its sheet, its strings and one zip. (Through exceljs a
// file cost ~5 ms before its first row; with ~40 000 files a run, that was most of `ddcn lists`.)
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import { PRIVATE_FILE_MODE } from '../make-folders.js';
import { HO_TRO } from './ho-tro.js';
import { bottomBlock, RowHeights, topBlock } from './list-layout.js';
import { columnLetter, type ListForm } from './list-form.js';
import type { FormKind, ListFileSpec } from './list-row.js';
import { MAU01 } from './mau01.js';
import { MAU02 } from './mau02.js';
import { pageRoom, TablePages } from './page-fit.js';
import { PAGE_FOOTER, printSetup } from './styles.js';
import { packageParts, SHEET_PART } from './xlsx/package-parts.js';
import { SharedStrings } from './xlsx/shared-strings.js';
import { cellXml, sheetEnd, sheetStart, type SheetFrame } from './xlsx/sheet-parts.js';
import { STYLE_ID } from './xlsx/styles-xml.js';
import { DeflatingEntry, zipArchive } from './xlsx/zip.js';
import type { Grid } from './xlsx/grid.js';

// The forms are generic over their row type; a writer only passes rows through to the form's own `cells`.
const FORMS: Record<FormKind, ListForm<never>> = { mau01: MAU01, mau02: MAU02, 'ho-tro': HO_TRO };

/** Sheet XML held before it is compressed: small files are compressed in one go, large ones in pieces. */
const PIECE_CHARS = 1 << 20;

/** Zip times are local times without a zone; the files are Vietnamese (UTC+7 all year). */
const VN_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * Makes the temporary file, never through what is already at its name (O_EXCL): a symbolic link put there (the pid is
 * easy to guess; a unit's folder may be shared with it) had the names and ID numbers written where it pointed, and
 * was then renamed into the list's place. Whatever an earlier process of the same pid left there (a SIGKILL) goes.
 */
function writeTemporary(tmp: string, zip: Buffer): void {
  try {
    writeFileSync(tmp, zip, { mode: PRIVATE_FILE_MODE, flag: 'wx' }); // names and ID numbers: not for every user
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    rmSync(tmp, { force: true });
    writeFileSync(tmp, zip, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  }
}

export class ListFileWriter {
  private stt = 0;
  private xml: string;
  private readonly sheet = new DeflatingEntry(SHEET_PART);
  private readonly strings = new SharedStrings();
  private readonly refs: string[]; // column letters
  private readonly styleIds: number[];
  private readonly heights: RowHeights;

  private constructor(
    readonly spec: ListFileSpec,
    private readonly form: ListForm<never>,
    private readonly frame: SheetFrame,
    private readonly top: Grid,
    private readonly firstDataRow: number,
    private readonly printTitles: string,
    private readonly pages: TablePages,
    private readonly tmp: string,
  ) {
    this.refs = form.columns.map((_, i) => columnLetter(i + 1));
    this.styleIds = form.columns.map((c) => STYLE_ID[c.style]);
    this.heights = new RowHeights(form.columns);
    this.xml = sheetStart(frame) + top.rowsXml(this.strings);
  }

  static open(spec: ListFileSpec): ListFileWriter {
    const form = FORMS[spec.form];
    const { grid, headTop, numbered } = topBlock(form, spec);
    const printTitles = `${headTop}:${numbered}`;
    const frame: SheetFrame = {
      widths: form.columns.map((c) => c.width),
      frozenColumns: form.frozenColumns,
      frozenRows: numbered,
      page: printSetup(printTitles),
      footer: PAGE_FOOTER.oddFooter,
    };
    const pages = new TablePages(pageRoom(frame.widths, frame.page), grid.points(1, numbered), grid.points(headTop, numbered));
    const tmp = `${spec.path}.${process.pid}-${threadId}.tmp`;
    return new ListFileWriter(spec, form, frame, grid, numbered + 1, printTitles, pages, tmp);
  }

  get path(): string {
    return this.spec.path;
  }

  /**
   * Appends people, one row each, Stt counting from 1. Each row gets the height its wrapped text needs: without
   * one, LibreOffice and the printout keep the default height and the lines run over the next person.
   */
  add(rows: readonly unknown[]): void {
    const { refs, styleIds, strings, heights } = this;
    const n = refs.length;
    for (const r of rows) {
      this.stt += 1;
      const values = this.form.cells(r as never, this.stt);
      const row = this.firstDataRow + this.stt - 1;
      const height = heights.of(values);
      this.pages.add(height);
      let xml = `<row r="${row}" ht="${height}" customHeight="1">`;
      for (let c = 0; c < n; c++) xml += cellXml(`${refs[c]}${row}`, styleIds[c]!, values[c] ?? null, strings);
      this.xml += `${xml}</row>`;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: when the sheet XML goes to the compressor changes memory and where deflate cuts, not the file's content
      if (this.xml.length >= PIECE_CHARS) this.flush();
    }
  }

  private flush(): void {
    this.sheet.write(this.xml);
    this.xml = '';
  }

  /**
   * Notes and signatures under the table, with a page break that keeps them on one page with the last rows:
   * the finished workbook, kept in memory (the portal's downloads).
   */
  bytes(): Buffer {
    const last = this.firstDataRow + this.stt - 1;
    const bottom = bottomBlock(this.form, this.spec, last);
    const validations = this.form.validations && this.stt > 0 ? this.form.validations(this.firstDataRow, last) : [];
    // Down to the signers' hints, the row above the room to sign.
    const breakBefore = this.pages.breakBefore(bottom.points(last + 1, bottom.lastRow - 1));
    const breaksAfter = breakBefore === null ? [] : [this.firstDataRow + breakBefore - 2];
    const rest = bottom.rowsXml(this.strings) + sheetEnd(this.frame, [...this.top.merges, ...bottom.merges], validations, breaksAfter);
    const sheet = this.sheet.finish(this.xml + rest);
    const strings = this.strings.finish();
    const issued = new Date(this.spec.issuedAt);
    return zipArchive([...packageParts(this.form.sheetName, this.printTitles, issued), strings, sheet], new Date(issued.getTime() + VN_OFFSET_MS));
  }

  /** The workbook finished (bytes()) and moved into place at the spec's path. */
  async close(): Promise<number> {
    try {
      const zip = this.bytes();
      // Written under a temporary name and renamed: a file with the final name is always complete. Synchronously:
      // writes run on worker threads, and for a small file the promise API's four round trips to the thread pool
      // (open, write, close, rename) cost more CPU than the writing.
      writeTemporary(this.tmp, zip);
      renameSync(this.tmp, this.spec.path);
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
