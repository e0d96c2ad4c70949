import type { Queryable } from './pool.js';

/** Whether any participant is on file: a command run against the wrong (new, empty) database finds none. */
export async function hasParticipants(db: Queryable): Promise<boolean> {
  const r = await db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM participant) AS any');
  return r.rows[0]!.any;
}

export type CodeKind = 'unit' | 'province';

/**
 * Whether a managing unit (ma_don_vi) or a province (ma_tinh) of the participants exists. Index look-ups only, so
 * that a typo costs the same on 100 M participants as on 100: every unit of a participant has its unit row (the
 * import writes one for every ma_don_vi it reads), and every province a participant is in has a state row
 * (participant_state, written by the table's triggers), checked against the participant's current province: a
 * province is one some participant is in now.
 */
export async function codeExists(db: Queryable, kind: CodeKind, code: string): Promise<boolean> {
  const sql =
    kind === 'unit'
      ? 'SELECT EXISTS (SELECT 1 FROM unit WHERE ma_don_vi = $1::text) OR EXISTS (SELECT 1 FROM participant WHERE ma_don_vi = $1::text) AS any'
      // Not from the units: a unit row keeps its province when its people move to other units elsewhere. (A
      // province whose people all left is looked through to its last state row: seconds for millions, once.)
      : `SELECT EXISTS (SELECT 1 FROM participant_state s JOIN participant p ON p.ma_so_bhxh = s.ma_so_bhxh AND p.ma_tinh = s.ma_tinh
                         WHERE s.ma_tinh = $1::text) AS any`;
  const r = await db.query<{ any: boolean }>(sql, [code]);
  return r.rows[0]!.any;
}

/** Whether a VssID target was ever imported for the province `key` (3 digits; an older ddcn stored 2 as given). */
export async function provinceHasTarget(db: Queryable, key: string): Promise<boolean> {
  const forms = [key, key.replace(/^0(?=\d\d$)/, '')];
  const r = await db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM vssid_target WHERE ma_tinh = ANY($1::text[])) AS any', [forms]);
  return r.rows[0]!.any;
}

/**
 * Whether a province had participants at some time (a state row: every participant's province is written into
 * participant_state, and kept there when they move). Its figures of those days can still be reported.
 */
export async function provinceEverHad(db: Queryable, code: string): Promise<boolean> {
  const r = await db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM participant_state WHERE ma_tinh = $1::text) AS any', [code]);
  return r.rows[0]!.any;
}

/**
 * Every known code of a kind, to suggest the nearest: the units from their table; the provinces from the units and,
 * one index probe per province, from the participants' state rows (a participant's former province too: it is a
 * suggestion). Before, DISTINCT over participant read the whole table (~100 ms at 1 M, minutes at 100 M).
 */
export async function knownCodes(db: Queryable, kind: CodeKind): Promise<string[]> {
  const sql =
    kind === 'unit'
      ? 'SELECT ma_don_vi AS code FROM unit'
      : `WITH RECURSIVE seen AS (
           (SELECT ma_tinh FROM participant_state WHERE ma_tinh IS NOT NULL ORDER BY ma_tinh LIMIT 1)
           UNION ALL
           SELECT (SELECT s.ma_tinh FROM participant_state s WHERE s.ma_tinh > seen.ma_tinh ORDER BY s.ma_tinh LIMIT 1)
             FROM seen WHERE seen.ma_tinh IS NOT NULL)
         SELECT ma_tinh AS code FROM seen WHERE ma_tinh IS NOT NULL
         UNION SELECT ma_tinh FROM unit WHERE ma_tinh IS NOT NULL`;
  const r = await db.query<{ code: string }>(sql);
  return r.rows.map((x) => x.code);
}

/** Whether any participant of a unit is in a province (an index-only look-up of participant_unit_counts). */
export async function unitInProvince(db: Queryable, unit: string, province: string): Promise<boolean> {
  const r = await db.query<{ any: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM participant WHERE ma_don_vi = $1::text AND ma_tinh = $2::text) AS any',
    [unit, province],
  );
  return r.rows[0]!.any;
}

/** Whether a district (ma_huyen) of a province has a unit or a participant now (index look-ups, as codeExists). */
export async function districtExists(db: Queryable, province: string, district: string): Promise<boolean> {
  const r = await db.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM unit WHERE ma_tinh = $1::text AND ma_huyen = $2::text)
         OR EXISTS (SELECT 1 FROM participant_state s
                      JOIN participant p ON p.ma_so_bhxh = s.ma_so_bhxh AND p.ma_tinh = s.ma_tinh AND p.ma_huyen = s.ma_huyen
                     WHERE s.ma_tinh = $1::text AND s.ma_huyen = $2::text) AS any`,
    [province, district],
  );
  return r.rows[0]!.any;
}
