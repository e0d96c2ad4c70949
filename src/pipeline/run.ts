import { batchCounts, findUnfinishedBatch, getBatch, markResumed, NO_COUNTS, openBatch, type Batch, type Counts } from '../db/batches.js';
import { othersAtWork, DEFAULT_TAKEOVER_SECONDS, JobQueue, type ChunkJob } from '../db/jobs.js';
import { hostname } from 'node:os';
import { InterruptedError, UsageError } from '../errors.js';
import type { Queryable } from '../db/pool.js';
import type { RunDeps } from './deps.js';
import { queueOutstanding, workOnChunk, type WorkDeps } from './chunk-work.js';
import { LostDatabaseError, lostDatabase, lostDatabaseMessage, lostReason } from './worker.js';

export interface RunResult {
  batchId: number | null; // null: nothing to do
  resumed: boolean;
  /** The batch was open and another process held chunks of it: this run helped it finish. */
  joined: boolean;
  /** The batch's province (null: the whole country). */
  province: string | null;
  counts: Counts;
  shared: number;
  shareFailed: number;
  /** How long the batch took in this run (with the batches finished first, the run took longer). */
  seconds: number;
  /**
   * Open batches of another scope than asked (a run that died, or one another process started) that this run
   * finished before it could open the batch it was asked for, oldest first.
   */
  finishedFirst: FinishedBatch[];
}

/** A batch of another scope the run finished first: what a run returns of its own, with a batch always. */
export type FinishedBatch = Omit<RunResult, 'batchId' | 'finishedFirst'> & { batchId: number };

export interface RunOptions {
  province: string | null;
  /** Chunks worked on at once by this process (default 1). */
  workers?: number;
  /** Registry requests in flight across every process of the batch (stored with a new batch); null: no cap. */
  maxInFlight?: number | null;
  /** A chunk whose worker died is taken up by another after this long (default DEFAULT_TAKEOVER_SECONDS). */
  takeoverSeconds?: number;
  /**
   * Whether the config's chunk and request sizes were asked for (a flag given), not defaults: only those are said to
   * apply to the next batch when an open one keeps its own (default: both asked).
   */
  asked?: { chunkSize: boolean; batchSize: boolean };
  /** Ctrl-C: no new chunk job is taken; the ones in hand finish (each step is one transaction); then InterruptedError. */
  signal?: AbortSignal;
  /** Told the batch's id as soon as it is known (for the line printed on an interruption). */
  onBatch?: (batchId: number) => void;
  /** Told each open batch of another scope as soon as it is finished, before the asked one starts (its summary). */
  onFinishedFirst?: (batch: FinishedBatch) => void;
}

/** host:pid, what `ddcn batch status` shows for each worker. */
export const workerName = (): string => `${hostname()}:${process.pid}`;

/**
 * `ddcn run`: one batch of Plan 2207 I.1–I.4 / II.1–II.2. Opens the batch (a new one, or the one a run that died
 * left open, resumed from its stored chunks), queues its chunk jobs in the same transaction, works on them with
 * `workers` loops of its own — any `ddcn worker` may help — and returns when the batch is done. The job queue is
 * opened for the run and stopped when it ends.
 */
export async function runBatch(deps: RunDeps, opts: RunOptions): Promise<RunResult> {
  const takeoverSeconds = opts.takeoverSeconds ?? DEFAULT_TAKEOVER_SECONDS;
  const queue = await JobQueue.open(deps.db, { takeoverSeconds }, (err) => deps.log.warn({ err }, 'job queue'));
  // The process's worker loops, started once for all the batches of the run: `--workers` chunks at a time.
  const state: WorkState = { failure: null };
  const workDeps = { ...deps, queue, worker: workerName() };
  const turn = { ...opts, workers: opts.workers ?? 1, maxInFlight: opts.maxInFlight ?? null, takeoverSeconds };
  await queue.work(turn.workers, async (job: ChunkJob) => {
    try {
      await workOnChunk(workDeps, job);
    } catch (err) {
      state.failure ??= err;
      throw err; // the job goes back to the queue: the next run (or a worker) does it again
    }
  });
  try {
    // One batch is open at a time. One of another scope than asked (a national batch left open when a province is
    // asked, the reverse, or another province's run started at the same moment) is finished first, then the asked
    // one runs: a run from cron that exits 0 has done what it was asked, and `ddcn lists` after it lists what was
    // verified. Each turn finishes a batch, so the loop ends once the other processes stop opening batches.
    const finishedFirst: FinishedBatch[] = [];
    for (;;) {
      const started = Date.now();
      if (opts.signal?.aborted) throw new InterruptedError(null, finishedFirst.map((b) => b.batchId));
      const r = await runWith(workDeps, state, turn);
      const seconds = (Date.now() - started) / 1000;
      if (r.batchId === null || r.province === opts.province) return { ...r, seconds, finishedFirst };
      const done = { ...r, batchId: r.batchId, seconds };
      finishedFirst.push(done);
      opts.onFinishedFirst?.(done);
    }
  } catch (err) {
    // The database gone under the run (its connections reset, the server stopped) is said as a silent loss is
    // (cli/db-watch.ts): what it left behind and what to do, not the socket error alone.
    if (lostDatabase(err) && !(err instanceof LostDatabaseError)) {
      throw new LostDatabaseError(lostDatabaseMessage(lostReason(err), 'run'), { cause: err });
    }
    throw err;
  } finally {
    deps.runProgress?.close();
    await queue.stop(GRACE_MS);
  }
}

interface WorkState {
  /** The first failure of a chunk step of this process: the run stops and reports it. */
  failure: unknown;
}

/** How often the run looks whether its batch is done (other workers may finish it). */
const POLL_MS = 200;
/** On the way out, how long a chunk still in hand may take before it is handed back to the queue. */
export const GRACE_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A run with another registry than the open batch's: a usage error, before anything is done. */
function registryMismatch(batch: Pick<Batch, 'id' | 'registry'>, kind: string): UsageError {
  return new UsageError(
    `batch ${batch.id} is open and was started with --registry ${batch.registry}, not ${kind}: run ddcn run ` +
      `with the registry flags it was started with to finish it; a batch with another registry can start once it is done`,
  );
}

/**
 * Refuses a run whose registry is not the open batch's before its registry is set up (the file exchange makes its
 * folders, the mock loads its data): a usage error is said with nothing done. runBatch checks it again as it opens
 * the batch (another run may have opened one meanwhile).
 */
export async function checkOpenBatchRegistry(q: Queryable, kind: string): Promise<void> {
  const open = await findUnfinishedBatch(q);
  if (open && open.registry !== kind) throw registryMismatch(open, kind);
}

async function runWith(
  deps: WorkDeps & { queue: JobQueue },
  state: WorkState,
  opts: RunOptions & { workers: number; maxInFlight: number | null },
): Promise<Omit<RunResult, 'finishedFirst' | 'seconds'>> {
  const opened = await deps.db.withTransaction(async (tx) => {
    const o = await openBatch(tx, {
      registry: deps.registry.kind, province: opts.province, chunkSize: deps.config.chunkSize, maxInFlight: opts.maxInFlight,
      batchSize: deps.config.batchSize, now: deps.now(),
    });
    if (!o) return null;
    // Before anything is marked: the open batch's answers must come from the registry it was started with.
    if (o.resumed && o.batch.registry !== deps.registry.kind) throw registryMismatch(o.batch, deps.registry.kind);
    // An open batch whose chunks another process holds is joined, not resumed: that run is (or was) at work on it.
    const joined = o.resumed && (await othersAtWork(tx, o.batch.id));
    if (o.resumed && !joined) await markResumed(tx, o.batch.id);
    await queueOutstanding(deps, tx, o.batch, joined);
    return { ...o, resumed: o.resumed && !joined, joined };
  });
  if (!opened) {
    deps.log.info('nothing to verify: every participant is up to date');
    return { batchId: null, resumed: false, joined: false, province: opts.province, counts: NO_COUNTS, shared: 0, shareFailed: 0 };
  }
  const { batch, resumed, joined } = opened;
  opts.onBatch?.(batch.id);
  const log = deps.log.child({ batch: batch.id });
  if (joined) log.info({ phase: batch.phase }, 'joining the open batch: another ddcn run or worker is at work on it');
  if (resumed) log.warn({ phase: batch.phase, attempts: batch.attempts + 1 }, 'resuming an unfinished batch');
  // Resumed or joined, the open batch is finished first, whatever province it covers; then the asked one (runBatch).
  if ((resumed || joined) && batch.province !== opts.province) {
    log.warn({ province: batch.province }, 'the open batch covers another scope: finishing it first, then the one asked');
  }
  // Its chunks and its registry cap were set when it was opened: flags that differ apply to the next batch, said so.
  // A resumed batch is run again as `batch status` says, often without the flags: their defaults are no request.
  const asked = opts.asked ?? { chunkSize: true, batchSize: true };
  if ((resumed || joined) && asked.chunkSize && batch.chunkSize !== deps.config.chunkSize) {
    log.warn({ chunkSize: batch.chunkSize, asked: deps.config.chunkSize }, 'the open batch keeps its chunk size; --chunk-size applies to the next batch');
  }
  if ((resumed || joined) && asked.batchSize && batch.batchSize !== null && batch.batchSize !== deps.config.batchSize) {
    log.warn({ batchSize: batch.batchSize, asked: deps.config.batchSize }, 'the open batch keeps its request size; --batch-size applies to the next batch');
  }
  if ((resumed || joined) && opts.maxInFlight !== null && batch.maxInFlight !== opts.maxInFlight) {
    log.warn({ maxInFlight: batch.maxInFlight, asked: opts.maxInFlight }, 'the open batch keeps its registry cap; --registry-max-in-flight applies to the next batch');
  }
  log.info({ chunks: batch.chunks, province: batch.province, workers: opts.workers }, 'batch started');

  // Progress in people: this process's own steps advance it (src/pipeline/chunk-work.ts), stage by stage.
  if (batch.phase === 'verify' || batch.phase === 'write') {
    // A resumed (or joined) batch counts from where it stands.
    const { people, verified, written } = await batchPeople(deps, batch.id);
    deps.runProgress?.begin(batch.id, 'verify', people, verified);
    deps.runProgress?.begin(batch.id, 'write', people, written);
  } else if (batch.phase === 'share') deps.runProgress?.begin(batch.id, 'share', 0);
  let interrupted = false;
  try {
    for (;;) {
      const b = await batchProgress(deps, batch.id);
      if (b.phase === 'done' || state.failure) break;
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      await sleep(POLL_MS);
    }
  } finally {
    // This batch's line ends; the next batch of the run (runBatch) begins its own.
    deps.runProgress?.end();
  }
  if (state.failure) throw state.failure;
  if (interrupted) {
    // The steps in hand finish first. When they (or other workers meanwhile) finished the batch, it is done and said
    // so like any finished batch, not "the next run resumes batch N" of a batch with nothing left to resume, which
    // made a nightly script skip the lists and Mẫu 03 of a complete batch.
    await deps.queue.stop(GRACE_MS);
    if ((await getBatch(deps.db, batch.id))?.phase !== 'done') throw new InterruptedError(batch.id);
    log.info('interrupted as its last steps ended: the batch is done');
  }
  const counts = await batchCounts(deps.db, batch.id);
  const { shared, shareFailed, ...rest } = counts;
  log.info({ ...rest, shared }, 'batch finished');
  return { batchId: batch.id, resumed, joined, province: batch.province, counts: rest, shared, shareFailed };
}

/** The batch's people, and those of its chunks verified and written so far. */
async function batchPeople(deps: WorkDeps, batchId: number): Promise<{ people: number; verified: number; written: number }> {
  const res = await deps.db.query<{ people: number; verified: number; written: number }>(
    `SELECT b.people,
            (SELECT coalesce(sum(n_read), 0)::int FROM batch_chunk c WHERE c.batch_id = b.id AND c.verified_at IS NOT NULL) AS verified,
            (SELECT coalesce(sum(n_matched + n_mismatched + n_missing + n_conflict + n_pending), 0)::int
               FROM batch_chunk c WHERE c.batch_id = b.id AND c.written_at IS NOT NULL) AS written
       FROM batch b WHERE b.id = $1::bigint`,
    [batchId],
  );
  return res.rows[0] ?? { people: 0, verified: 0, written: 0 };
}

async function batchProgress(deps: WorkDeps, batchId: number): Promise<{ phase: string; stepsDone: number }> {
  const res = await deps.db.query<{ phase: string; steps: number }>(
    'SELECT phase, chunks_verified + chunks_written + chunks_shared AS steps FROM batch WHERE id = $1::bigint',
    [batchId],
  );
  const row = res.rows[0];
  if (!row) throw new Error(`batch ${batchId} disappeared while running`);
  return { phase: row.phase, stepsDone: row.steps };
}
