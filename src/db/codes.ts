import type { Queryable } from './pool.js';

/** Whether any participant is on file: a command run against the wrong (new, empty) database finds none. */
export async function hasParticipants(db: Queryable): Promise<boolean> {
  const r = await db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM participant) AS any');
  return r.rows[0]!.any;
}

export type CodeKind = 'unit' | 'province';

/** Whether a managing unit (ma_don_vi) or a province (ma_tinh) of the participants exists. */
export async function codeExists(db: Queryable, kind: CodeKind, code: string): Promise<boolean> {
  const sql =
    kind === 'unit'
      ? 'SELECT EXISTS (SELECT 1 FROM unit WHERE ma_don_vi = $1::text) OR EXISTS (SELECT 1 FROM participant WHERE ma_don_vi = $1::text) AS any'
      : 'SELECT EXISTS (SELECT 1 FROM unit WHERE ma_tinh = $1::text) OR EXISTS (SELECT 1 FROM participant WHERE ma_tinh = $1::text) AS any';
  const r = await db.query<{ any: boolean }>(sql, [code]);
  return r.rows[0]!.any;
}

/** Every known code of a kind, to suggest the nearest (an error path: a full read is fine). */
export async function knownCodes(db: Queryable, kind: CodeKind): Promise<string[]> {
  const column = kind === 'unit' ? 'ma_don_vi' : 'ma_tinh';
  const r = await db.query<{ code: string }>(
    `SELECT ${column} AS code FROM unit WHERE ${column} IS NOT NULL
     UNION SELECT DISTINCT ${column} FROM participant WHERE ${column} IS NOT NULL`,
  );
  return r.rows.map((x) => x.code);
}
