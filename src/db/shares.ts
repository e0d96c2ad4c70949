import { escapeLiteral } from 'pg';
import { copyRows } from './copy-rows.js';
import type { Queryable } from './pool.js';

/** Below this size a whole-scope share hashes share_record once (shareCandidatesQuery): ~100 000 records. */
export const SMALL_SHARE_RECORD = 8 * 1024 * 1024;

export interface ShareCandidate {
  maSoBhxh: string;
  soDdcn: string;
  vssid: boolean;
}

/** A range open at both ends: one share step for every candidate of the scope (a batch of one chunk). */
const isWholeScope = (range: { after: string | null; upTo: string | null }): boolean => range.after === null && range.upTo === null;

/**
 * The matched people whose insurance information has not been shared for their current number (Plan I.4), of one
 * chunk's key range (either end open when null) and province: one anti-join, streamed. Columns: ma_so_bhxh, so_ddcn,
 * vssid ('t'/'f'). In no particular order: sorting every matched person first held back the first row, and with it
 * the whole step (a million people: 2.3 s → 1.9 s without); the registry makes nothing of the order.
 *
 * With the planner setting it is run under (`setting`), because of how share_record grows. A batch's first share
 * steps begin while share_record is empty, and migration 0022 analysed it so: the planner then costs reading it at
 * nothing, and may probe it for each candidate by scanning it whole (a nested-loop anti-join over a sequential scan,
 * nothing materialised), while the other share steps, and this one's own records, fill it. One 1 M benchmark run's
 * first share step took 47.5 s that way, the other 99 at most 0.44 s; the time grows with the square of what is
 * shared meanwhile. So:
 * - a range closed at either end (a chunk of a batch of several): each candidate is an index probe of share_record's
 *   key, whatever its size: a sub-plan kept apart from the join (OFFSET 0) with sequential scans off, the chunk's
 *   people read by their key range as before;
 * - a range open at both ends (a batch of one chunk: every candidate of the scope), while share_record is small
 *   (`shareRecordBytes` under SMALL_SHARE_RECORD): share_record read once, by a hash anti-join (nested loops off),
 *   the participants by a sequential scan (not by key, one page per person). Once it is larger the planner's own
 *   choice is right (a probe of its key per candidate, or a hash when the candidates are many), and forcing a hash
 *   would read all of it for a handful of candidates (5 M share records: 2.4 s against 0.13 s for a province's
 *   4 300); no setting then.
 */
export function shareCandidatesQuery(
  province: string | null,
  range: { after: string | null; upTo: string | null },
  shareRecordBytes: number,
): { setting: 'enable_seqscan' | 'enable_nestloop' | null; select: string } {
  // COPY takes no parameters: the values are quoted literals.
  let where = province === null ? '' : `AND p.ma_tinh = ${escapeLiteral(province)}`;
  if (range.after !== null) where += ` AND p.ma_so_bhxh > ${escapeLiteral(range.after)}`;
  if (range.upTo !== null) where += ` AND p.ma_so_bhxh <= ${escapeLiteral(range.upTo)}`;
  const chunk = !isWholeScope(range);
  return {
    setting: chunk ? 'enable_seqscan' : shareRecordBytes < SMALL_SHARE_RECORD ? 'enable_nestloop' : null,
    select: `SELECT p.ma_so_bhxh, p.so_ddcn, p.vssid FROM participant p
              WHERE p.status = 'MATCHED' ${where}
                AND NOT EXISTS (SELECT 1 FROM share_record s WHERE s.ma_so_bhxh = p.ma_so_bhxh AND s.so_ddcn = p.so_ddcn${chunk ? ' OFFSET 0' : ''})`,
  };
}

/** The share candidates (shareCandidatesQuery), streamed on `session` under the planner setting they need. */
export async function* shareCandidates(
  session: Queryable,
  province: string | null,
  range: { after: string | null; upTo: string | null },
): AsyncGenerator<ShareCandidate> {
  // share_record's size decides only a whole-scope share's setting.
  const bytes = isWholeScope(range) ? await shareRecordSize(session) : 0;
  const { setting, select } = shareCandidatesQuery(province, range, bytes);
  if (setting) await session.query(`SET ${setting} = off`);
  for await (const [code, ddcn, vssid] of copyRows(session, `COPY (${select}) TO STDOUT`)) {
    yield { maSoBhxh: code!, soDdcn: ddcn!, vssid: vssid === 't' };
  }
  // Reset once every row is read, which is how the share step reads them (a RESET behind a COPY left unread would wait
  // forever). A failure on the way leaves the setting with the session, which withSession then discards.
  if (setting) await session.query(`RESET ${setting}`);
}

/** share_record's size on disk now, in bytes (what the planner reads of it, whatever its statistics say). */
export async function shareRecordSize(q: Queryable): Promise<number> {
  const res = await q.query<{ bytes: string }>(`SELECT pg_relation_size('share_record') AS bytes`);
  return Number(res.rows[0]!.bytes);
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
