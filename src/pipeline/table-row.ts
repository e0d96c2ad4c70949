/** One data row of an input table: its line (1 = header) and the cells as text, in header order. */
export interface TableRow {
  line: number;
  cells: string[];
  /** Why the row cannot be read at all (wrong number of fields, undecodable bytes). */
  problem?: string;
  /** The record as it stood in the file, when the reader has it (CSV): what the import's change check hashes. */
  text?: string;
}
