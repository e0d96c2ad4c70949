// One form per province (migration 0033): a province's code written 79 or 079 (1, 01 or 001) is stored in the
// form first on file, which province_form holds per province (the code in 3 digits).
import type { Queryable } from './pool.js';

/**
 * SQL: a province's key for a numeric code of 1–3 digits (`79` → `079`), null for any other. (lpad alone would cut
 * `1234` to `123`.)
 */
const KEY = (col: string) => `CASE WHEN ${col} ~ '^[0-9]{1,3}$' THEN lpad(${col}, 3, '0') END`;

/**
 * Puts the province codes of the rows in `table` (a chunk of the import, or a segment of its bulk load: rows
 * with their file `line`) in the form on file, before they are written anywhere. A province new to the database
 * takes the form of its first line in the table: the import writes its tables in the file's order, so that is its
 * first line in the file, whichever thread read it. Decided here rather than by the readers for that reason, and
 * because two imports at once must agree: the first to commit a province's form wins, the other waits for it
 * (ON CONFLICT) and follows.
 *
 * One scan of the table, its forms grouped; rows are rewritten only when one of them is not the form on file,
 * which data written one way throughout never has.
 */
export async function settleProvinceForms(q: Queryable, table: 'staging' | 'segment'): Promise<void> {
  const forms = await q.query<{ province_key: string; ma_tinh: string; on_file: string | null }>(
    `SELECT f.province_key, f.ma_tinh, p.ma_tinh AS on_file
       FROM (SELECT ${KEY('ma_tinh')} AS province_key, ma_tinh FROM ${table} GROUP BY ma_tinh) f
       LEFT JOIN province_form p ON p.province_key = f.province_key
      WHERE f.province_key IS NOT NULL`,
  );
  const fresh = [...new Set(forms.rows.filter((f) => f.on_file === null).map((f) => f.province_key))];
  // Stryker disable next-line ConditionalExpression: a shortcut: with every form the one on file, the update below changes no row
  if (fresh.length === 0 && forms.rows.every((f) => f.ma_tinh === f.on_file)) return;
  if (fresh.length > 0) await addProvinceForms(q, table, fresh);
  await q.query(
    `UPDATE ${table} s SET ma_tinh = p.ma_tinh FROM province_form p
      WHERE p.province_key = ${KEY('s.ma_tinh')} AND s.ma_tinh <> p.ma_tinh`,
  );
}

/**
 * Provinces new to the database take the form of their first line in `table`, not counting a later line of a key
 * (a segment of the bulk load holds them until the end of the file rejects them: a rejected line must not give
 * its province's form; a chunk never holds them). (Only a key's lines within the segment are seen: a line whose
 * key an earlier segment had is not told apart here, as that would search the whole file so far.) Accounts of the
 * portal made before their province was on file (`ddcn users add` on an empty database keeps the code as given)
 * take the form too, or they would see nobody.
 */
async function addProvinceForms(q: Queryable, table: 'staging' | 'segment', keys: string[]): Promise<void> {
  await q.query(
    `INSERT INTO province_form (province_key, ma_tinh)
     SELECT DISTINCT ON (province_key) province_key, ma_tinh FROM (
       SELECT ${KEY('ma_tinh')} AS province_key, ma_tinh, line, min(line) OVER (PARTITION BY ma_so_bhxh) AS first FROM ${table}) t
      WHERE province_key = ANY ($1::text[]) AND line = first
      ORDER BY province_key, line
     ON CONFLICT (province_key) DO NOTHING`,
    [keys],
  );
  await q.query(
    `UPDATE portal_user u SET ma_tinh = p.ma_tinh FROM province_form p
      WHERE p.province_key = ANY ($1::text[]) AND p.province_key = ${KEY('u.ma_tinh')} AND u.ma_tinh <> p.ma_tinh`,
    [keys],
  );
}

/** A province's key as KEY computes it in SQL: `79` → `079`, null for anything but a number of 1–3 digits. */
const keyOf = (code: string): string | null => (/^[0-9]{1,3}$/.test(code) ? code.padStart(3, '0') : null);

/**
 * The province forms on file as this process last read them, so that a segment of a bulk load whose provinces are
 * all written in their form on file is not looked at on the server at all (settleProvinceForms would change
 * nothing). At 1 M rows (50 segments) that look cost the server ~1.1 s of a ~12 s load, in the part where it is
 * as busy as this process. A form once on file never changes (province_form is only inserted into, ON CONFLICT
 * DO NOTHING), so what was read stays true; a province not read yet is settled on the server as before.
 */
export class KnownProvinceForms {
  private readonly forms = new Map<string, string>();

  /** Whether every code (ma_tinh as staged; null or empty for none) is in its form on file as last read. */
  settled(codes: Iterable<string | null>): boolean {
    for (const code of codes) {
      const key = code === null ? null : keyOf(code);
      if (key !== null && this.forms.get(key) !== code) return false;
    }
    return true;
  }

  /** Reads the forms on file again (a few dozen rows). */
  async refresh(q: Queryable): Promise<void> {
    const r = await q.query<{ province_key: string; ma_tinh: string }>('SELECT province_key, ma_tinh FROM province_form');
    for (const f of r.rows) this.forms.set(f.province_key, f.ma_tinh);
  }
}

/**
 * The form on file of the province a code names (`079` → `79` when the data writes 79), or null when the code is
 * not a number of 1–3 digits or no form of it is on file.
 */
export async function provinceFormOnFile(q: Queryable, code: string): Promise<string | null> {
  const r = await q.query<{ ma_tinh: string }>(`SELECT ma_tinh FROM province_form WHERE province_key = ${KEY('$1::text')}`, [code]);
  return r.rows[0]?.ma_tinh ?? null;
}
