// Bookkeeping of a chunk's steps (verify, write, share): each is one transaction that first takes the chunk's row
// and checks the step is not done, and last marks it done and counts it on the batch. A job done twice — a worker
// presumed dead that was only slow, a job queued again by a resumed run — so changes nothing the second time.
import type { Queryable } from './pool.js';
import type { ChunkRange, Phase } from './batches.js';

export type Step = 'verify' | 'write' | 'share';

const DONE_AT = { verify: 'verified_at', write: 'written_at', share: 'shared_at' } as const;
const DONE_BY = { verify: 'verified_by', write: 'written_by', share: 'shared_by' } as const;
const COUNTER = { verify: 'chunks_verified', write: 'chunks_written', share: 'chunks_shared' } as const;
/** The phase in which a step's jobs run. */
export const PHASE_OF: Record<Step, Phase> = { verify: 'verify', write: 'write', share: 'share' };

export interface ChunkInfo extends ChunkRange {
  /** Sharing covers every code, not only the batch's: chunk n shares the codes after chunk n-1's last. */
  shareAfter: string | null;
  shareUpTo: string | null;
  done: Record<Step, boolean>;
}

export async function chunkInfo(q: Queryable, batchId: number, chunkNo: number): Promise<ChunkInfo | null> {
  const res = await q.query<{
    key_from: string; key_to: string; after: string | null; last: boolean; verified: boolean; written: boolean; shared: boolean;
  }>(
    `SELECT * FROM (
       SELECT chunk_no, key_from, key_to, lag(key_to) OVER w AS after, lead(chunk_no) OVER w IS NULL AS last,
              verified_at IS NOT NULL AS verified, written_at IS NOT NULL AS written, shared_at IS NOT NULL AS shared
         FROM batch_chunk WHERE batch_id = $1::bigint WINDOW w AS (ORDER BY chunk_no)) c
      WHERE chunk_no = $2::int`,
    [batchId, chunkNo],
  );
  const r = res.rows[0];
  if (!r) return null;
  return {
    batchId, chunkNo, keyFrom: r.key_from, keyTo: r.key_to,
    shareAfter: r.after, shareUpTo: r.last ? null : r.key_to,
    done: { verify: r.verified, write: r.written, share: r.shared },
  };
}

/**
 * Takes the chunk's row for the rest of the transaction. False when the step is done already: another worker
 * finished it, and this transaction must change nothing.
 */
export async function claimStep(tx: Queryable, batchId: number, chunkNo: number, step: Step): Promise<boolean> {
  const res = await tx.query<{ done: boolean }>(
    `SELECT ${DONE_AT[step]} IS NOT NULL AS done FROM batch_chunk WHERE batch_id = $1::bigint AND chunk_no = $2::int FOR UPDATE`,
    [batchId, chunkNo],
  );
  return res.rows[0] !== undefined && !res.rows[0].done;
}

/**
 * Marks the step done, with who did it, and counts it on the batch. Returns true when this was the batch's last
 * chunk to do the step: the caller then starts the next phase in the same transaction. Two chunks finishing at the
 * same moment queue on the batch row, so exactly one of them sees the count reach the total.
 */
export async function finishStep(
  tx: Queryable,
  args: { batchId: number; chunkNo: number; step: Step; worker: string; now: Date; counts?: Record<string, number> },
): Promise<boolean> {
  const counts = Object.entries(args.counts ?? {});
  const sets = counts.map(([col], i) => `, ${col} = $${i + 5}::int`).join('');
  await tx.query(
    `UPDATE batch_chunk SET ${DONE_AT[args.step]} = $3::timestamptz, ${DONE_BY[args.step]} = $4::text${sets}
      WHERE batch_id = $1::bigint AND chunk_no = $2::int`,
    [args.batchId, args.chunkNo, args.now, args.worker, ...counts.map(([, n]) => n)],
  );
  const res = await tx.query<{ last: boolean }>(
    `UPDATE batch SET ${COUNTER[args.step]} = ${COUNTER[args.step]} + 1 WHERE id = $1::bigint RETURNING ${COUNTER[args.step]} >= chunks AS last`,
    [args.batchId],
  );
  return res.rows[0]!.last;
}

/** Whether every chunk has done `step`, under the batch row's lock (for a resumed batch stuck between phases). */
export async function stepComplete(tx: Queryable, batchId: number, step: Step): Promise<boolean> {
  const res = await tx.query<{ complete: boolean }>(
    `SELECT ${COUNTER[step]} >= chunks AS complete FROM batch WHERE id = $1::bigint FOR UPDATE`,
    [batchId],
  );
  return res.rows[0]?.complete ?? false;
}

export async function setPhase(q: Queryable, batchId: number, phase: Phase, now: Date): Promise<void> {
  await q.query(
    `UPDATE batch SET phase = $2::text, finished_at = CASE WHEN $2::text = 'done' THEN $3::timestamptz END WHERE id = $1::bigint`,
    [batchId, phase, now],
  );
}

/**
 * The chunk steps a worker (host:pid) is credited with since it started (a pid is used again by later processes):
 * what `ddcn batch status` lists for it.
 */
export async function stepsDoneBy(q: Queryable, worker: string, since: Date): Promise<number> {
  const res = await q.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM batch_chunk WHERE verified_by = $1::text AND verified_at >= $2::timestamptz)
          + (SELECT count(*) FROM batch_chunk WHERE written_by = $1::text AND written_at >= $2::timestamptz)
          + (SELECT count(*) FROM batch_chunk WHERE shared_by = $1::text AND shared_at >= $2::timestamptz) AS n`,
    [worker, since],
  );
  return Number(res.rows[0]!.n);
}
