// What the import's first reading decides about each row, the same on the main thread and on the worker thread
// that reads the second half of a large CSV (import-keys.ts): whether the row is rejected, and otherwise its key
// and the line that goes to the file's key table (createFileKeyTable).
import { hash } from 'node:crypto';
import { COLUMN_LIMITS, keyOf, keyValueProblem } from './participant-row.js';
import { CONTROL, type TableRow } from './table-row.js';

/** A row the first reading accepts: its key and its sex code as written (only `0` and `2` are counted). */
export interface Screened {
  key: string;
  sex: string;
}

/**
 * For a file with this header: the checks that can reject a row on its first reading (its reading problem, the key:
 * its length, a control character in it, its digits). Everything else is decided only for rows that are new or
 * changed: a value other than the key that is too long or holds a control character does not reject the row
 * (participant-row.ts unfitValues).
 */
export function rowScreen(header: readonly string[]): (row: TableRow) => Screened | { reason: string } {
  const keyAt = header.indexOf('ma_so_bhxh');
  const sexAt = header.indexOf('gioi_tinh');
  // As a control character in the key was always said: by the field's place in the line.
  const keyField = `field ${keyAt + 1}`;
  return (row) => {
    if (row.problem) return { reason: row.problem };
    const cell = row.cells[keyAt] ?? '';
    // Looked at closer only in a row the reader marked for a control character (TableRow.control), or a long key.
    const problem = row.control || cell.length > COLUMN_LIMITS.ma_so_bhxh ? keyValueProblem(cell, keyField) : null;
    if (problem !== null) return { reason: problem };
    const k = keyOf(cell);
    if (!('key' in k)) return { reason: k.reason };
    // A sex cell with a control character is not stored (unfitValues): it counts for no sex-code convention either.
    const sex = sexAt >= 0 ? row.cells[sexAt]! : '';
    // Stryker disable next-line StringLiteral: neither text is 0 or 2, the only sex codes counted
    return { key: k.key, sex: row.control && CONTROL.test(sex) ? '' : sex.trim() };
  };
}

/**
 * The salt of every row's hash in a file with this header, so that a reordered file is compared in full: the
 * header's own hash, shortened.
 */
export function headerSalt(header: readonly string[]): string {
  return hash('md5', `${header.join(',')}\n`, 'base64').slice(0, 8);
}

/**
 * What is stored with the participant to recognise an unchanged row next time: the header's salt and the hash of
 * the row's text. (The salt is put in front of the row's hash rather than hashed with the text: hashing the
 * concatenation cost ~2.7 µs a row against ~1.4 µs, V8 flattening the joined string first.)
 */
export function rowHash(salt: string, row: TableRow): string {
  return salt + hash('md5', row.text ?? row.cells.join('\u001f'), 'base64');
}

/** One line of fileKeyCopy's COPY. Written as is: a line number, ten digits and base64 never need COPY's escapes. */
export function keyLine(row: TableRow, key: string, salt: string, sexZero: boolean, byWorker: boolean): string {
  return `${row.line}\t${key}\t${rowHash(salt, row)}\t${sexZero ? 't' : 'f'}\t${byWorker ? 't' : 'f'}\n`;
}
