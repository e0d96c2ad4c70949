// The printed form around the table of people: office, form number, title and unit lines above; the two-level
// head and the numbered row (1)…(n); the notes, the date line and the signatures below.
import type { CellValue, FormColumn, ListForm } from './list-form.js';
import type { ListFileSpec } from './list-row.js';
import { issuingOffices, officeBlockWidth, placeName } from './office.js';
import { S as STYLES } from './styles.js';
import { BLANK_PLACE_DATE_LINE, formatDate, placeDateLine, vnDate } from './vn-date.js';
import { Grid } from './xlsx/grid.js';
import { DEFAULT_ROW_HEIGHT } from './xlsx/sheet-parts.js';
import { STYLE_ID as S } from './xlsx/styles-xml.js';

type Form = ListForm<never>;

/** Columns from the left (or right) until their widths reach `chars`: where a block of text above the table goes. */
function span(form: Form, chars: number, fromRight = false): number {
  const widths = form.columns.map((c) => c.width);
  if (fromRight) widths.reverse();
  let sum = 0;
  // Stryker disable next-line EqualityOperator: one more step adds widths[length] ?? 0 = 0 to the sum
  for (let i = 0; i < widths.length; i++) {
    sum += widths[i] ?? 0;
    if (sum >= chars) return i + 1;
  }
  return widths.length;
}

/**
 * Rough line count of wrapped text in a cell `width` characters wide: each line break starts a line, and a line
 * longer than the cell wraps by characters, 10% over the count for words pushed whole to the next line. A line
 * that fits stays one line: a date of 10 characters in a column 11 wide is not two.
 * Runs for every cell of every person, so it walks the text instead of splitting it.
 */
export function lines(text: string, width: number): number {
  const room = Math.max(width - 1, 1);
  let n = 0;
  for (let from = 0; ; ) {
    const end = text.indexOf('\n', from);
    const length = (end < 0 ? text.length : end) - from;
    n += length <= room ? 1 : Math.ceil((length * 1.1) / room);
    if (end < 0) return n;
    from = end + 1;
  }
}

/** Excel's ceiling on a row's height. */
const MAX_ROW_HEIGHT = 409;
/** Above and below the text of a row taller than one line, so the lines of two rows never touch. */
const ROW_PADDING = 3;

/** Points per line of text in `size` pt: 1.35 × the size, to the half point up (10 pt → 13.5, 11 → 15, 13 → 18). */
export const lineHeight = (size: number): number => Math.ceil(size * 2.7) / 2;

/**
 * Heights of the table's rows, one person each, from what is in them: the tallest wrapping cell's lines at its
 * column's width times the line height of its font, plus padding; never below the default height.
 */
export class RowHeights {
  private readonly widths: number[];
  private readonly perLine: number[]; // points per line; 0 where the column's style does not wrap

  constructor(columns: readonly FormColumn[]) {
    // Stryker disable next-line OptionalChaining: every style in styles.ts has a font
    const size = (c: FormColumn) => STYLES[c.style].font?.size ?? 11;
    // Widths count characters of the 11 pt default font; a column fits more of a smaller font's.
    this.widths = columns.map((c) => (c.width * 11) / size(c));
    // Stryker disable next-line OptionalChaining: every style in styles.ts has an alignment
    this.perLine = columns.map((c) => (STYLES[c.style].alignment?.wrapText ? lineHeight(size(c)) : 0));
  }

  /** Points for a row of `values` (in column order). */
  of(values: readonly CellValue[]): number {
    let need = 0;
    // Stryker disable next-line EqualityOperator: the extra step reads values[length], undefined, which is skipped as not text
    for (let c = 0; c < this.perLine.length; c++) {
      const v = values[c];
      const perLine = this.perLine[c]!;
      // Numbers are not wrapped (a narrow column shows ###), so only text counts.
      // Stryker disable next-line ConditionalExpression: a column that does not wrap has perLine 0, so its height is 0 whatever its lines
      if (typeof v !== 'string' || perLine === 0) continue;
      const h = lines(v, this.widths[c]!) * perLine;
      // Stryker disable next-line EqualityOperator: taking a maximum: equal heights give the same maximum
      if (h > need) need = h;
    }
    return need <= DEFAULT_ROW_HEIGHT ? DEFAULT_ROW_HEIGHT : Math.min(MAX_ROW_HEIGHT, need + ROW_PADDING);
  }
}

const totalWidth = (form: Form) => form.columns.reduce((s, c) => s + c.width, 0);

export interface Top {
  grid: Grid;
  headTop: number; // first row of the table head
  numbered: number; // the row (1)…(n); people start below it
}

export function topBlock(form: Form, spec: ListFileSpec): Top {
  const grid = new Grid();
  const n = form.columns.length;
  const intro = form.intro(spec);
  const headTop = 8 + intro.length;
  const numbered = headTop + form.headRows;
  const total = totalWidth(form);

  const [above, issuer] = issuingOffices(spec.unit.maTinh, spec.unit.maHuyen);
  const left = span(form, officeBlockWidth(above, issuer));
  const right = span(form, 18, true);
  grid.put(1, 1, above, S.office, left);
  if (form.formNo) grid.put(1, n - right + 1, form.formNo, S.formNo, right);
  grid.put(2, 1, issuer, S.officeBold, left);
  grid.put(3, 1, '――――――――', S.office, left);
  grid.put(5, 1, form.title, S.title, n);
  // 13 pt bold capitals: ~0.7 of them a width unit, as LibreOffice printed them (the escalation list's 122-character
  // title, 155 units wide, on two lines of which the first held 107; Mẫu 02's 109, 166 wide, on one). At 0.9 that
  // title was given one line's height, and its first line's accents were cut.
  grid.height(5, 18 * lines(form.title, total * 0.7) + 4);
  grid.put(6, 1, `(Số liệu đến ngày ${formatDate(vnDate(new Date(spec.issuedAt)))})`, S.subtitle, n);
  intro.forEach((text, i) => {
    grid.put(7 + i, 1, text, S.unitLine, n);
    // A unit's name or address longer than the line (150 characters of a branch's name, an address in an industrial
    // park) wraps, on a row as tall as its lines: on one row of one line it was cut at the form's right edge, in
    // print and on screen, and LibreOffice shrank the whole page to fit a still longer one.
    const need = lines(text, total);
    if (need > 1) grid.height(7 + i, need * lineHeight(12) + 2);
  });

  for (const h of form.head) grid.put(headTop + h.row, h.col, h.text, h.input ? S.headInput : S.head, h.cols ?? 1, h.rows ?? 1);
  for (let r = 0; r < form.headRows; r++) {
    const own = form.head.filter((h) => h.row === r && (h.rows ?? 1) === 1);
    const need = Math.max(1, ...own.map((h) => lines(h.text, form.columns.slice(h.col - 1, h.col - 1 + (h.cols ?? 1)).reduce((s, c) => s + c.width, 0))));
    grid.height(headTop + r, Math.max(20, 15 * need + 6));
  }
  for (let c = 1; c <= n; c++) grid.put(numbered, c, `(${c})`, S.numbered);
  return { grid, headTop, numbered };
}

/** Points under the signers' titles and hints, to sign and stamp in: the forms' last row, with no cells. */
export const SIGNING_ROOM = 60;

/** Notes and signatures, starting one row below the last person (`lastRow`); the last row is the room to sign. */
export function bottomBlock(form: Form, spec: ListFileSpec, lastRow: number): Grid {
  const grid = new Grid();
  const n = form.columns.length;
  const total = totalWidth(form);
  let r = lastRow + 2;
  grid.put(r++, 1, 'Ghi chú:', S.noteTitle, n);
  for (const note of form.notes) {
    grid.put(r, 1, note, S.note, n);
    grid.height(r++, lineHeight(11) * lines(note, total) + 4);
  }
  r += 1;
  const left = span(form, 36);
  const dateLine = form.datedOnIssue ? placeDateLine(placeName(spec.unit.maTinh, spec.unit.maHuyen), vnDate(new Date(spec.issuedAt))) : BLANK_PLACE_DATE_LINE;
  // Wide enough for the date line on one line (`Thành phố Hồ Chí Minh, ngày 30 tháng 12 năm 2024`: 48 characters).
  const right = span(form, Math.max(40, dateLine.length + 2), true);
  const rightCol = n - right + 1;
  grid.put(r++, rightCol, dateLine, S.signDate, right);
  const [signLeft, signRight] = form.signatures;
  grid.put(r, 1, signLeft.title, S.signTitle, left);
  grid.put(r++, rightCol, signRight.title, S.signTitle, right);
  grid.put(r, 1, signLeft.hint, S.signHint, left);
  grid.put(r++, rightCol, signRight.hint, S.signHint, right);
  grid.height(r, SIGNING_ROOM);
  return grid;
}
