import { queueFor, type ChunkJob, type JobQueue } from '../db/jobs.js';
import { findUnfinishedBatch } from '../db/batches.js';
import { stepsDoneBy } from '../db/chunk-steps.js';
import { RegistryMismatchError, RegistryUrlWrongError, TokenRefusedError, workOnChunk, type WorkDeps } from './chunk-work.js';
import { RegistryClosedError } from '../adapters/types.js';
import { StoppedWaitingError } from '../adapters/shared-cap.js';

/** SQLSTATEs and socket errors that mean the database is gone, not that one statement failed. */
const LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

type Chained = { code?: string; message?: string; cause?: unknown };

/** This error itself, not one under it, says the database is gone. */
function ownLoss(e: Chained): boolean {
  if (e.code && LOST.has(e.code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

export function lostDatabase(err: unknown): boolean {
  const e = err as Chained | null;
  if (!e) return false;
  if (ownLoss(e)) return true;
  return e.cause !== undefined && e.cause !== err && lostDatabase(e.cause);
}

/**
 * Why the database is taken for lost, as said to the operator: the database's own error, wherever it is in the chain.
 * A step's error that carries it as its cause (RegistryGateError: lost while a request read the batch's pause or took
 * a slot of its cap) says nothing of the database, and a worker cut off by a reset said only that.
 */
export function lostReason(err: unknown): string {
  for (let e = err as Chained | null | undefined, depth = 0; e && depth < 10; e = e.cause as Chained | undefined, depth++) {
    if (ownLoss(e)) return e.message ?? String(e);
  }
  return (err as Error | null)?.message ?? String(err);
}

/**
 * What a worker (or a run) that lost its database says as it stops; `begun` false: lost while it started (the
 * migrations, or waiting for another process's), before it took any work.
 */
export function lostDatabaseMessage(reason: string, who: 'worker' | 'run' = 'worker', begun = true): string {
  if (!begun) {
    return who === 'worker'
      ? `lost the database (${reason}) before this worker took any work: it stopped. Start it again when the database is back.`
      : `lost the database (${reason}) before this run began its batch: it stopped. Run it again when the database is back.`;
  }
  return who === 'worker'
    ? `lost the database (${reason}): this worker stopped. Chunks it had are taken up by another worker once their expiry passes; start it again when the database is back.`
    : `lost the database (${reason}): this run stopped. Its batch stays open: a ddcn worker at work goes on with it, and the next ddcn run resumes it.`;
}

/** The database went away under a worker: it stops, and says so (exit 1). */
export class LostDatabaseError extends Error {
  override name = 'LostDatabaseError';
}

/**
 * `ddcn worker`: works on the chunk jobs of any open batch with `workers` loops until `stop` is aborted
 * (SIGTERM/SIGINT): then it takes no new job, lets the one in hand finish (or, after the grace time, hands it back
 * to the queue) and returns. Losing the database ends it with LostDatabaseError: the job it had is taken up by
 * another worker when its expiry passes.
 */
export async function runWorker(deps: WorkDeps & { queue: JobQueue }, opts: { workers: number; stop: AbortSignal; graceMs: number; lost: AbortSignal }): Promise<{ jobs: number }> {
  // Started with another registry than the open batch's: said at once (exit 2), before any chunk is taken.
  const open = await findUnfinishedBatch(deps.db);
  if (open && open.registry !== deps.registry.kind) throw new RegistryMismatchError(open.id, open.registry, deps.registry.kind);
  const started = deps.now();
  let jobs = 0;
  let lost: unknown = null;
  // Why the worker stops of itself, set by the handler (asserted, so that the compiler does not take it for null).
  let stopWith = null as RegistryMismatchError | TokenRefusedError | RegistryUrlWrongError | null;
  const ended = new AbortController();
  const onLost = (err: unknown) => {
    lost ??= err;
    ended.abort();
  };
  // Lost already (the database watch starts before this): a listener added now would never be called.
  if (opts.lost.aborted) onLost(opts.lost.reason);
  else opts.lost.addEventListener('abort', () => onLost(opts.lost.reason), { once: true });
  if (opts.stop.aborted) ended.abort();
  else opts.stop.addEventListener('abort', () => ended.abort(), { once: true });
  // A step whose requests still wait for their turn stops waiting when the worker is told to stop (StoppedWaitingError).
  const workDeps = { ...deps, stopping: opts.stop };
  const handler = async (job: ChunkJob) => {
    try {
      if ((await workOnChunk(workDeps, job)) > 0) jobs += 1; // the count if the database cannot say it at the end
    } catch (err) {
      if (lostDatabase(err)) onLost(err);
      else if (err instanceof RegistryMismatchError || err instanceof TokenRefusedError || err instanceof RegistryUrlWrongError) {
        // A batch opened since with another registry, a token the registry refuses, or a URL with no registry API:
        // this worker stops taking chunks (the one met goes back).
        stopWith ??= err;
        ended.abort();
        // The step goes back as a fresh job (JobQueue.handBack): failed instead, each hand-back would double
        // pg-boss's back-off, and a worker left with the old token under a service manager that restarts it would
        // after ten hand-backs hold the chunk for half an hour while the run with the right token waits for it.
        const settings = err instanceof TokenRefusedError || err instanceof RegistryUrlWrongError;
        if (settings && (await deps.queue.handBack(queueFor(job.step, deps.registry.kind), job))) return;
      } else if (err instanceof StoppedWaitingError) {
        // Told to stop while its requests waited for a slot of the batch's cap (or its 429 pause): nobody was asked,
        // and the chunk goes back at once as a fresh job, for any worker to take without a back-off.
        deps.log.info({ batch: job.batchId, chunk: job.chunkNo, step: job.step }, 'stopped while waiting for a registry slot: the chunk goes back to the queue');
        if (await deps.queue.handBack(queueFor(job.step, deps.registry.kind), job)) return;
      } else if (err instanceof RegistryClosedError) {
        // Past the stop's grace, the registry client closed under the step's requests: nothing of it was recorded.
        deps.log.warn({ batch: job.batchId, chunk: job.chunkNo, step: job.step }, 'stopped before the registry answered: nothing of the chunk was recorded; it goes back to the queue');
      } else deps.log.error({ err, batch: job.batchId, chunk: job.chunkNo, step: job.step }, 'chunk failed; it goes back to the queue');
      throw err;
    }
  };
  if (!ended.signal.aborted) {
    await deps.queue.work(opts.workers, handler);
    deps.log.info({ worker: deps.worker, workers: opts.workers }, 'worker started: waiting for chunks');
  }
  if (!ended.signal.aborted) await new Promise<void>((resolve) => ended.signal.addEventListener('abort', () => resolve(), { once: true }));
  deps.log.info(
    { jobs },
    lost ? 'lost the database: stopping'
    : stopWith instanceof TokenRefusedError ? 'the registry refused the token: stopping'
    : stopWith instanceof RegistryUrlWrongError ? 'the registry URL has no registry API: stopping'
    : stopWith ? 'the open batch has another registry: stopping'
    : 'stopping: finishing the chunk in hand',
  );
  const stopping = deps.queue.stop(lost ? 1000 : opts.graceMs).catch((err: unknown) => {
    if (!lost) throw err;
  });
  // A database that stopped answering leaves the queue's own queries hanging: the worker does not wait on them.
  await (lost ? Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 2000).unref())]) : stopping);
  if (stopWith && !lost) throw stopWith;
  if (lost) {
    throw new LostDatabaseError(lostDatabaseMessage(lostReason(lost)), { cause: lost });
  }
  // The steps it is credited with, as `ddcn batch status` lists them (a share step that had nobody to share is
  // one; a job whose step another worker had done meanwhile is none).
  return { jobs: await stepsDoneBy(deps.db, deps.worker, started).catch(() => jobs) };
}
