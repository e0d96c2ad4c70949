import type { Queryable } from './pool.js';

/** Mẫu 03 figures of one group (a province, or a district in a province report) at one moment. */
export interface GroupCounts {
  key: string | null; // ma_tinh, or ma_huyen when the report is for one province
  total: number;
  matched: number;
  mismatched: number;
  missing: number;
  conflict: number;
  pending: number;
  vssid: number;
  corrected: number; // received a correction from a unit's Mẫu 02
  rematched: number; // … and matched when verified again on the corrected data
  escalated: number; // … and still not matching when verified again (Plan II.6.2)
}

/**
 * Every participant's state just before `cutoff`, from the state history (the triggers of migration 0002),
 * counted per province — or per district of `province`. Corrections count when made before the cutoff; a
 * correction has been verified again once the verified version has reached the version it created.
 */
export async function countsAsOf(q: Queryable, args: { cutoff: Date; province: string | null }): Promise<GroupCounts[]> {
  const res = await q.query<GroupCounts>(
    `WITH s AS (
       SELECT DISTINCT ON (ma_so_bhxh) ma_so_bhxh, status, vssid, ma_tinh, ma_huyen, verified_version
         FROM participant_state WHERE valid_from < $1::timestamptz
        ORDER BY ma_so_bhxh, valid_from DESC, id DESC
     ), c AS (
       SELECT ma_so_bhxh, max(data_version) AS version FROM participant_correction
        WHERE changed_at < $1::timestamptz GROUP BY ma_so_bhxh
     )
     SELECT CASE WHEN $2::text IS NULL THEN s.ma_tinh ELSE s.ma_huyen END AS key,
            count(*)::int AS total,
            count(*) FILTER (WHERE s.status = 'MATCHED')::int AS matched,
            count(*) FILTER (WHERE s.status = 'MISMATCHED')::int AS mismatched,
            count(*) FILTER (WHERE s.status = 'MISSING_ID')::int AS missing,
            count(*) FILTER (WHERE s.status = 'CONFLICT')::int AS conflict,
            count(*) FILTER (WHERE s.status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE s.vssid)::int AS vssid,
            count(c.ma_so_bhxh)::int AS corrected,
            count(*) FILTER (WHERE s.status = 'MATCHED' AND s.verified_version >= c.version)::int AS rematched,
            count(*) FILTER (WHERE s.status IN ('MISMATCHED', 'MISSING_ID', 'CONFLICT') AND s.verified_version >= c.version)::int AS escalated
       FROM s LEFT JOIN c ON c.ma_so_bhxh = s.ma_so_bhxh
      WHERE $2::text IS NULL OR s.ma_tinh = $2::text
      GROUP BY 1
      ORDER BY 1 NULLS LAST`,
    [args.cutoff, args.province],
  );
  return res.rows;
}
