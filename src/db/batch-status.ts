import type { Queryable } from './pool.js';
import { batchCounts, getBatch, latestBatch, type Batch, type Counts } from './batches.js';

export interface WorkerSeen {
  worker: string; // host:pid
  steps: number; // chunk steps it finished
  lastSeen: Date;
}

export interface BatchStatus {
  id: number;
  phase: Batch['phase'];
  province: string | null;
  registry: string;
  startedAt: Date;
  finishedAt: Date | null;
  attempts: number;
  maxInFlight: number | null;
  chunks: { total: number; verified: number; written: number; shared: number };
  /** The people the batch set out to verify; `counts.read` of them are verified (or failed) so far. */
  people: number;
  counts: Counts & { shared: number; shareFailed: number };
  /** People read (verified, or failed at the registry) per second, from the batch's start to its end (or to now). */
  peoplePerSecond: number;
  workers: WorkerSeen[];
}

/** `ddcn batch status`: everything from the batch's own rows, so it works from any machine, running or not. */
export async function batchStatus(q: Queryable, id: number | null, now: Date): Promise<BatchStatus | null> {
  const batch = id === null ? await latestBatch(q) : await getBatch(q, id);
  if (!batch) return null;
  const steps = await q.query<{ verified: number; written: number; shared: number; people: number }>(
    `SELECT chunks_verified AS verified, chunks_written AS written, chunks_shared AS shared, people FROM batch WHERE id = $1::bigint`,
    [batch.id],
  );
  const { people, ...chunkSteps } = steps.rows[0]!;
  const workers = await q.query<WorkerSeen>(
    `SELECT worker, count(*)::int AS steps, max(at) AS "lastSeen"
       FROM batch_chunk c,
            LATERAL (VALUES (c.verified_by, c.verified_at), (c.written_by, c.written_at), (c.shared_by, c.shared_at)) AS s(worker, at)
      WHERE c.batch_id = $1::bigint AND worker IS NOT NULL
      GROUP BY worker ORDER BY max(at) DESC, worker`,
    [batch.id],
  );
  const counts = await batchCounts(q, batch.id);
  const seconds = Math.max(0.001, ((batch.finishedAt ?? now).getTime() - batch.startedAt.getTime()) / 1000);
  return {
    id: batch.id, phase: batch.phase, province: batch.province, registry: batch.registry, startedAt: batch.startedAt,
    finishedAt: batch.finishedAt, attempts: batch.attempts, maxInFlight: batch.maxInFlight,
    chunks: { total: batch.chunks, ...chunkSteps },
    people,
    counts,
    peoplePerSecond: Math.round((counts.read / seconds) * 10) / 10,
    workers: workers.rows,
  };
}
