// What makes a returned Mẫu 02 row trustworthy before anything in it is applied (Plan II.4–II.5): its values are
// clean (no control or direction-changing characters, no Excel error values, within the form's lengths), and its
// columns (1)–(9) are still what we sent for the code in column (2). Column (2) alone is not enough: swapping it
// between two rows, or rewriting the unit line, would otherwise correct the wrong people.
import type { ListRow } from '../domain/list-row.js';
import { MAU02 } from '../reports/mau02.js';
import { INPUT_MAX, type ReturnedRow } from '../reports/read-mau02.js';

/**
 * C0 and C1 control characters (tabs and line breaks too: none belongs in a name, date, sex or number), the
 * bidirectional marks, embeddings, overrides and isolates (U+202E makes text read backwards on screen and on
 * paper), and the byte-order mark. Excel stores a control character as `_x0007_`, which exceljs hands over as
 * those seven characters: that form counts too.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|_x[0-9A-Fa-f]{4}_/u;

/** `text` without the characters UNSAFE finds (a file name a clerk's system gave, printed on a form). */
export const withoutUnsafe = (text: string): string => text.replace(new RegExp(UNSAFE.source, 'gu'), '');

/** The longest value each input column takes: the name as the form's own validation allows, the others by form. */
const MAX_CHARS: Record<10 | 11 | 12 | 13, number> = { 10: INPUT_MAX.name, 11: INPUT_MAX.dob, 12: INPUT_MAX.sex, 13: INPUT_MAX.number };
const LABEL: Record<10 | 11 | 12 | 13, string> = { 10: 'họ và tên', 11: 'ngày tháng năm sinh', 12: 'giới tính', 13: 'số ĐDCN' };

/** Why the row's own values cannot be taken, before they are read as a name, date, sex or number; [] when clean. */
export function unsafeValues(r: ReturnedRow): string[] {
  const reasons: string[] = [];
  if (r.errors.length) reasons.push(`Ô có giá trị lỗi của Excel ở cột ${r.errors.join(', ')}: ghi lại giá trị đúng`);
  if (r.dobProblem) reasons.push(`Cột (11) ngày sinh "${r.dob}": ${r.dobProblem}`);
  if (UNSAFE.test(r.maSoBhxh)) reasons.push('Cột (2) có ký tự điều khiển hoặc ký tự đổi chiều văn bản');
  const inputs: Array<[10 | 11 | 12 | 13, string]> = [[10, r.name], [11, r.dob], [12, r.sex], [13, r.number]];
  for (const [col, value] of inputs) {
    if (UNSAFE.test(value)) reasons.push(`Cột (${col}) ${LABEL[col]} có ký tự điều khiển hoặc ký tự đổi chiều văn bản (như U+202E): xoá ô và gõ lại`);
    // A value is read as its first MAX_CHARS characters and one more (read-mau02.ts): its whole length is not known.
    else if (value.length > MAX_CHARS[col]) reasons.push(`Cột (${col}) ${LABEL[col]} dài hơn ${MAX_CHARS[col]} ký tự cho phép`);
  }
  return reasons;
}

/** Cell text as compared: Unicode NFC, runs of white space (line breaks included) as one space. */
const norm = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).normalize('NFC').replace(/\s+/g, ' ').trim();

/**
 * Columns (1)–(9) of a returned row that differ from the Mẫu 02 row we would send for this person now: (1) must
 * be a whole number (rows may be removed or sorted, so its value is not compared), (2)–(9) equal. Empty when the
 * row is as sent.
 */
export function editedColumns(r: ReturnedRow, person: ListRow): number[] {
  const sent = MAU02.cells(person, 0);
  const edited: number[] = [];
  if (!/^\d+$/.test(norm(r.shown[0]))) edited.push(1);
  for (let k = 2; k <= 9; k++) if (norm(r.shown[k - 1]) !== norm(sent[k - 1])) edited.push(k);
  return edited;
}

export function editedReason(code: string, edited: number[]): string {
  // Column (9) alone changes when we note something (a correction received, an escalation): most likely the list is
  // older than the data, else the clerk typed into it.
  if (edited.length === 1 && edited[0] === 9) {
    return (
      `Cột (9) khác với danh sách mới nhất cho mã số BHXH ${code}: danh sách này đã cũ (hoặc cột (9) đã bị sửa) — ` +
      'tải Mẫu số 02 mới nhất của đơn vị, ghi thông tin đúng vào cột (10)–(13), không sửa cột (9)'
    );
  }
  return (
    `Cột ${edited.map((k) => `(${k})`).join(', ')} khác với danh sách đã gửi cho mã số BHXH ${code}: ` +
    'không sửa từ cột (1) đến cột (9), ghi thông tin đúng vào cột (10)–(13); nếu danh sách đã cũ, dùng danh sách mới nhất'
  );
}
