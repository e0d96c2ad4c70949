import type { Queryable } from './pool.js';

/**
 * Upserts staged rows with lines in [from, to) into unit and participant. A number in the file that is the
 * participant's former number (replaced by the ĐDCN) or empty while a confirmed ĐDCN is on file does not
 * undo the replacement. Identity changes (name, date of birth, sex, number) bump data_version, which puts
 * the person back in line for verification.
 */
export async function upsertStagedParticipants(tx: Queryable, from: number, to: number, now: Date) {
  await tx.query(
    `INSERT INTO unit AS u (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at)
     SELECT DISTINCT ON (ma_don_vi) ma_don_vi, coalesce(ten_don_vi, ''), coalesce(dia_chi_don_vi, ''), ma_tinh, ma_huyen, $3::timestamptz
       FROM staging
      WHERE line >= $1::int AND line < $2::int AND dup_of IS NULL AND ma_don_vi IS NOT NULL
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
  const res = await tx.query<{ inserted: boolean }>(
    `INSERT INTO participant AS p (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
                                   vssid, email, findings, created_at, updated_at)
     SELECT s.ma_so_bhxh, coalesce(s.ho_ten, ''), s.ngay_sinh, s.gioi_tinh,
            CASE WHEN cur.ma_so_bhxh IS NOT NULL
                  AND ((s.so_giay_to IS NULL AND cur.so_ddcn IS NOT NULL)
                       OR EXISTS (SELECT 1 FROM number_history h WHERE h.ma_so_bhxh = s.ma_so_bhxh AND h.so_cu = s.so_giay_to))
                 THEN cur.so_giay_to ELSE s.so_giay_to END,
            s.ma_don_vi, s.ma_tinh, s.ma_huyen, coalesce(s.vssid, false), s.email, s.findings, $3::timestamptz, $3::timestamptz
       FROM staging s LEFT JOIN participant cur ON cur.ma_so_bhxh = s.ma_so_bhxh
      WHERE s.line >= $1::int AND s.line < $2::int AND s.dup_of IS NULL
     ON CONFLICT (ma_so_bhxh) DO UPDATE SET
       ho_ten = EXCLUDED.ho_ten, ngay_sinh = EXCLUDED.ngay_sinh, gioi_tinh = EXCLUDED.gioi_tinh,
       so_giay_to = EXCLUDED.so_giay_to, ma_don_vi = EXCLUDED.ma_don_vi, ma_tinh = EXCLUDED.ma_tinh,
       ma_huyen = EXCLUDED.ma_huyen, vssid = EXCLUDED.vssid, email = EXCLUDED.email, findings = EXCLUDED.findings,
       data_version = p.data_version +
         CASE WHEN (p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to)
                   IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to)
              THEN 1 ELSE 0 END,
       updated_at = EXCLUDED.updated_at
     WHERE (p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to, p.ma_don_vi, p.ma_tinh, p.ma_huyen, p.vssid, p.email, p.findings)
           IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to, EXCLUDED.ma_don_vi,
                             EXCLUDED.ma_tinh, EXCLUDED.ma_huyen, EXCLUDED.vssid, EXCLUDED.email, EXCLUDED.findings)
     RETURNING (xmax = 0) AS inserted`,
    [from, to, now],
  );
  const total = (
    await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM staging WHERE line >= $1::int AND line < $2::int AND dup_of IS NULL',
      [from, to],
    )
  ).rows[0]!.n;
  const inserted = res.rows.filter((r) => r.inserted).length;
  const updated = res.rows.length - inserted;
  return { inserted, updated, unchanged: total - res.rows.length };
}
