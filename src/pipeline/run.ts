import {
  batchCounts, createBatch, findUnfinishedBatch, listChunks, markResumed, NO_COUNTS, setPhase, sharesOutstanding,
  type Batch, type Chunk, type Counts,
} from '../db/batches.js';
import {
  applyChunk, exportChunk, prepareChunk, recordChunk, type AppliedChunk, type ChunkArgs, type Outcome,
} from '../db/verifications.js';
import { SQLSTATE, sqlState } from '../db/sqlstate.js';
import { peopleInChunk } from '../db/chunk-people.js';
import { InterruptedError, RunInProgressError } from '../errors.js';
import type { RunDeps } from './deps.js';
import { verifyPeople } from './verify.js';
import { shareMatched } from './share.js';

// One lock for all `ddcn run` processes on a database: held by a session for the whole run, released by
// PostgreSQL when that session ends, so a killed run never leaves it behind.
const RUN_LOCK = 2207_0002;

/** Chunks being exported and verified ahead of the one being written: the registry and the database work at once. */
const CHUNKS_AHEAD = 2;

/** Chunk transactions open at once: one settling its conflicts and committing, the next one writing its people. */
const WRITING = 2;
/** What two overlapping chunk transactions can do to each other; both are then redone one after the other. */
const RETRYABLE = new Set<string>([SQLSTATE.deadlockDetected, SQLSTATE.uniqueViolation]);

export interface RunResult {
  batchId: number | null; // null: nothing to do
  resumed: boolean;
  counts: Counts;
  shared: number;
  shareFailed: number;
}

/**
 * `ddcn run`: one batch of Plan 2207 I.1–I.4 / II.1–II.2. An unfinished batch (a run that died) is resumed
 * first, from its stored chunks, so the end state is the one an uninterrupted run reaches.
 */
export interface RunOptions {
  province: string | null;
  /** Ctrl-C: no new chunk or share request starts; what is in flight commits; then InterruptedError. */
  signal?: AbortSignal;
  /** Told the batch's id as soon as it is known (for the line printed on an interruption). */
  onBatch?: (batchId: number) => void;
}

function stopIfInterrupted(opts: RunOptions, batchId: number | null): void {
  if (opts.signal?.aborted) throw new InterruptedError(batchId);
}

export async function runBatch(deps: RunDeps, opts: RunOptions): Promise<RunResult> {
  return deps.db.withSession(async (lock) => {
    const got = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [RUN_LOCK]);
    if (!got.rows[0]!.ok) {
      const b = await findUnfinishedBatch(deps.db);
      throw new RunInProgressError(
        `another ddcn run is in progress${b ? ` (batch ${b.id}, started ${b.startedAt.toISOString()})` : ''}. ` +
          'Wait for it to finish; if its process was killed, PostgreSQL releases its lock when the connection drops and the next run resumes it.',
      );
    }
    try {
      return await runLocked(deps, opts);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1::bigint)', [RUN_LOCK]);
    }
  });
}

async function runLocked(deps: RunDeps, opts: RunOptions): Promise<RunResult> {
  stopIfInterrupted(opts, null);
  let batch = await findUnfinishedBatch(deps.db);
  const resumed = batch !== null;
  if (batch) {
    await markResumed(deps.db, batch.id);
    deps.log.warn({ batch: batch.id, phase: batch.phase, attempts: batch.attempts + 1 }, 'resuming an unfinished batch');
  } else {
    const todo = await deps.db.withTransaction((tx) =>
      createBatch(tx, { registry: deps.registry.kind, province: opts.province, chunkSize: deps.config.chunkSize, now: deps.now() }),
    );
    if (todo.chunks === 0 && !(await sharesOutstanding(deps.db, opts.province))) {
      // Nothing to verify or share: leave no empty batch behind, so a rerun after success changes nothing.
      await deps.db.query('DELETE FROM batch WHERE id = $1::bigint', [todo.id]);
      deps.log.info('nothing to verify: every participant is up to date');
      return { batchId: null, resumed: false, counts: NO_COUNTS, shared: 0, shareFailed: 0 };
    }
    batch = todo;
  }
  opts.onBatch?.(batch.id);
  const log = deps.log.child({ batch: batch.id });
  log.info({ chunks: batch.chunks, province: batch.province }, 'batch started');

  if (batch.phase === 'verify') {
    await verifyAndApply(deps, batch, opts.signal);
    stopIfInterrupted(opts, batch.id);
    batch.phase = 'share';
    await setPhase(deps.db, batch.id, 'share', deps.now());
  }
  let share = { shared: 0, failed: 0 };
  if (batch.phase === 'share') {
    share = await shareMatched(deps, batch.id, batch.province, opts.signal);
    stopIfInterrupted(opts, batch.id);
    await setPhase(deps.db, batch.id, 'done', deps.now());
  }
  const counts = await batchCounts(deps.db, batch.id);
  log.info({ ...counts, shared: share.shared }, 'batch finished');
  return { batchId: batch.id, resumed, counts, shared: share.shared, shareFailed: share.failed };
}

/**
 * Chunks are exported and verified up to CHUNKS_AHEAD in advance, and written two at a time: a chunk's
 * transaction stores its outcomes, checks its numbers against what is on file and writes its own people while the
 * chunk before it is still being written; then it waits for that chunk's commit and settles its conflicts knowing
 * what that chunk put on file. So the heavy writes of two chunks run side by side, while conflicts are still
 * settled strictly in chunk order and see every earlier chunk. Should the two get in each other's way — only
 * possible around a conflict that crosses them — both are rolled back and done again one after the other.
 */
interface InFlight {
  args: ChunkArgs;
  applied: Promise<AppliedChunk>;
  /** Settles once the chunk's transaction holds its lock (or has failed). */
  started: Promise<void>;
}

async function verifyAndApply(deps: RunDeps, batch: Batch, signal?: AbortSignal): Promise<void> {
  const log = deps.log.child({ stage: 'verify', batch: batch.id });
  const all = await listChunks(deps.db, batch.id);
  const todo = all.filter((c) => !c.done);
  // People, not chunk capacity: chunks are cut full, except the last one, which is counted.
  const people = todo.length === 0 ? 0 : (todo.length - 1) * batch.chunkSize + (await peopleInChunk(deps.db, batch, todo.at(-1)!));
  deps.runProgress?.begin(batch.id, 'verify', people);
  deps.runProgress?.begin(batch.id, 'write', people);

  const verify = async (chunk: Chunk): Promise<Outcome[]> => {
    const people = await exportChunk(deps.db, { keyFrom: chunk.keyFrom, keyTo: chunk.keyTo, province: batch.province });
    return verifyPeople(deps.registry, people, deps.config, log, (n) => deps.runProgress?.advance('verify', n));
  };
  const ahead: Array<Promise<Outcome[]>> = [];
  let next = 0;
  const startNext = () => {
    if (next >= todo.length || signal?.aborted) return;
    const p = verify(todo[next++]!);
    p.catch(() => undefined); // observed below, in order; this only keeps an early failure from going unhandled
    ahead.push(p);
  };

  const argsOf = (chunk: Chunk, outcomes: Outcome[]): ChunkArgs => ({
    batchId: batch.id, chunkNo: chunk.chunkNo, keyFrom: chunk.keyFrom, keyTo: chunk.keyTo, now: deps.now(), outcomes,
  });
  const committed = (chunk: Chunk, applied: AppliedChunk, people: number) => {
    deps.runProgress?.advance('write', people);
    log.debug({ chunk: chunk.chunkNo, people, conflicts: applied.conflicts }, 'chunk verified and applied');
  };
  // Overlapped: each chunk's transaction holds an advisory lock of its own from its start, and waits for the chunk
  // before by taking that chunk's lock, inside PostgreSQL: should the two wait for each other's rows as well, the
  // server sees the cycle and ends one of them (deadlock_detected), and both are redone one after the other.
  const chunkLock = 'SELECT pg_advisory_xact_lock($1::int, $2::int)';
  const overlapped = (args: ChunkArgs, before: InFlight | null): InFlight => {
    let locked!: () => void;
    const started = new Promise<void>((resolve) => (locked = resolve));
    const applied = deps.db.withTransaction(async (tx) => {
      await tx.query(chunkLock, [batch.id, args.chunkNo]);
      locked();
      const prep = await prepareChunk(tx, args);
      let prior: AppliedChunk | null = null;
      if (before) {
        await tx.query(chunkLock, [batch.id, before.args.chunkNo]);
        prior = await before.applied;
      }
      return applyChunk(tx, args, prep, prior);
    });
    applied.catch(() => undefined); // observed by settle, in order
    return { args, applied, started: Promise.race([started, applied.then(() => undefined, () => undefined)]) };
  };

  let inFlight: Array<InFlight & { chunk: Chunk }> = [];
  const settle = async (): Promise<void> => {
    const head = inFlight.shift()!;
    try {
      committed(head.chunk, await head.applied, head.args.outcomes.length);
    } catch (err) {
      // Everything still in flight depends on this chunk: let it finish failing, then redo them in turn.
      const rest = inFlight;
      inFlight = [];
      await Promise.allSettled(rest.map((f) => f.applied));
      if (!RETRYABLE.has(sqlState(err) ?? '')) throw err;
      log.warn({ chunk: head.chunk.chunkNo, code: sqlState(err) }, 'two chunks got in each other\'s way; applying them one at a time');
      for (const f of [head, ...rest]) {
        committed(f.chunk, await deps.db.withTransaction((tx) => recordChunk(tx, { ...f.args, now: deps.now() })), f.args.outcomes.length);
      }
    }
  };
  try {
    for (let i = 0; i < CHUNKS_AHEAD; i++) startNext();
    for (const chunk of todo) {
      // Interrupted: the chunks being written finish (each is one transaction); nothing new starts.
      if (signal?.aborted) break;
      const outcomes = await ahead.shift()!;
      startNext();
      if (inFlight.length >= WRITING) await settle();
      const before = inFlight.at(-1) ?? null;
      // The chunk before must hold its lock before this one asks for it.
      if (before) await before.started;
      inFlight.push({ chunk, ...overlapped(argsOf(chunk, outcomes), before) });
    }
    while (inFlight.length) await settle();
  } finally {
    // Whatever happened, nothing of this run may still be talking to the registry or writing once the run lock is released.
    await Promise.allSettled([...ahead, ...inFlight.map((f) => f.applied)]);
    deps.runProgress?.end();
  }
}
