/** One data row of an input table: its line (1 = header) and the cells as text, in header order. */
export interface TableRow {
  line: number;
  cells: string[];
  /** Why the row cannot be read at all (wrong number of fields, undecodable bytes). */
  problem?: string;
  /** The record as it stood in the file, when the reader has it (CSV): what the import's change check hashes. */
  text?: string;
}

/**
 * The first row of a file whose header is wrong, for the error message: its cells when it is a header (it names a
 * known column, or none of its cells looks like data), else only that it looks like data. A file saved without its
 * header row has a person there, and names, numbers and e-mails never go into messages.
 */
export function firstRowForMessage(header: readonly string[], known: readonly string[]): string {
  if (header.length === 0) return '(nothing)';
  if (header.some((h) => known.includes(h)) || !looksLikeData(header)) return header.join(', ');
  return `a row of ${header.length} values that looks like data, not a header (is the header row missing?)`;
}

/**
 * Whether a first row holds what a header never does: a number of 4 digits or more standing alone (a year, a code)
 * or inside a value (6 or more), a date, an e-mail address.
 */
export function looksLikeData(cells: readonly string[]): boolean {
  return cells.some((cell) => /^\s*\d{4,}\s*$|\d{6,}|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|@/.test(cell));
}
