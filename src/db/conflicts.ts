// Conflicts (Plan 2207 matching rules): one personal number for two social-insurance codes. Found per chunk, under
// the same transaction that applies it; neither party gets the number.
import type { Queryable } from './pool.js';
import type { Outcome } from '../domain/outcome.js';
import type { ChunkRange } from './batches.js';

/**
 * Whether any of these matches' personal numbers is on file for another participant. Almost always no, and then
 * this one index probe per match is all it costs.
 */
export async function heldByOthers(tx: Queryable, matched: Outcome[]): Promise<boolean> {
  if (matched.length === 0) return false;
  const held = await tx.query(
    `SELECT 1 FROM unnest($1::text[], $2::text[]) AS m(code, ddcn)
      WHERE EXISTS (SELECT 1 FROM participant p WHERE p.so_giay_to = m.ddcn AND p.ma_so_bhxh <> m.code)
      LIMIT 1`,
    [matched.map((x) => x.maSoBhxh), matched.map((x) => x.soDdcn)],
  );
  return (held.rowCount ?? 0) > 0;
}

/**
 * Conflicts of one chunk's matches: a personal number returned for two social-insurance codes, or returned for
 * one while another participant holds it already (from an earlier batch, or from an earlier chunk of this batch).
 * Neither gets it: both become CONFLICT, each naming the others. A holder that got the number in this very batch
 * has it taken back (its old number restored, the history row removed), so the end state does not depend on
 * which chunk came first. Claims are grouped by number, so the plan stays linear whatever the statistics say.
 * Returns the codes in conflict: the caller writes their outcome, those of its own chunk included (their first
 * outcome was written before the chunk could know of the conflict).
 */
export async function resolveChunkConflicts(tx: Queryable, args: ChunkRange & { now: Date }): Promise<string[]> {
  const contested = `
    WITH m AS (
      SELECT ma_so_bhxh, so_ddcn FROM verification
       WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $3::text AND $4::text AND chunk_no = $2::int AND status = 'MATCHED'
    ), claims AS (
      SELECT so_ddcn, ma_so_bhxh FROM m
      UNION
      SELECT p.so_giay_to, p.ma_so_bhxh FROM participant p WHERE p.so_giay_to IN (SELECT so_ddcn FROM m)
    ), contested AS (
      SELECT so_ddcn, array_agg(ma_so_bhxh ORDER BY ma_so_bhxh) AS parties FROM claims GROUP BY so_ddcn HAVING count(*) > 1
    )
    SELECT DISTINCT ON (code) code AS ma_so_bhxh, so_ddcn, array_remove(parties, code) AS others
      FROM contested, unnest(parties) AS code ORDER BY code, so_ddcn`;
  const found = await tx.query<{ ma_so_bhxh: string; so_ddcn: string; others: string[] }>(contested, [
    args.batchId, args.chunkNo, args.keyFrom, args.keyTo,
  ]);
  if (found.rowCount === 0) return [];
  const rows = found.rows;
  const codes = rows.map((r) => r.ma_so_bhxh);
  // A number given earlier in this batch to a party is taken back.
  await tx.query(
    `WITH taken AS (
       DELETE FROM number_history h USING unnest($2::text[], $3::text[]) AS c(code, ddcn)
        WHERE h.ma_so_bhxh = c.code AND h.so_moi = c.ddcn AND h.batch_id = $1::bigint AND h.source = 'registry'
       RETURNING h.ma_so_bhxh, h.so_cu
     )
     UPDATE participant p SET so_giay_to = taken.so_cu FROM taken WHERE p.ma_so_bhxh = taken.ma_so_bhxh`,
    [args.batchId, codes, rows.map((r) => r.so_ddcn)],
  );
  await tx.query(
    `INSERT INTO verification AS v (batch_id, ma_so_bhxh, chunk_no, data_version, status, fields, so_ddcn, detail, verified_at)
     SELECT $1::bigint, c.code, $2::int, p.data_version, 'CONFLICT', '{}', c.ddcn,
            jsonb_build_object('conflictWith', c.others::jsonb), $3::timestamptz
       FROM unnest($4::text[], $5::text[], $6::text[]) AS c(code, ddcn, others)
       JOIN participant p ON p.ma_so_bhxh = c.code
     ON CONFLICT (batch_id, ma_so_bhxh) DO UPDATE SET
       status = 'CONFLICT',
       so_ddcn = EXCLUDED.so_ddcn,
       detail = coalesce(v.detail, '{}'::jsonb) || EXCLUDED.detail
                || CASE WHEN v.status <> 'CONFLICT' THEN jsonb_build_object('registryStatus', v.status, 'registryFields', to_jsonb(v.fields)) ELSE '{}'::jsonb END,
       fields = '{}'`,
    [args.batchId, args.chunkNo, args.now, codes, rows.map((r) => r.so_ddcn), rows.map((r) => JSON.stringify(r.others))],
  );
  return codes;
}
