// How much a worksheet makes a reader build, read from its XML before the reader sees it. exceljs builds every cell
// of a merged range and a row object for every row number up to the last: a 6.8 KB returned Mẫu 02 with one
// `<mergeCell ref="A20:XFD1048576"/>` took the portal to 4 GB and out of memory, a single cell at row 1 048 576 cost
// 16 s and 1.5 GB, one at column XFD a 16 384-wide row; a data validation over a whole sheet, one model entry per
// cell (minutes, gigabytes). No unpacked-size limit bounds that. Hand-written: a scan
// of the part's text for three attributes (~10 ms per MB), where an XML parser would be the very cost avoided.

export interface SheetExtent {
  rows: number; // the highest row number, or the count of rows written without one
  columns: number; // the highest column number a cell names
  merged: number; // cells inside merged ranges, all ranges together
  validated: number; // cells under data validations: exceljs keeps one entry per cell of each range
}

const column = (letters: string) => [...letters].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);

export function sheetExtent(xml: Buffer): SheetExtent {
  const text = xml.toString('latin1'); // the attributes are ASCII; names and values are not read
  let rows = 0;
  let rowElements = 0;
  for (const m of text.matchAll(/<row\b([^>]*)>/g)) {
    rowElements += 1;
    const r = /\br="(\d+)"/.exec(m[1]!);
    if (r) rows = Math.max(rows, Number(r[1]));
  }
  let columns = 0;
  for (const m of text.matchAll(/<c\b[^>]*?\br="([A-Z]{1,3})\d+"/g)) columns = Math.max(columns, column(m[1]!));
  let merged = 0;
  for (const m of text.matchAll(/<mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"/g)) {
    const [c1, r1] = [column(m[1]!), Number(m[2])];
    const [c2, r2] = m[3] ? [column(m[3]), Number(m[4])] : [c1, r1];
    merged += (Math.abs(c2 - c1) + 1) * (Math.abs(r2 - r1) + 1);
    rows = Math.max(rows, r1, r2);
    columns = Math.max(columns, c1, c2);
  }
  let validated = 0;
  for (const m of text.matchAll(/<dataValidation\b[^>]*?\bsqref="([^"]*)"/g)) {
    for (const range of m[1]!.trim().split(/\s+/)) {
      const r = /^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$/.exec(range);
      if (!r) continue;
      const [c1, r1] = [column(r[1]!), Number(r[2])];
      const [c2, r2] = r[3] ? [column(r[3]), Number(r[4])] : [c1, r1];
      validated += (Math.abs(c2 - c1) + 1) * (Math.abs(r2 - r1) + 1);
    }
  }
  return { rows: Math.max(rows, rowElements), columns, merged, validated };
}

/** The parts of an .xlsx that are worksheets. */
export const isWorksheet = (name: string) => /^xl\/worksheets\/[^/]+\.xml$/i.test(name);
