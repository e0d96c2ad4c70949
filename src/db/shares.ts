import { escapeLiteral } from 'pg';
import { copyRows } from './copy-rows.js';
import type { Queryable } from './pool.js';

export interface ShareCandidate {
  maSoBhxh: string;
  soDdcn: string;
  vssid: boolean;
}

/**
 * COPY of the matched people whose insurance information has not been shared for their current number
 * (Plan I.4): one anti-join, streamed. Columns: ma_so_bhxh, so_ddcn, vssid ('t'/'f'). In no particular order:
 * sorting every matched person first held back the first row, and with it the whole step (a million people:
 * 2.3 s → 1.9 s without); the registry makes nothing of the order.
 */
export function shareCandidatesSql(province: string | null, range: { after: string | null; upTo: string | null } = { after: null, upTo: null }): string {
  // COPY takes no parameters: the values are quoted literals.
  let where = province === null ? '' : `AND p.ma_tinh = ${escapeLiteral(province)}`;
  // Stryker disable next-line ConditionalExpression: escapeLiteral(null) is '', and every code is greater than ''
  if (range.after !== null) where += ` AND p.ma_so_bhxh > ${escapeLiteral(range.after)}`;
  if (range.upTo !== null) where += ` AND p.ma_so_bhxh <= ${escapeLiteral(range.upTo)}`;
  return `COPY (SELECT p.ma_so_bhxh, p.so_ddcn, p.vssid FROM participant p
                 WHERE p.status = 'MATCHED' ${where}
                   AND NOT EXISTS (SELECT 1 FROM share_record s WHERE s.ma_so_bhxh = p.ma_so_bhxh AND s.so_ddcn = p.so_ddcn)) TO STDOUT`;
}

/**
 * A chunk's share candidates (shareCandidatesSql), streamed on `session`, with the planner kept off sequential scans
 * for that one statement. Why: share_record is empty when a database's first batch starts sharing (and small beside
 * what the batch adds), so the planner may probe it for each candidate by scanning it whole (a nested-loop anti-join
 * over a sequential scan, costed as nothing); meanwhile the other share steps insert into it, and every probe scans
 * more. Seen on a 1 M benchmark run: the first share step took 47.5 s, the other 99 at most 0.44 s; the time grows
 * with the square of what is shared meanwhile, which at national scale is tens of millions. Without sequential scans the probe is an index look-up of share_record's primary key, whatever
 * its size, and the chunk's people are read by their key range as before.
 */
export async function* shareCandidates(
  session: Queryable,
  province: string | null,
  range: { after: string | null; upTo: string | null },
): AsyncGenerator<ShareCandidate> {
  await session.query('SET enable_seqscan = off');
  for await (const [code, ddcn, vssid] of copyRows(session, shareCandidatesSql(province, range))) {
    yield { maSoBhxh: code!, soDdcn: ddcn!, vssid: vssid === 't' };
  }
  // Reset once every row is read, which is how the share step reads them (a RESET behind a COPY left unread would wait
  // forever). A failure on the way leaves the setting with the session, which withSession then discards.
  await session.query('RESET enable_seqscan');
}

/**
 * Records acknowledged shares and counts them on the batch. A chunk's share step may run twice (a worker presumed
 * dead that was only slow): the second record of a share is dropped, and only new ones are counted.
 */
export async function recordShares(
  tx: Queryable,
  args: { batchId: number; now: Date; shared: ShareCandidate[] },
): Promise<number> {
  const res = await tx.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO share_record (ma_so_bhxh, so_ddcn, batch_id, shared_at)
       SELECT code, ddcn, $1::bigint, $2::timestamptz FROM unnest($3::text[], $4::text[]) AS s(code, ddcn)
       ON CONFLICT (ma_so_bhxh, so_ddcn) DO NOTHING
       RETURNING 1
     ), n AS (SELECT count(*)::int AS n FROM ins)
     UPDATE batch SET shared = shared + n.n FROM n WHERE id = $1::bigint RETURNING n.n`,
    [args.batchId, args.now, args.shared.map((s) => s.maSoBhxh), args.shared.map((s) => s.soDdcn)],
  );
  // Stryker disable next-line OptionalChaining: the UPDATE ... RETURNING always returns the chunk's own batch row
  return res.rows[0]?.n ?? 0;
}
