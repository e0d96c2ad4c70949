import { escapeLiteral } from 'pg';
import type { Queryable } from './pool.js';

export interface ShareCandidate {
  maSoBhxh: string;
  soDdcn: string;
  vssid: boolean;
}

/**
 * COPY of the matched people whose insurance information has not been shared for their current number
 * (Plan I.4): one anti-join, streamed. Columns: ma_so_bhxh, so_ddcn, vssid ('t'/'f').
 */
export function shareCandidatesSql(province: string | null): string {
  const where = province === null ? '' : `AND p.ma_tinh = ${escapeLiteral(province)}`;
  return `COPY (SELECT p.ma_so_bhxh, p.so_ddcn, p.vssid FROM participant p
                 WHERE p.status = 'MATCHED' ${where}
                   AND NOT EXISTS (SELECT 1 FROM share_record s WHERE s.ma_so_bhxh = p.ma_so_bhxh AND s.so_ddcn = p.so_ddcn)
                 ORDER BY p.ma_so_bhxh) TO STDOUT`;
}

export async function recordShares(
  tx: Queryable,
  args: { batchId: number; now: Date; shared: ShareCandidate[] },
): Promise<number> {
  const res = await tx.query(
    `INSERT INTO share_record (ma_so_bhxh, so_ddcn, batch_id, shared_at)
     SELECT u.code, u.ddcn, $1::bigint, $2::timestamptz FROM unnest($3::text[], $4::text[]) AS u(code, ddcn)
     ON CONFLICT (ma_so_bhxh, so_ddcn) DO NOTHING`,
    [args.batchId, args.now, args.shared.map((s) => s.maSoBhxh), args.shared.map((s) => s.soDdcn)],
  );
  await tx.query('UPDATE batch SET shared = shared + $2::int WHERE id = $1::bigint', [args.batchId, res.rowCount ?? 0]);
  return res.rowCount ?? 0;
}
