// How much a part of a workbook makes a reader build, read from its XML before the reader sees it. exceljs builds
// every cell of a merged range, of a data validation's ranges and of a defined name's, a column object for every
// column of a `<col min max>`, a row object for every row number up to the last, and compares each merge with every
// earlier one: a 6.8 KB returned Mẫu 02 with one `<mergeCell ref="A20:XFD1048576"/>` took the portal to 4 GB and out
// of memory. No unpacked-size limit bounds that. Every part is looked into, whatever its name (exceljs finds its
// sheets by a pattern, the zip reader resolves `./` and `../`, a name can hide in an extra field), and attributes
// are read as an XML parser reads them: either quote, spaces around `=`, character references, `$` in addresses.
// Hand-written: a scan of the text (~10 ms per MB, linear: no pattern reads past the next `<`), where an XML parser
// would be the very cost avoided.

/** A sheet's last column and row (Excel's size): a range written without one reaches them. */
export const SHEET_COLUMNS = 16_384;
const SHEET_ROWS = 1_048_576;

export interface SheetExtent {
  rows: number; // the highest row number holding a cell, or the count of rows written without one
  columns: number; // the highest column number a cell or a range names
  columnDefinitions: number; // the highest column a `<col min max>` reaches: a column object each (LibreOffice writes to 1 024 or 16 384)
  merges: number; // merged ranges: exceljs compares each with every earlier one
  merged: number; // cells inside merged ranges
  validated: number; // cells under data validations (one model entry each)
  named: number; // cells inside defined names' ranges (each built as a cell)
}

/** `$A$1`, ` a1 `, `XFD1048576` → [column, row]; exceljs's decoder keeps capital letters and digits only. */
function address(raw: string): [number, number] | null {
  const m = /^([A-Z]{0,3})(\d*)$/.exec(raw.toUpperCase().replace(/[^A-Z0-9]/g, ''));
  if (!m || (!m[1] && !m[2])) return null;
  const column = [...m[1]!].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
  return [column, m[2] ? Number(m[2]) : 0];
}

/** The cells of `A1:B2`-like ranges (whole columns or rows count to the sheet's edge), and the furthest corner. */
function area(ranges: string[]): { cells: number; row: number; column: number } {
  let cells = 0;
  let row = 0;
  let column = 0;
  for (const range of ranges) {
    const [a, b = a] = range.split(':').map(address);
    if (!a || !b) continue;
    const c1 = a[0] || 1, c2 = b[0] || SHEET_COLUMNS, r1 = a[1] || 1, r2 = b[1] || SHEET_ROWS;
    cells += (Math.abs(c2 - c1) + 1) * (Math.abs(r2 - r1) + 1);
    row = Math.max(row, r1, r2);
    column = Math.max(column, c1, c2);
  }
  return { cells, row, column };
}

/**
 * The cells exceljs builds for a defined name's ranges (its DefinedNames.addEx): a range of whole columns (`$A:$N`,
 * no row number) is one entry, not a cell per row — LibreOffice names the range of an autofilter set on columns
 * selected by their headers `_xlnm._FilterDatabase` = `$A:$N`, and the returned Mẫu 02 of a clerk who did so was
 * refused as 14 680 064 cells in named ranges; a range of whole rows (`$11:$14`) one cell per row. Any other range,
 * or one whose ends differ in kind, counts all its cells (area).
 */
function namedCells(ranges: string[]): number {
  let cells = 0;
  for (const range of ranges) {
    const [a, b = a] = range.split(':').map(address);
    if (a && b && a[1] === 0 && b[1] === 0 && a[0] > 0 && b[0] > 0) cells += 1;
    else if (a && b && a[0] === 0 && b[0] === 0 && a[1] > 0 && b[1] > 0) cells += Math.abs(b[1] - a[1]) + 1;
    else cells += area([range]).cells;
  }
  return cells;
}

const attribute = (attrs: string, name: string): string | null =>
  new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs)?.slice(1).find((v) => v !== undefined) ?? null;

export function sheetExtent(xml: Buffer): SheetExtent {
  const text = xml
    .toString('latin1') // the attributes are ASCII; names and values are not read
    .replace(/&#x([0-9a-fA-F]{1,6});|&#(\d{1,7});/g, (_, hex: string | undefined, dec: string | undefined) => {
      const code = hex ? parseInt(hex, 16) : Number(dec);
      return code < 128 ? String.fromCharCode(code) : '?';
    });
  const e: SheetExtent = { rows: 0, columns: 0, columnDefinitions: 0, merges: 0, merged: 0, validated: 0, named: 0 };
  let rowElements = 0;
  // The number of the row being read: it counts once a cell is in it. An empty `<row r="1048576" ht="12.8"/>` builds
  // one row object, not a million: LibreOffice writes the sheet's last two rows so after a row is deleted, when the
  // sheet's default height is not its own (ddcn's 15 pt against its 12.8).
  let rowNumber = 0;
  // `[^<>]*`: a tag's attributes end at its `>`, and a pattern never reads past the next `<` (linear on any text).
  for (const m of text.matchAll(/<(?:\w+:)?(row|c|mergeCell|dataValidation|col|definedName)\b([^<>]*)>([^<]*)/g)) {
    const [, tag, attrs, body] = m as unknown as [string, string, string, string];
    if (tag === 'row') {
      rowElements += 1;
      const r = attribute(attrs, 'r');
      rowNumber = r === null ? rowNumber + 1 : (address(r)?.[1] ?? 0);
    } else if (tag === 'c') {
      const r = attribute(attrs, 'r');
      const at = r === null ? null : address(r);
      e.rows = Math.max(e.rows, rowNumber);
      if (at) [e.columns, e.rows] = [Math.max(e.columns, at[0]), Math.max(e.rows, at[1])];
    } else if (tag === 'col') {
      e.columnDefinitions = Math.max(e.columnDefinitions, Number(attribute(attrs, 'max') ?? 0) || 0, Number(attribute(attrs, 'min') ?? 0) || 0);
    } else if (tag === 'definedName') {
      // A print area or print titles goes to the page setup, not to cells (whole columns are common there).
      if (/^_xlnm\.Print_(Area|Titles)$/.test(attribute(attrs, 'name') ?? '')) continue;
      e.named += namedCells(body.match(/\$?[A-Za-z]{0,3}\$?\d*:\$?[A-Za-z]{0,3}\$?\d*/g) ?? []);
    } else {
      const a = area((attribute(attrs, tag === 'mergeCell' ? 'ref' : 'sqref') ?? '').trim().split(/\s+/).filter(Boolean));
      if (tag === 'mergeCell') [e.merges, e.merged] = [e.merges + 1, e.merged + a.cells];
      else e.validated += a.cells;
      [e.columns, e.rows] = [Math.max(e.columns, a.column), Math.max(e.rows, a.row)];
    }
  }
  e.rows = Math.max(e.rows, rowElements);
  return e;
}
