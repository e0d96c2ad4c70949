// The worksheet XML around the rows: what comes before <sheetData> (views, columns) and after it (merges,
// validation, printing), in the order the schema requires.
import type ExcelJS from 'exceljs';
import { columnLetter, type CellValue } from '../list-form.js';
import type { SharedStrings } from './shared-strings.js';
import { NS, XML_DECLARATION, xmlAttr, xmlText } from './xml.js';

/**
 * One cell. A string is always a string cell, whatever it looks like: "=1+1", "+84…", "@x" or "-5" is text,
 * never a formula or a number. An empty string is an empty cell, as Excel keeps it.
 */
export function cellXml(ref: string, style: number, value: CellValue, strings: SharedStrings): string {
  if (value === null || value === '') return `<c r="${ref}" s="${style}"/>`;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? `<c r="${ref}" s="${style}"><v>${value}</v></c>` : `<c r="${ref}" s="${style}"/>`;
  }
  return `<c r="${ref}" s="${style}" t="s"><v>${strings.id(value)}</v></c>`;
}

/** Rows without a height of their own (`defaultRowHeight`): one line of 11 pt text. */
export const DEFAULT_ROW_HEIGHT = 15;

export interface SheetFrame {
  widths: number[]; // characters, one per column
  /** Columns and rows kept in view when scrolling: the pane is frozen right of and below them. */
  frozenColumns: number;
  frozenRows: number;
  page: Partial<ExcelJS.PageSetup>;
  footer: string; // header/footer codes: `&C…&P/&N`
}

function paneXml(xSplit: number, ySplit: number): string {
  if (xSplit === 0 && ySplit === 0) return '';
  const pane = ySplit > 0 ? (xSplit > 0 ? 'bottomRight' : 'bottomLeft') : 'topRight';
  const topLeft = `${columnLetter(xSplit + 1)}${ySplit + 1}`;
  const x = xSplit > 0 ? ` xSplit="${xSplit}"` : '';
  const y = ySplit > 0 ? ` ySplit="${ySplit}"` : '';
  return `<pane${x}${y} topLeftCell="${topLeft}" activePane="${pane}" state="frozen"/><selection pane="${pane}"/>`;
}

/** From the XML declaration to the opening <sheetData>. */
export function sheetStart(f: SheetFrame): string {
  const cols = f.widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join('');
  return (
    `${XML_DECLARATION}<worksheet xmlns="${NS.main}" xmlns:r="${NS.rel}">` +
    (f.page.fitToPage ? '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' : '') +
    `<sheetViews><sheetView workbookViewId="0">${paneXml(f.frozenColumns, f.frozenRows)}</sheetView></sheetViews>` +
    `<sheetFormatPr defaultRowHeight="${DEFAULT_ROW_HEIGHT}"/><cols>${cols}</cols><sheetData>`
  );
}

function validationXml(range: string, v: ExcelJS.DataValidation): string {
  const flag = (name: string, on: boolean | undefined) => (on ? ` ${name}="1"` : '');
  const text = (name: string, s: string | undefined) => (s === undefined ? '' : ` ${name}="${xmlAttr(s)}"`);
  const attrs =
    ` type="${v.type}"` +
    (v.operator && v.operator !== 'between' ? ` operator="${v.operator}"` : '') + // between is the default
    flag('allowBlank', v.allowBlank) +
    flag('showInputMessage', v.showInputMessage) +
    text('promptTitle', v.promptTitle) +
    text('prompt', v.prompt) +
    flag('showErrorMessage', v.showErrorMessage) +
    text('errorStyle', v.errorStyle) +
    text('errorTitle', v.errorTitle) +
    text('error', v.error) +
    ` sqref="${range}"`;
  const formulae = (v.formulae ?? []).slice(0, 2).map((f, i) => `<formula${i + 1}>${xmlText(String(f))}</formula${i + 1}>`).join('');
  return `<dataValidation${attrs}>${formulae}</dataValidation>`;
}

/**
 * A manual page break under each row of `breaksAfter` (as exceljs's addPageBreak writes it: the `id` of a break is
 * the 1-based row above it, which is the 0-based row below it); across every column.
 */
function rowBreaksXml(breaksAfter: readonly number[]): string {
  if (breaksAfter.length === 0) return '';
  const n = breaksAfter.length;
  return `<rowBreaks count="${n}" manualBreakCount="${n}">${breaksAfter.map((r) => `<brk id="${r}" max="16383" man="1"/>`).join('')}</rowBreaks>`;
}

/** From the closing </sheetData> to the end. */
export function sheetEnd(
  f: SheetFrame,
  merges: readonly string[],
  validations: ReadonlyArray<[string, ExcelJS.DataValidation]>,
  breaksAfter: readonly number[] = [],
): string {
  const p = f.page;
  const m = p.margins;
  const num = (name: string, n: number | undefined) => (n === undefined ? '' : ` ${name}="${n}"`);
  return (
    '</sheetData>' +
    (merges.length ? `<mergeCells count="${merges.length}">${merges.map((r) => `<mergeCell ref="${r}"/>`).join('')}</mergeCells>` : '') +
    (validations.length ? `<dataValidations count="${validations.length}">${validations.map(([r, v]) => validationXml(r, v)).join('')}</dataValidations>` : '') +
    (p.horizontalCentered || p.verticalCentered
      ? `<printOptions${p.horizontalCentered ? ' horizontalCentered="1"' : ''}${p.verticalCentered ? ' verticalCentered="1"' : ''}/>`
      : '') +
    (m ? `<pageMargins left="${m.left}" right="${m.right}" top="${m.top}" bottom="${m.bottom}" header="${m.header}" footer="${m.footer}"/>` : '') +
    `<pageSetup${num('paperSize', p.paperSize)}${p.orientation ? ` orientation="${p.orientation}"` : ''}` +
    `${num('fitToWidth', p.fitToWidth)}${num('fitToHeight', p.fitToHeight)}/>` +
    `<headerFooter><oddFooter>${xmlText(f.footer)}</oddFooter></headerFooter>` +
    rowBreaksXml(breaksAfter) +
    '</worksheet>'
  );
}
