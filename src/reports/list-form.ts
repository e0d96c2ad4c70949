// What a list form is made of: the columns, the table head as the plan prints it, the cells of one person, the
// notes and the signatures. Mẫu 01, Mẫu 02 and the escalation list are values of this type.
import type ExcelJS from 'exceljs';
import type { StyleName } from './styles.js';
import type { ListFileSpec } from './list-row.js';

export interface FormColumn {
  width: number; // characters
  style: StyleName;
}

/** One cell of the table head; `row` counts from 0 at the first head row, `col` from 1. */
export interface HeadCell {
  row: number;
  col: number;
  rows?: number;
  cols?: number;
  text: string;
  input?: boolean; // a column the unit fills in
}

export type CellValue = string | number | null;

export interface Signature {
  title: string;
  hint: string;
}

export interface ListForm<R> {
  sheetName: string;
  formNo: string | null; // `Mẫu số 01`
  title: string;
  /** Lines between the title and the table (`Tên đơn vị: …`). */
  intro(spec: ListFileSpec): string[];
  columns: FormColumn[];
  head: HeadCell[];
  headRows: number;
  /** Columns kept in view when scrolling right. */
  frozenColumns: number;
  cells(row: R, stt: number): CellValue[];
  /** Data validation for the rows first…last, when the form has columns to fill in. */
  validations?(first: number, last: number): Array<[range: string, rule: ExcelJS.DataValidation]>;
  notes: string[];
  /** Date line: the issue date, or blank for the one who signs. */
  datedOnIssue: boolean;
  signatures: [left: Signature, right: Signature];
}

/** Column letter(s) for a 1-based column number. */
export function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}
