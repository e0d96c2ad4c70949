import type { Queryable } from './pool.js';
import { batchCounts, getBatch, latestBatch, STILL_KEEPS, type Batch, type Counts } from './batches.js';
import type { Step } from './chunk-steps.js';
import { CHUNK_QUEUE, WRITE_QUEUE, workingConnectionName } from './jobs.js';

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
  /** People per registry request for every process of the batch (null: a batch of an older ddcn). */
  batchSize: number | null;
  chunks: { total: number; verified: number; written: number; shared: number };
  /** The people the batch set out to verify; `counts.read` of them are verified (or failed) so far. */
  people: number;
  counts: Counts & { shared: number; shareFailed: number };
  /** Of `counts.pending`, those verified before who keep their last outcome (and list) meanwhile (db/verifications.ts). */
  keptOutcome: number;
  /** People read (verified, or failed at the registry) per second, from the batch's start to its end (or to now). */
  peoplePerSecond: number;
  workers: WorkerSeen[];
  /** When the last chunk step of the batch was finished (null: none yet). */
  lastStepAt: Date | null;
  /** The database server's time of this reading: how long ago things were is told by one clock for every machine. */
  checkedAt: Date;
  /** What is going on now; empty lists for a batch that is done. */
  now: Activity;
}

/** A `ddcn run` or `ddcn worker` connected to the database now (it may be idle, or at work on any open batch). */
export interface ProcessAtWork {
  worker: string; // host:pid
  role: 'run' | 'worker';
}

/** A chunk step of the batch taken from the queue and not finished. */
export interface StepInHand {
  chunkNo: number;
  step: Step;
  since: Date;
  /** How long it has been in hand, by the database server's clock (the machines' clocks may differ). */
  seconds: number;
  /** Held longer than a step may take (the job's expiry, 3/4 of the takeover time): its process is taken for dead. */
  overdue: boolean;
}

export interface Activity {
  processes: ProcessAtWork[];
  inHand: StepInHand[];
  /** Chunk steps queued and not taken; of them, those that may not be taken before `retryAt` (the earliest): handed back. */
  queued: number;
  retrying: number;
  retryAt: Date | null;
}

const NO_ACTIVITY: Activity = { processes: [], inHand: [], queued: 0, retrying: 0, retryAt: null };

/**
 * Who is at work and on what, from the job engine's rows and the server's list of connections — both seen from any
 * machine, so that a batch nobody works on (its run died, no worker left) is told from a slow one. Connection
 * names are set by `ddcn run` and `ddcn worker` (workingConnectionName); a database role that may not see other
 * roles' connections still sees their names.
 */
async function activity(q: Queryable, batchId: number): Promise<Activity> {
  const processes = await q.query<{ name: string }>(
    `SELECT DISTINCT application_name AS name FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE ANY($1::text[])
      ORDER BY 1`,
    [[workingConnectionName('run', '%'), workingConnectionName('worker', '%')]],
  );
  // The job engine's schema is installed by the first `ddcn run` or `ddcn worker` that opens it.
  const installed = (await q.query<{ yes: boolean }>(`SELECT to_regclass('pgboss.job') IS NOT NULL AS yes`)).rows[0]!.yes;
  // Only steps still to do: a resumed run queues its phase's jobs again, and a killed process leaves its job
  // active until it expires; those copies find their step done and do nothing, so they are not work.
  const jobs = installed
    ? (
        await q.query<{ state: string; chunkNo: number; step: Step; since: Date | null; seconds: number | null; overdue: boolean | null; later: Date | null }>(
          `SELECT j.state, (j.data->>'chunkNo')::int AS "chunkNo", j.data->>'step' AS step, j.started_on AS since,
                  extract(epoch FROM now() - j.started_on)::float8 AS seconds,
                  j.started_on + j.expire_in < now() AS overdue,
                  CASE WHEN j.start_after > now() THEN j.start_after END AS later
             FROM pgboss.job j
             JOIN batch_chunk c ON c.batch_id = $2::bigint AND c.chunk_no = (j.data->>'chunkNo')::int
            WHERE j.name = ANY($1::text[]) AND j.state IN ('created', 'retry', 'active') AND (j.data->>'batchId')::bigint = $2::bigint
              AND CASE j.data->>'step' WHEN 'verify' THEN c.verified_at IS NULL WHEN 'write' THEN c.written_at IS NULL
                                       ELSE c.shared_at IS NULL END
            ORDER BY j.started_on, (j.data->>'chunkNo')::int`,
          [[CHUNK_QUEUE, WRITE_QUEUE], batchId],
        )
      ).rows
    : [];
  // Each step once: the earliest copy in hand, else one waiting.
  const key = (j: { step: Step; chunkNo: number }) => `${j.step}:${j.chunkNo}`;
  const inHand = new Map<string, StepInHand>();
  for (const j of jobs) {
    if (j.state === 'active' && !inHand.has(key(j))) inHand.set(key(j), { chunkNo: j.chunkNo, step: j.step, since: j.since!, seconds: j.seconds!, overdue: j.overdue! });
  }
  const waiting = new Map<string, Date | null>();
  for (const j of jobs) {
    if (j.state === 'active' || inHand.has(key(j))) continue;
    const was = waiting.get(key(j));
    // A step waits until the earliest of its copies may be taken.
    waiting.set(key(j), was === undefined ? j.later : was === null || j.later === null ? null : was < j.later ? was : j.later);
  }
  const later = [...waiting.values()].filter((d): d is Date => d !== null);
  return {
    processes: processes.rows.map((r) => {
      const [, role, worker] = /^ddcn-(run|worker) (.*)$/s.exec(r.name)!;
      return { worker: worker!, role: role as ProcessAtWork['role'] };
    }),
    inHand: [...inHand.values()],
    queued: waiting.size,
    retrying: later.length,
    retryAt: later.length ? new Date(Math.min(...later.map((d) => d.getTime()))) : null,
  };
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
  // Stryker disable next-line ConditionalExpression: a shortcut: with nobody PENDING nobody keeps an outcome
  const keptOutcome = counts.pending === 0 ? 0 : (await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM verification v JOIN participant p ON p.ma_so_bhxh = v.ma_so_bhxh
      WHERE v.batch_id = $1::bigint AND v.status = 'PENDING' AND NOT v.applied AND ${STILL_KEEPS}`,
    [batch.id],
  )).rows[0]!.n;
  const activityNow = batch.phase === 'done' ? NO_ACTIVITY : await activity(q, batch.id);
  const checkedAt = (await q.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
  const seconds = Math.max(0.001, ((batch.finishedAt ?? now).getTime() - batch.startedAt.getTime()) / 1000);
  return {
    id: batch.id, phase: batch.phase, province: batch.province, registry: batch.registry, startedAt: batch.startedAt,
    finishedAt: batch.finishedAt, attempts: batch.attempts, maxInFlight: batch.maxInFlight, batchSize: batch.batchSize,
    chunks: { total: batch.chunks, ...chunkSteps },
    people,
    counts,
    keptOutcome,
    peoplePerSecond: Math.round((counts.read / seconds) * 10) / 10,
    workers: workers.rows,
    lastStepAt: workers.rows[0]?.lastSeen ?? null,
    checkedAt,
    now: activityNow,
  };
}
