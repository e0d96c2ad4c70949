import type { Queryable } from './pool.js';

const CHANGED = `(p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to, p.ma_don_vi, p.ma_tinh, p.ma_huyen, p.vssid, p.email, p.findings)
           IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to, EXCLUDED.ma_don_vi,
                             EXCLUDED.ma_tinh, EXCLUDED.ma_huyen, EXCLUDED.vssid, EXCLUDED.email, EXCLUDED.findings)`;

/** The import's temporary tables: every keyed row's key and hash, and the rows to write. */
export const STAGING_TABLES = `
  CREATE TEMP TABLE staging_key (line int PRIMARY KEY, ma_so_bhxh text NOT NULL, src_hash text NOT NULL, dup_of int);
  CREATE INDEX ON staging_key (ma_so_bhxh, line);
  CREATE TEMP TABLE staging (
    line int PRIMARY KEY, ma_so_bhxh text NOT NULL, ho_ten text, ngay_sinh text, gioi_tinh text, so_giay_to text,
    ma_don_vi text, ten_don_vi text, dia_chi_don_vi text, ma_tinh text, ma_huyen text, vssid boolean, email text,
    findings jsonb, src_hash text, sex_code text)`;

/**
 * For the staged keys of lines [from, to]: marks a key already staged on an earlier line (the first row wins) and
 * finds the rows whose source hash is the one stored with the participant. Returns line → the first line of its
 * key, or 'unchanged'; other lines are not in the map.
 */
export async function markKeysAndFindUnchanged(q: Queryable, from: number, to: number): Promise<Map<number, number | 'unchanged'>> {
  const res = await q.query<{ line: number; dup_of: number | null }>(
    `WITH dup AS (
       UPDATE staging_key s SET dup_of = d.first_line
         FROM (SELECT s1.line, (SELECT min(e.line) FROM staging_key e WHERE e.ma_so_bhxh = s1.ma_so_bhxh) AS first_line
                 FROM staging_key s1 WHERE s1.line BETWEEN $1::int AND $2::int) d
        WHERE s.line = d.line AND d.first_line < s.line
       RETURNING s.line, s.dup_of)
     SELECT line, dup_of FROM dup
     UNION ALL
     SELECT k.line, NULL FROM staging_key k JOIN participant p ON p.ma_so_bhxh = k.ma_so_bhxh AND p.src_hash = k.src_hash
      WHERE k.line BETWEEN $1::int AND $2::int AND NOT EXISTS (SELECT 1 FROM dup WHERE dup.line = k.line)`,
    [from, to],
  );
  return new Map(res.rows.map((r) => [r.line, r.dup_of ?? 'unchanged']));
}

/**
 * The rows with a sex code of `0`, once the whole file is read: Nữ when the file writes sex as 1/0 throughout (no
 * `2` anywhere), otherwise unknown (ISO 5218) and carried as a finding.
 */
export async function settleSexZero(q: Queryable, fileUsesOneZero: boolean): Promise<void> {
  await q.query(
    fileUsesOneZero
      ? `UPDATE staging SET gioi_tinh = 'F' WHERE sex_code = '0'`
      : `UPDATE staging SET findings = findings || '[{"field":"sex","code":"invalid","value":"0"}]'::jsonb WHERE sex_code = '0'`,
  );
}

/**
 * Upserts staged rows with lines in [from, to] into unit and participant. A number in the file that is the
 * participant's former number (replaced by the ĐDCN) or empty while a confirmed ĐDCN is on file does not
 * undo the replacement. Identity changes (name, date of birth, sex, number) bump data_version, which puts
 * the person back in line for verification.
 */
export async function upsertStagedParticipants(
  tx: Queryable,
  { from, to, now, waiting = false }: { from: number; to: number; now: Date; waiting?: boolean },
) {
  // Rows whose sex code waits for the whole file are upserted at the end (waiting = true), the others per chunk.
  const rows = (a: string) => `${a}line BETWEEN $1::int AND $2::int AND (${a}sex_code IS NOT NULL) = ${waiting ? 'true' : 'false'}`;
  await tx.query(
    `INSERT INTO unit AS u (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at)
     SELECT DISTINCT ON (ma_don_vi) ma_don_vi, coalesce(ten_don_vi, ''), coalesce(dia_chi_don_vi, ''), ma_tinh, ma_huyen, $3::timestamptz
       FROM staging
      WHERE ${rows('')} AND ma_don_vi IS NOT NULL
      ORDER BY ma_don_vi, line DESC
     ON CONFLICT (ma_don_vi) DO UPDATE SET
       ten_don_vi = CASE WHEN EXCLUDED.ten_don_vi <> '' THEN EXCLUDED.ten_don_vi ELSE u.ten_don_vi END,
       dia_chi = CASE WHEN EXCLUDED.dia_chi <> '' THEN EXCLUDED.dia_chi ELSE u.dia_chi END,
       ma_tinh = coalesce(EXCLUDED.ma_tinh, u.ma_tinh),
       ma_huyen = coalesce(EXCLUDED.ma_huyen, u.ma_huyen),
       updated_at = EXCLUDED.updated_at
     WHERE (u.ten_don_vi, u.dia_chi, u.ma_tinh, u.ma_huyen) IS DISTINCT FROM
           (CASE WHEN EXCLUDED.ten_don_vi <> '' THEN EXCLUDED.ten_don_vi ELSE u.ten_don_vi END,
            CASE WHEN EXCLUDED.dia_chi <> '' THEN EXCLUDED.dia_chi ELSE u.dia_chi END,
            coalesce(EXCLUDED.ma_tinh, u.ma_tinh), coalesce(EXCLUDED.ma_huyen, u.ma_huyen))`,
    [from, to, now],
  );
  const res = await tx.query<{ inserted: boolean; changed: boolean }>(
    `INSERT INTO participant AS p (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
                                   vssid, email, findings, src_hash, created_at, updated_at)
     SELECT s.ma_so_bhxh, coalesce(s.ho_ten, ''), s.ngay_sinh, s.gioi_tinh,
            CASE WHEN cur.ma_so_bhxh IS NOT NULL
                  AND ((s.so_giay_to IS NULL AND cur.so_ddcn IS NOT NULL)
                       OR EXISTS (SELECT 1 FROM number_history h WHERE h.ma_so_bhxh = s.ma_so_bhxh AND h.so_cu = s.so_giay_to))
                 THEN cur.so_giay_to ELSE s.so_giay_to END,
            s.ma_don_vi, s.ma_tinh, s.ma_huyen, coalesce(s.vssid, false), s.email, s.findings, s.src_hash,
            $3::timestamptz, $3::timestamptz
       FROM staging s LEFT JOIN participant cur ON cur.ma_so_bhxh = s.ma_so_bhxh
      WHERE ${rows('s.')}
     ON CONFLICT (ma_so_bhxh) DO UPDATE SET
       ho_ten = EXCLUDED.ho_ten, ngay_sinh = EXCLUDED.ngay_sinh, gioi_tinh = EXCLUDED.gioi_tinh,
       so_giay_to = EXCLUDED.so_giay_to, ma_don_vi = EXCLUDED.ma_don_vi, ma_tinh = EXCLUDED.ma_tinh,
       ma_huyen = EXCLUDED.ma_huyen, vssid = EXCLUDED.vssid, email = EXCLUDED.email, findings = EXCLUDED.findings,
       src_hash = EXCLUDED.src_hash,
       data_version = p.data_version +
         CASE WHEN (p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to)
                   IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to)
              THEN 1 ELSE 0 END,
       -- A row whose data is the same but whose hash was not yet stored only takes the hash: not an update.
       updated_at = CASE WHEN ${CHANGED} THEN EXCLUDED.updated_at ELSE p.updated_at END
     WHERE ${CHANGED} OR p.src_hash IS DISTINCT FROM EXCLUDED.src_hash
     RETURNING (xmax = 0) AS inserted, updated_at = $3::timestamptz AS changed`,
    [from, to, now],
  );
  const total = (
    await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM staging WHERE ${rows('')}`,
      [from, to],
    )
  ).rows[0]!.n;
  const inserted = res.rows.filter((r) => r.inserted).length;
  const updated = res.rows.filter((r) => !r.inserted && r.changed).length;
  return { inserted, updated, unchanged: total - inserted - updated };
}
