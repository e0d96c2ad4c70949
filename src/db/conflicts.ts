// Conflicts (Plan 2207 matching rules): one personal number (ĐDCN) confirmed for two social-insurance codes, or
// confirmed for one while another participant holds it already. Neither gets it. Settled once per batch, over all
// of its claims, after every chunk is verified and before any number is written: so the outcome cannot depend on
// which chunk was verified first, or by whom.
import type { Queryable } from './pool.js';
import { SQLSTATE, sqlState } from './sqlstate.js';

/**
 * One set-based statement over the whole batch: the numbers claimed twice within the batch, or claimed by one
 * person while on file for another, are contested; every claimant and holder of such a number becomes CONFLICT,
 * naming the others (a holder outside the batch gets an outcome row of its own, chunk -1). A party's registry
 * answer is kept in `detail`. Nothing is written to participant or number_history here, so a conflict party never
 * had the number. Returns the parties from outside the batch, whose participant rows the caller writes at once.
 *
 * Cost: one hash aggregate over the batch's matches and one join of them with the numbers on file (a hash join for a
 * large batch, the index on participant.so_giay_to for a small one); a conflict is rare, so the rest of the
 * statement runs on a handful of rows.
 */
export async function settleConflicts(tx: Queryable, args: { batchId: number; now: Date }): Promise<{ parties: number; outside: string[] }> {
  // Statistics for the batch's outcomes, stored just now: without them the planner takes the batch for a dozen rows
  // and probes the numbers on file one by one (1 M: 2.6 s; with them a hash join, 1.2 s, for ~0.2 s of ANALYZE,
  // which samples the same number of rows whatever the table's size). Autovacuum had not analysed it 40 minutes on.
  await analyzeOutcomes(tx);
  const res = await tx.query<{ ma_so_bhxh: string; outside: boolean }>(
    `WITH m AS (
       SELECT ma_so_bhxh, so_ddcn FROM verification WHERE batch_id = $1::bigint AND status = 'MATCHED'
     ), contested AS (
       SELECT so_ddcn FROM m GROUP BY so_ddcn HAVING count(*) > 1
       UNION
       SELECT m.so_ddcn FROM m JOIN participant p ON p.so_giay_to = m.so_ddcn AND p.ma_so_bhxh <> m.ma_so_bhxh
     ), claims AS (
       SELECT m.so_ddcn, m.ma_so_bhxh FROM m JOIN contested c USING (so_ddcn)
       UNION
       SELECT p.so_giay_to, p.ma_so_bhxh FROM participant p JOIN contested c ON p.so_giay_to = c.so_ddcn
     ), grouped AS (
       SELECT so_ddcn, array_agg(ma_so_bhxh ORDER BY ma_so_bhxh) AS parties FROM claims GROUP BY so_ddcn
     ), party AS (
       SELECT DISTINCT ON (code) code, so_ddcn, array_remove(parties, code) AS others
         FROM grouped, unnest(parties) AS code ORDER BY code, so_ddcn
     )
     INSERT INTO verification AS v (batch_id, ma_so_bhxh, chunk_no, data_version, status, fields, so_ddcn, detail, verified_at)
     SELECT $1::bigint, party.code, -1, p.data_version, 'CONFLICT', '{}', party.so_ddcn,
            jsonb_build_object('conflictWith', to_jsonb(party.others)), $2::timestamptz
       FROM party JOIN participant p ON p.ma_so_bhxh = party.code
     ON CONFLICT (batch_id, ma_so_bhxh) DO UPDATE SET
       status = 'CONFLICT',
       so_ddcn = EXCLUDED.so_ddcn,
       detail = coalesce(v.detail, '{}'::jsonb) || EXCLUDED.detail
                || CASE WHEN v.status <> 'CONFLICT' THEN jsonb_build_object('registryStatus', v.status, 'registryFields', to_jsonb(v.fields)) ELSE '{}'::jsonb END,
       fields = '{}'
     RETURNING v.ma_so_bhxh, v.chunk_no = -1 AS outside`,
    [args.batchId, args.now],
  );
  // Stryker disable next-line MethodExpression: parties inside the batch are then written again by their own chunk, with the same outcome: the same end state
  return { parties: res.rowCount ?? 0, outside: res.rows.filter((r) => r.outside).map((r) => r.ma_so_bhxh) };
}

/**
 * ANALYZE of the outcomes, for the settling statement's plan. It waits at most a few seconds for its lock (a VACUUM
 * of the table holds it, an anti-wraparound one for long): then the statement runs on the old statistics, slower,
 * rather than the batch waiting with its rows locked. As a role that does not own the table, PostgreSQL skips it
 * with a warning.
 */
async function analyzeOutcomes(tx: Queryable): Promise<void> {
  const before = (await tx.query<{ v: string }>(`SELECT current_setting('lock_timeout') AS v`)).rows[0]!.v;
  await tx.query(`SAVEPOINT outcome_statistics; SELECT set_config('lock_timeout', '3s', true)`);
  try {
    // Stryker disable next-line StringLiteral: planner statistics: the same rows either way
    await tx.query('ANALYZE verification');
    await tx.query('RELEASE SAVEPOINT outcome_statistics');
  } catch (err) {
    if (sqlState(err) !== SQLSTATE.lockNotAvailable) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT outcome_statistics; RELEASE SAVEPOINT outcome_statistics');
  }
  await tx.query(`SELECT set_config('lock_timeout', $1::text, true)`, [before]);
}
