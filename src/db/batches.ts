import type { Queryable } from './pool.js';

export type Phase = 'verify' | 'share' | 'done';

export interface Batch {
  id: number;
  registry: string;
  province: string | null;
  chunkSize: number;
  phase: Phase;
  chunks: number;
  startedAt: Date;
  attempts: number;
}

export interface Chunk {
  chunkNo: number;
  keyFrom: string;
  keyTo: string;
  done: boolean;
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
  pending: number;
  errors: number;
}

// Who a batch looks at: never verified, changed since the last verification, or still pending.
export const NEEDS_VERIFICATION = `(p.status = 'PENDING' OR p.verified_version IS DISTINCT FROM p.data_version)`;

const BATCH_COLUMNS = `id, registry, province, chunk_size AS "chunkSize", phase, chunks, started_at AS "startedAt", attempts`;

export async function findUnfinishedBatch(q: Queryable): Promise<Batch | null> {
  const res = await q.query<Batch>(`SELECT ${BATCH_COLUMNS} FROM batch WHERE phase <> 'done' ORDER BY id LIMIT 1`);
  return res.rows[0] ?? null;
}

export async function markResumed(q: Queryable, batchId: number): Promise<void> {
  await q.query('UPDATE batch SET attempts = attempts + 1 WHERE id = $1::bigint', [batchId]);
}

/**
 * Creates a batch and cuts the people who need verification into chunks of fixed code ranges, in one
 * statement, so that a resumed run works on exactly the same chunks. `chunks` is 0 when nobody needs it.
 */
export async function createBatch(
  tx: Queryable,
  args: { registry: string; province: string | null; chunkSize: number; now: Date },
): Promise<Batch> {
  const batch = (
    await tx.query<Batch>(
      `INSERT INTO batch (registry, province, chunk_size, phase, chunks, started_at)
       VALUES ($1::text, $2::text, $3::int, 'verify', 0, $4::timestamptz) RETURNING ${BATCH_COLUMNS}`,
      [args.registry, args.province, args.chunkSize, args.now],
    )
  ).rows[0]!;
  const chunks = await tx.query(
    `INSERT INTO batch_chunk (batch_id, chunk_no, key_from, key_to)
     SELECT $1::bigint, chunk_no, min(ma_so_bhxh), max(ma_so_bhxh)
       FROM (SELECT ma_so_bhxh, ((row_number() OVER (ORDER BY ma_so_bhxh)) - 1) / $2::int AS chunk_no
               FROM participant p
              WHERE ${NEEDS_VERIFICATION} AND ($3::text IS NULL OR p.ma_tinh = $3::text)) todo
      GROUP BY chunk_no`,
    [batch.id, args.chunkSize, args.province],
  );
  await tx.query('UPDATE batch SET chunks = $2::int WHERE id = $1::bigint', [batch.id, chunks.rowCount]);
  return { ...batch, chunks: chunks.rowCount ?? 0 };
}

export async function listChunks(q: Queryable, batchId: number): Promise<Chunk[]> {
  const res = await q.query<Chunk>(
    `SELECT chunk_no AS "chunkNo", key_from AS "keyFrom", key_to AS "keyTo",
            verified_at IS NOT NULL AS done
       FROM batch_chunk WHERE batch_id = $1::bigint ORDER BY chunk_no`,
    [batchId],
  );
  return res.rows;
}

export async function setPhase(q: Queryable, batchId: number, phase: Phase, now: Date): Promise<void> {
  await q.query(
    `UPDATE batch SET phase = $2::text, finished_at = CASE WHEN $2::text = 'done' THEN $3::timestamptz END WHERE id = $1::bigint`,
    [batchId, phase, now],
  );
}

/**
 * The batch's outcome counts, from its verification rows: a person decided in one chunk may become a conflict
 * party in a later one, so the chunks' own counts are snapshots.
 */
export async function batchCounts(q: Queryable, batchId: number): Promise<Counts> {
  const res = await q.query<Counts>(
    `SELECT (SELECT coalesce(sum(n_read), 0) FROM batch_chunk WHERE batch_id = $1::bigint)::int AS read,
            count(*) FILTER (WHERE status = 'MATCHED')::int AS matched,
            count(*) FILTER (WHERE status = 'MISMATCHED')::int AS mismatched,
            count(*) FILTER (WHERE status = 'MISSING_ID')::int AS missing,
            count(*) FILTER (WHERE status = 'CONFLICT')::int AS conflict,
            count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
            (SELECT coalesce(sum(n_errors), 0) FROM batch_chunk WHERE batch_id = $1::bigint)::int AS errors
       FROM verification WHERE batch_id = $1::bigint`,
    [batchId],
  );
  return res.rows[0]!;
}

export const NO_COUNTS: Counts = { read: 0, matched: 0, mismatched: 0, missing: 0, conflict: 0, pending: 0, errors: 0 };

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
