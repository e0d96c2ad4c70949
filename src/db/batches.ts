import type { Queryable } from './pool.js';

/** verify → (conflicts settled) → write → share → done; see migrations/0016_distributed_run.sql. */
export type Phase = 'verify' | 'write' | 'share' | 'done';

export interface Batch {
  id: number;
  registry: string;
  province: string | null;
  chunkSize: number;
  phase: Phase;
  chunks: number;
  startedAt: Date;
  finishedAt: Date | null;
  attempts: number;
  maxInFlight: number | null;
  /** People per registry request, set by the run that opened the batch (null: a batch of an older ddcn). */
  batchSize: number | null;
}

/** One chunk of a batch: a fixed range of social-insurance codes. */
export interface ChunkRange {
  batchId: number;
  chunkNo: number;
  keyFrom: string;
  keyTo: string;
}

export interface Counts {
  read: number;
  matched: number;
  mismatched: number;
  missing: number;
  conflict: number;
  /**
   * Of `conflict`, the people from outside the batch (an earlier batch's, or never verified): they hold the number this batch found for someone it read
   * (conflicts.ts), so the outcomes can add up to more than `read`.
   */
  conflictEarlier: number;
  pending: number;
  errors: number;
  /**
   * Of the outcomes above (not PENDING), those not applied: the person's data changed while the batch ran (an import,
   * a unit's correction), so the answer was about data no longer on file: the next run verifies them.
   */
  changed: number;
}

/**
 * A CONFLICT (conflicts.ts) that may be over: another party of the person's last outcome has had its data changed
 * since (a new number from the export or a correction: the duplicate code resolved at the source), so it may no
 * longer claim the number. The person's own data did not change, and nothing else would ever ask the registry for
 * them again: they stayed CONFLICT, on Mẫu 02 as `… cũng gắn với một mã số BHXH khác`, however long ago the other
 * code gave the number up. Asked again, they are MATCHED when nobody claims it any more, CONFLICT again when someone
 * still does (then with the parties' current data, so not asked again until one of them changes once more).
 * Evaluated only for people whose status is CONFLICT, a handful.
 */
const CONFLICT_PARTY_CHANGED = `(p.status = 'CONFLICT' AND EXISTS (
    SELECT 1
      FROM (SELECT c.batch_id, c.detail FROM verification c
             WHERE c.ma_so_bhxh = p.ma_so_bhxh AND c.status <> 'PENDING'
             ORDER BY c.batch_id DESC LIMIT 1) last
     CROSS JOIN LATERAL jsonb_array_elements_text(last.detail -> 'conflictWith') AS w(code)
      JOIN verification o ON o.batch_id = last.batch_id AND o.ma_so_bhxh = w.code
      LEFT JOIN participant q ON q.ma_so_bhxh = w.code
     WHERE q.data_version IS DISTINCT FROM o.data_version))`;

// Who a batch looks at: never verified, changed since the last verification, still pending, or in a conflict whose
// other party has changed since.
export const NEEDS_VERIFICATION = `(p.status = 'PENDING' OR p.verified_version IS DISTINCT FROM p.data_version OR ${CONFLICT_PARTY_CHANGED})`;

const BATCH_COLUMNS = `id, registry, province, chunk_size AS "chunkSize", phase, chunks, started_at AS "startedAt",
  finished_at AS "finishedAt", attempts, max_in_flight AS "maxInFlight", batch_size AS "batchSize"`;

/** The one open batch, if any: `ddcn run` creates a batch only when none is open (openBatch). */
export async function findUnfinishedBatch(q: Queryable): Promise<Batch | null> {
  const res = await q.query<Batch>(`SELECT ${BATCH_COLUMNS} FROM batch WHERE phase <> 'done' ORDER BY id LIMIT 1`);
  return res.rows[0] ?? null;
}

export async function getBatch(q: Queryable, id: number): Promise<Batch | null> {
  const res = await q.query<Batch>(`SELECT ${BATCH_COLUMNS} FROM batch WHERE id = $1::bigint`, [id]);
  return res.rows[0] ?? null;
}

export async function latestBatch(q: Queryable): Promise<Batch | null> {
  const res = await q.query<Batch>(`SELECT ${BATCH_COLUMNS} FROM batch ORDER BY id DESC LIMIT 1`);
  return res.rows[0] ?? null;
}

/** A batch taken up again by this process, its opener gone: one attempt more, and this process its opener now. */
export async function markResumed(q: Queryable, batchId: number): Promise<void> {
  await q.query(`UPDATE batch SET attempts = attempts + 1, opened_by = current_setting('application_name') WHERE id = $1::bigint`, [batchId]);
}

/** Serialises the creation of batches: two `ddcn run` started together end up on the same batch. */
const CREATE_LOCK = 2207_0012;

export interface NewBatch {
  registry: string;
  province: string | null;
  chunkSize: number;
  maxInFlight: number | null;
  /** People per registry request for every process of the batch (absent: each process's own). */
  batchSize?: number | null;
  now: Date;
}

/**
 * The open batch, or a new one when none is open. A new batch cuts the people who need verification into chunks
 * of fixed code ranges, in one statement, so that whoever resumes it works on exactly the same chunks. A batch
 * with nobody to verify but shares outstanding gets one empty chunk, whose share step covers every code. Returns
 * null (and leaves nothing behind) when there is nothing to do at all.
 */
export async function openBatch(tx: Queryable, args: NewBatch): Promise<{ batch: Batch; resumed: boolean } | null> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [CREATE_LOCK]);
  const open = await findUnfinishedBatch(tx);
  if (open) return { batch: open, resumed: true };
  // Nothing to verify and no share owed: no batch, and no batch id used up (the ids of the batches an operator sees
  // follow one another, quiet nights or not).
  const todo = await tx.query<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM participant p WHERE ${NEEDS_VERIFICATION} AND ($1::text IS NULL OR p.ma_tinh = $1::text)) AS yes`,
    [args.province],
  );
  if (!todo.rows[0]!.yes && !(await sharesOutstanding(tx, args.province))) return null;
  const batch = (
    await tx.query<Batch>(
      `INSERT INTO batch (registry, province, chunk_size, phase, chunks, started_at, max_in_flight, batch_size, opened_by)
       VALUES ($1::text, $2::text, $3::int, 'verify', 0, $4::timestamptz, $5::int, $6::int, current_setting('application_name'))
       RETURNING ${BATCH_COLUMNS}`,
      [args.registry, args.province, args.chunkSize, args.now, args.maxInFlight, args.batchSize ?? null],
    )
  ).rows[0]!;
  const cut = await tx.query<{ chunks: number; people: number }>(
    `WITH todo AS (
       SELECT ma_so_bhxh, ((row_number() OVER (ORDER BY ma_so_bhxh)) - 1) / $2::int AS chunk_no
         FROM participant p
        WHERE ${NEEDS_VERIFICATION} AND ($3::text IS NULL OR p.ma_tinh = $3::text)
     ), made AS (
       INSERT INTO batch_chunk (batch_id, chunk_no, key_from, key_to)
       SELECT $1::bigint, chunk_no, min(ma_so_bhxh), max(ma_so_bhxh) FROM todo GROUP BY chunk_no
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM made)::int AS chunks, (SELECT count(*) FROM todo)::int AS people`,
    [batch.id, args.chunkSize, args.province],
  );
  await tx.query('UPDATE batch SET people = $2::int WHERE id = $1::bigint', [batch.id, cut.rows[0]!.people]);
  let n = cut.rows[0]!.chunks;
  if (n === 0) {
    // Nobody to verify: shares are owed (above), and one chunk of no range carries the share step.
    await tx.query(`INSERT INTO batch_chunk (batch_id, chunk_no, key_from, key_to) VALUES ($1::bigint, 0, '', '')`, [batch.id]);
    n = 1;
  }
  await tx.query('UPDATE batch SET chunks = $2::int WHERE id = $1::bigint', [batch.id, n]);
  return { batch: { ...batch, chunks: n }, resumed: false };
}

/** The chunks whose `step` is not done yet. */
export async function chunksToDo(q: Queryable, batchId: number, step: 'verify' | 'write' | 'share'): Promise<number[]> {
  const done = { verify: 'verified_at', write: 'written_at', share: 'shared_at' }[step];
  const res = await q.query<{ chunk_no: number }>(
    `SELECT chunk_no FROM batch_chunk WHERE batch_id = $1::bigint AND ${done} IS NULL ORDER BY chunk_no`,
    [batchId],
  );
  return res.rows.map((r) => r.chunk_no);
}

/**
 * The batch's outcome counts, from its verification rows (a conflict settled over the whole batch changes people
 * of any chunk), with the people read and the registry errors from its chunks.
 */
export async function batchCounts(q: Queryable, batchId: number): Promise<Counts & { shared: number; shareFailed: number }> {
  const res = await q.query<Counts & { shared: number; shareFailed: number }>(
    `SELECT c.read, c.errors, c.share_failed AS "shareFailed", b.shared, v.*
       FROM batch b,
            LATERAL (SELECT coalesce(sum(n_read), 0)::int AS read, coalesce(sum(n_errors), 0)::int AS errors,
                            coalesce(sum(n_share_failed), 0)::int AS share_failed
                       FROM batch_chunk WHERE batch_id = b.id) c,
            LATERAL (SELECT count(*) FILTER (WHERE status = 'MATCHED')::int AS matched,
                            count(*) FILTER (WHERE status = 'MISMATCHED')::int AS mismatched,
                            count(*) FILTER (WHERE status = 'MISSING_ID')::int AS missing,
                            count(*) FILTER (WHERE status = 'CONFLICT')::int AS conflict,
                            count(*) FILTER (WHERE status = 'CONFLICT' AND chunk_no = -1)::int AS "conflictEarlier",
                            count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
                            count(*) FILTER (WHERE status <> 'PENDING' AND NOT applied)::int AS changed
                       FROM verification WHERE batch_id = b.id) v
      WHERE b.id = $1::bigint`,
    [batchId],
  );
  return res.rows[0]!;
}

export const NO_COUNTS: Counts = { read: 0, matched: 0, mismatched: 0, missing: 0, conflict: 0, conflictEarlier: 0, pending: 0, errors: 0, changed: 0 };

/** True while shares of matched people are outstanding (Plan I.4), so a run has work even when nobody needs verifying. */
export async function sharesOutstanding(q: Queryable, province: string | null): Promise<boolean> {
  const res = await q.query(
    `SELECT 1 FROM participant p
      WHERE p.status = 'MATCHED' AND ($1::text IS NULL OR p.ma_tinh = $1::text)
        AND NOT EXISTS (SELECT 1 FROM share_record s WHERE s.ma_so_bhxh = p.ma_so_bhxh AND s.so_ddcn = p.so_ddcn)
      LIMIT 1`,
    [province],
  );
  return (res.rowCount ?? 0) > 0;
}

/** What another process failed of these batches: the people it left unverified (by failure kind) and the shares it owes. */
export interface FailedElsewhere {
  worker: string;
  /** Failed before this run began: a run of the batch that stopped or died (the one this run resumes), or a worker then. */
  before: boolean;
  people: number;
  /** Of `people`, those who keep their last outcome (verified before, KEEPS_LAST_OUTCOME in db/verifications.ts). */
  kept?: number;
  kinds: string[];
  shareFailed: number;
}

/**
 * The registry failures of these batches that processes other than `me` met (a `ddcn worker` with another token or
 * URL than the run's fails every chunk it takes): the run's own registry client knows nothing of them, so its
 * message would otherwise give no reason, or the wrong one. `openedHere`: the batches this run opened itself, where
 * nothing can have failed before it began. A step's time is the clock of the machine that did it: a worker whose
 * clock is behind the run's would otherwise be told of as a process of the past (no process to restart) while it
 * fails every chunk it takes.
 */
export async function failedElsewhere(q: Queryable, batchIds: number[], me: string, since: Date, openedHere: number[] = []): Promise<FailedElsewhere[]> {
  const res = await q.query<FailedElsewhere>(
    `WITH verify AS (
       SELECT c.verified_by AS worker, c.verified_at < $3::timestamptz AND c.batch_id <> ALL($4::bigint[]) AS before,
              count(DISTINCT v.ma_so_bhxh)::int AS people, count(DISTINCT v.ma_so_bhxh) FILTER (WHERE NOT v.applied)::int AS kept,
              array_agg(DISTINCT v.detail->>'error' ORDER BY v.detail->>'error') AS kinds
         FROM verification v
         JOIN participant p ON p.ma_so_bhxh = v.ma_so_bhxh
         JOIN batch_chunk c ON c.batch_id = v.batch_id AND c.chunk_no = v.chunk_no
        WHERE v.batch_id = ANY($1::bigint[]) AND ${LEFT_UNVERIFIED} AND c.verified_by IS DISTINCT FROM $2::text
        GROUP BY 1, 2),
     share AS (
       SELECT shared_by AS worker, shared_at < $3::timestamptz AND batch_id <> ALL($4::bigint[]) AS before, sum(n_share_failed)::int AS share_failed FROM batch_chunk
        WHERE batch_id = ANY($1::bigint[]) AND n_share_failed > 0 AND shared_by IS DISTINCT FROM $2::text
        GROUP BY 1, 2)
     SELECT coalesce(v.worker, s.worker, '?') AS worker, coalesce(v.before, s.before, false) AS before,
            coalesce(v.people, 0) AS people, coalesce(v.kept, 0) AS kept, coalesce(v.kinds, '{}') AS kinds, coalesce(s.share_failed, 0) AS "shareFailed"
       FROM verify v FULL JOIN share s ON s.worker = v.worker AND s.before = v.before
      ORDER BY 2 DESC, 1`,
    [batchIds, me, since, openedHere],
  );
  return res.rows;
}

/**
 * The people the registry failed for in these batches who are not verified still (`people`), and of them those who
 * keep their last outcome meanwhile (`kept`): those a later batch of the same run verified are not counted (a
 * province's batch finished first, then the whole country's, which asked for them again), and who failed in both
 * is counted once.
 */
export async function stillFailed(q: Queryable, batchIds: number[]): Promise<{ people: number; kept: number }> {
  const res = await q.query<{ people: number; kept: number }>(
    `SELECT count(DISTINCT v.ma_so_bhxh)::int AS people, count(DISTINCT v.ma_so_bhxh) FILTER (WHERE NOT v.applied)::int AS kept
       FROM verification v JOIN participant p ON p.ma_so_bhxh = v.ma_so_bhxh
      WHERE v.batch_id = ANY($1::bigint[]) AND ${LEFT_UNVERIFIED}`,
    [batchIds],
  );
  return res.rows[0]!;
}

/**
 * Of a PENDING outcome not applied (`v`), its person (`p`) keeps their last outcome still: on the data it was about,
 * which no outcome has decided on since (an import changing them meanwhile made it the next run's) — or, a CONFLICT
 * asked again because another party changed (CONFLICT_PARTY_CHANGED), one the next run asks again still, if no later
 * batch gave them an outcome since (last_batch_id): a party changing after that later outcome is not this request's.
 */
export const STILL_KEEPS = `p.status <> 'PENDING' AND p.data_version = v.data_version
  AND (p.verified_version IS DISTINCT FROM v.data_version OR (p.last_batch_id < v.batch_id AND ${CONFLICT_PARTY_CHANGED}))`;

/**
 * An outcome of a failed request (`v`) whose person (`p`) is not verified since: written, PENDING still (they had no
 * outcome before; settling the batch's conflicts may have made them CONFLICT instead), or — not applied, the person
 * keeping their last outcome (KEEPS_LAST_OUTCOME, db/verifications.ts) — on data no outcome has decided on since. An
 * outcome not applied because an import changed the person meanwhile is not counted: the new data is the next run's.
 */
const LEFT_UNVERIFIED = `v.status = 'PENDING' AND v.detail ? 'error' AND CASE
         WHEN v.applied THEN p.last_batch_id = v.batch_id AND p.status = 'PENDING'
         ELSE ${STILL_KEEPS} END`;
