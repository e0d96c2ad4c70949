import pLimit from 'p-limit';
import {
  batchCounts, createBatch, findUnfinishedBatch, listChunks, markResumed, setPhase, sharesOutstanding,
  type Batch, type Chunk, type Counts,
} from '../db/batches.js';
import { applyChunk, exportChunk, recordVerifiedChunk, resolveConflicts } from '../db/verifications.js';
import { RunInProgressError } from '../errors.js';
import type { RunDeps } from './deps.js';
import { verifyPeople } from './verify.js';
import { shareMatched } from './share.js';

// One lock for all `ddcn run` processes on a database: held by a session for the whole run, released by
// PostgreSQL when that session ends, so a killed run never leaves it behind.
const RUN_LOCK = 2207_0002;

export interface RunResult {
  batchId: number | null; // null: nothing to do
  resumed: boolean;
  counts: Counts;
  shared: number;
  shareFailed: number;
}

/** Chunks verified at once: one is read and sent while the other is written. */
const CHUNKS_IN_FLIGHT = 2;

/**
 * `ddcn run`: one batch of Plan 2207 I.1–I.4 / II.1–II.2. An unfinished batch (a run that died) is resumed
 * first, from its stored chunks, so the end state is the one an uninterrupted run reaches.
 */
export async function runBatch(deps: RunDeps, opts: { province: string | null }): Promise<RunResult> {
  return deps.db.withSession(async (lock) => {
    const got = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [RUN_LOCK]);
    if (!got.rows[0]!.ok) {
      const b = await findUnfinishedBatch(deps.db);
      throw new RunInProgressError(
        `another ddcn run is in progress${b ? ` (batch ${b.id}, started ${b.startedAt.toISOString()})` : ''}. ` +
          'Wait for it to finish; if its process was killed, its lock is released within a minute and the next run resumes it.',
      );
    }
    try {
      return await runLocked(deps, opts);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1::bigint)', [RUN_LOCK]);
    }
  });
}

async function runLocked(deps: RunDeps, opts: { province: string | null }): Promise<RunResult> {
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
      return { batchId: null, resumed: false, counts: await batchCounts(deps.db, -1), shared: 0, shareFailed: 0 };
    }
    batch = todo;
  }
  const log = deps.log.child({ batch: batch.id });
  log.info({ chunks: batch.chunks, province: batch.province }, 'batch started');

  if (batch.phase === 'verify') {
    await verifyPhase(deps, batch);
    batch.phase = 'resolve';
    await setPhase(deps.db, batch.id, 'resolve', deps.now());
  }
  if (batch.phase === 'resolve') {
    const chunkNo = (await listChunks(deps.db, batch.id)).length;
    // Fresh statistics after a large verify phase keep the set-based statements below on good plans.
    await deps.db.query('ANALYZE verification');
    const conflicts = await deps.db.withTransaction(async (tx) => {
      const n = await resolveConflicts(tx, { batchId: batch.id, extraChunkNo: chunkNo, now: deps.now() });
      await setPhase(tx, batch.id, 'apply', deps.now());
      return n;
    });
    log.info({ stage: 'resolve', conflicts }, 'conflicts resolved');
    batch.phase = 'apply';
  }
  if (batch.phase === 'apply') {
    const chunks = (await listChunks(deps.db, batch.id)).filter((c) => !c.applied);
    const stage = log.child({ stage: 'apply' });
    for (const c of chunks) {
      await deps.db.withTransaction((tx) =>
        applyChunk(tx, { batchId: batch.id, chunkNo: c.chunkNo, keyFrom: c.keyFrom, keyTo: c.keyTo, now: deps.now() }),
      );
      stage.debug({ chunk: c.chunkNo }, 'chunk applied');
    }
    batch.phase = 'share';
    await setPhase(deps.db, batch.id, 'share', deps.now());
  }
  let share = { shared: 0, failed: 0 };
  if (batch.phase === 'share') {
    share = await shareMatched(deps, batch.id, batch.province);
    await setPhase(deps.db, batch.id, 'done', deps.now());
  }
  const counts = await batchCounts(deps.db, batch.id);
  log.info({ ...counts, shared: share.shared }, 'batch finished');
  return { batchId: batch.id, resumed, counts, shared: share.shared, shareFailed: share.failed };
}

async function verifyPhase(deps: RunDeps, batch: Batch): Promise<void> {
  const log = deps.log.child({ stage: 'verify', batch: batch.id });
  const all = await listChunks(deps.db, batch.id);
  const todo = all.filter((c) => !c.verified);
  const total = all.length;
  let done = total - todo.length;
  deps.progress?.start(`batch ${batch.id}`, total * batch.chunkSize);
  const limit = pLimit(CHUNKS_IN_FLIGHT);
  // After a failure, queued chunks must not start, and the ones in flight must finish before the run lock is
  // released: otherwise a new run could overlap this one.
  let failed = false;
  const settled = await Promise.allSettled(
    todo.map((chunk: Chunk) =>
      limit(async () => {
        if (failed) return;
        try {
          const people = await exportChunk(deps.db, { keyFrom: chunk.keyFrom, keyTo: chunk.keyTo, province: batch.province });
          const outcomes = await verifyPeople(deps.registry, people, deps.config, log);
          await deps.db.withTransaction((tx) =>
            recordVerifiedChunk(tx, { batchId: batch.id, chunkNo: chunk.chunkNo, now: deps.now(), outcomes }),
          );
          done += 1;
          deps.progress?.tick(Math.min(done * batch.chunkSize, total * batch.chunkSize));
          log.debug({ chunk: chunk.chunkNo, people: people.length }, 'chunk verified');
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  deps.progress?.end();
}
