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
 * Every participant's state just before `cutoff`, counted per province — or per district of `province`: who
 * existed, with their VssID account and office, from the state history (migrations 0002 and 0006); their outcome
 * from the outcome history, the last one applied, and the version of their data last decided on (a PENDING
 * outcome decides nothing). Corrections count when made before the cutoff; a correction has been verified again
 * once the version decided on has reached the version it created.
 */
export async function countsAsOf(
  q: Queryable,
  // district and unit narrow the people counted (the portal's district and unit accounts); rows stay per district.
  args: { cutoff: Date; province: string | null; district?: string | null; unit?: string | null },
): Promise<GroupCounts[]> {
  const res = await q.query<GroupCounts>(
    `WITH s AS (
       SELECT DISTINCT ON (ma_so_bhxh) ma_so_bhxh, vssid, ma_tinh, ma_huyen
         FROM participant_state WHERE valid_from < $1::timestamptz
        ORDER BY ma_so_bhxh, valid_from DESC, id DESC
     ), v AS (
       SELECT ma_so_bhxh, (array_agg(status ORDER BY verified_at DESC, batch_id DESC))[1] AS status,
              max(data_version) FILTER (WHERE status <> 'PENDING') AS verified_version
         FROM verification WHERE applied AND verified_at < $1::timestamptz
        GROUP BY ma_so_bhxh
     ), c AS (
       SELECT ma_so_bhxh, max(data_version) AS version FROM participant_correction
        WHERE changed_at < $1::timestamptz GROUP BY ma_so_bhxh
     ), o AS (
       SELECT s.*, coalesce(v.status, 'PENDING') AS status, v.verified_version FROM s LEFT JOIN v ON v.ma_so_bhxh = s.ma_so_bhxh
     )
     SELECT CASE WHEN $2::text IS NULL THEN o.ma_tinh ELSE o.ma_huyen END AS key,
            count(*)::int AS total,
            count(*) FILTER (WHERE o.status = 'MATCHED')::int AS matched,
            count(*) FILTER (WHERE o.status = 'MISMATCHED')::int AS mismatched,
            count(*) FILTER (WHERE o.status = 'MISSING_ID')::int AS missing,
            count(*) FILTER (WHERE o.status = 'CONFLICT')::int AS conflict,
            count(*) FILTER (WHERE o.status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE o.vssid)::int AS vssid,
            count(c.ma_so_bhxh)::int AS corrected,
            count(*) FILTER (WHERE o.status = 'MATCHED' AND o.verified_version >= c.version)::int AS rematched,
            count(*) FILTER (WHERE o.status IN ('MISMATCHED', 'MISSING_ID', 'CONFLICT') AND o.verified_version >= c.version)::int AS escalated
       FROM o LEFT JOIN c ON c.ma_so_bhxh = o.ma_so_bhxh
      WHERE ($2::text IS NULL OR o.ma_tinh = $2::text) AND ($3::text IS NULL OR o.ma_huyen = $3::text)
        AND ($4::text IS NULL OR o.ma_so_bhxh IN (SELECT ma_so_bhxh FROM participant WHERE ma_don_vi = $4::text))
      GROUP BY 1
      ORDER BY 1 NULLS LAST`,
    [args.cutoff, args.province, args.district ?? null, args.unit ?? null],
  );
  return res.rows;
}
