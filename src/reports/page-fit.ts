// Where the printed pages of a form end, estimated from its row heights, so that one manual page break keeps the
// signatures with the end of the table: an official form's signature page never stands alone, it carries the last
// rows. Excel and LibreOffice break pages themselves (fit to the page width, as many pages tall as needed), each by
// its own measure of the sheet; the break before the signatures' page makes that page the same in both.
import type ExcelJS from 'exceljs';

/** Rows of the table printed with the notes and signatures, when they do not fit under the table's last page. */
export const KEEP_ROWS = 3;
/**
 * Points under the signers' titles and hints that must be on their page, to sign and stamp in: half the forms'
 * 60-point row (list-layout.ts SIGNING_ROOM), the rest may run into the bottom margin.
 */
const ROOM_TO_SIGN = 30;

/** A4 in points, short and long side (the forms' paperSize 9). */
const A4 = { short: 595.28, long: 841.89 };
const INCH = 72;

/**
 * Column widths count the default font's digits (Calibri 11). LibreOffice prints a width unit as Carlito's digit,
 * 5.575 pt, and every column a little wider (0.36 pt, measured); its footer line takes 10.2 pt above the footer
 * margin. Measured from its PDFs of the forms (LibreOffice 7.4 with Carlito, Calibri's metric twin; without it a
 * wider substitute makes the sheet print smaller, so more fits on a page).
 */
const LIBREOFFICE = { unit: 5.575, perColumn: 0.36, footerLine: 10.2 };
/** Excel: 7 px (5.25 pt) a width unit at 96 dpi, the sheet scaled by whole percents. Computed, not measured here. */
const EXCEL_UNIT = 5.25;
/** Room left for what neither estimate sees: a font's metrics, row heights rounded to pixels or twips. */
const SAFETY = 0.98;

/**
 * LibreOffice rounds each column's width its own way (the escalation list's page held 1.5 points less than the
 * widths above give): the estimate of where its pages end is kept this much short, so that a break put there is
 * never after LibreOffice's own (which would leave a row alone on a page before it), only a row or so before it on
 * a long list (a page a little less full).
 */
const LIBREOFFICE_SHORT = 0.995;

/**
 * Points of the sheet (row heights as written, before the fit to the page width scales them) that one printed
 * page holds: `natural` as LibreOffice breaks pages, a little short; `safe`, what fits on a page in Excel and
 * LibreOffice alike, with room to spare.
 */
export interface PageRoom {
  natural: number;
  safe: number;
}

export function pageRoom(widths: readonly number[], page: Partial<ExcelJS.PageSetup>): PageRoom {
  // Excel's own margins where none are set.
  // Stryker disable next-line LogicalOperator,ObjectLiteral: every form's page setup has margins (styles.ts printSetup)
  const m = page.margins ?? { left: 0.7, right: 0.7, top: 0.75, bottom: 0.75, header: 0.3, footer: 0.3 };
  const landscape = page.orientation === 'landscape';
  const paperWidth = landscape ? A4.long : A4.short;
  const paperHeight = landscape ? A4.short : A4.long;
  const printable = paperWidth - (m.left + m.right) * INCH;
  const total = widths.reduce((s, w) => s + w, 0);

  const loScale = Math.min(1, printable / (total * LIBREOFFICE.unit + widths.length * LIBREOFFICE.perColumn));
  const loBody = paperHeight - (m.top + m.footer) * INCH - LIBREOFFICE.footerLine;
  const excelScale = Math.min(100, Math.floor((100 * printable) / (total * EXCEL_UNIT))) / 100;
  const excelBody = paperHeight - (m.top + m.bottom) * INCH;

  const natural = (loBody / loScale) * LIBREOFFICE_SHORT;
  return { natural, safe: Math.min(natural, excelBody / excelScale) * SAFETY };
}

/**
 * The table's rows as they fill the printed pages, one row at a time (a list can hold tens of thousands: only the
 * page being filled and the last few rows are kept). `above`: the points above the first row of the table on the
 * first page (title, unit lines, the table head); `titles`: the head rows repeated at the top of every other page.
 */
export class TablePages {
  private used: number; // points of the page being filled
  private pages = 1;
  private rows = 0;
  private firstOnPage = 1; // the page's first row, counting the table's rows from 1
  private readonly lastHeights: number[] = [];

  constructor(
    private readonly room: PageRoom,
    above: number,
    private readonly titles: number,
  ) {
    this.used = above;
  }

  add(height: number): void {
    this.rows += 1;
    // A row that does not fit goes to the next page, under the repeated head; one that fits no page is cut there.
    if (this.used + height > this.room.natural && this.used > this.titles) {
      this.pages += 1;
      this.firstOnPage = this.rows;
      this.used = this.titles;
    }
    this.used += height;
    this.lastHeights.push(height);
    if (this.lastHeights.length > KEEP_ROWS) this.lastHeights.shift();
  }

  /**
   * The table row (from 1) before which a manual page break puts the signatures' page, given the points of what
   * is printed under the table down to the signers' hints (notes, date line, titles); null when the whole form fits
   * on one page, or the table is one row (the first page keeps a row of the table under its title). On a longer
   * form the break is always there: where LibreOffice breaks anyway when the last page also holds what is under
   * the table and at least KEEP_ROWS rows, so that the last page is fixed whatever the reader's own pagination;
   * else before the last KEEP_ROWS rows (fewer when they are very tall), so they go over with the signatures.
   */
  breakBefore(below: number): number | null {
    const block = below + ROOM_TO_SIGN;
    // As LibreOffice prints (measured), not the safer estimate with Excel's: by that one, forms that fitted one
    // page with room to sign went to two, one person on each (a review printed them).
    if (this.used + block <= this.room.natural) {
      if (this.pages === 1) return null;
      if (this.rows - this.firstOnPage + 1 >= KEEP_ROWS) return this.firstOnPage;
    }
    if (this.rows < 2) return null;
    let from = Math.max(this.rows - this.lastHeights.length + 1, 2);
    let height = this.lastHeights.slice(from - this.rows - 1).reduce((s, h) => s + h, 0);
    // Fewer rows when they are so tall that all of them would not fit with the signatures.
    while (from < this.rows && this.titles + height + block > this.room.safe) {
      height -= this.lastHeights[this.lastHeights.length - 1 - (this.rows - from)]!;
      from += 1;
    }
    return from;
  }
}
