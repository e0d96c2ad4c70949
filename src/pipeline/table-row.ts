/** One data row of an input table: its line (1 = header) and the cells as text, in header order. */
export interface TableRow {
  line: number;
  cells: string[];
  /** Why the row cannot be read at all (wrong number of fields, undecodable bytes). */
  problem?: string;
  /** The record as it stood in the file, when the reader has it (CSV): what the import's change check hashes. */
  text?: string;
  /**
   * A cell holds a control character (CONTROL). Not a problem of the row: what it means is the reader's to decide
   * (a participant's key with one rejects the row, another value is not stored; a target's row is rejected).
   */
  control?: true;
}

/** C0 controls other than tab, and DEL: never part of a name, a code or an address. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** The first control character of `value` as a reject's reason says it, or undefined when it has none. */
export function controlIn(value: string): string | undefined {
  const m = CONTROL.exec(value);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0);
  return code === 0 ? 'a NUL byte' : `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why a row with a control character in a cell is rejected where any is (`field N contains …`), or undefined. */
export function controlProblem(cells: readonly string[]): string | undefined {
  for (let i = 0; i < cells.length; i++) {
    const what = controlIn(cells[i]!);
    if (what) return `field ${i + 1} contains ${what}`;
  }
  return undefined;
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
