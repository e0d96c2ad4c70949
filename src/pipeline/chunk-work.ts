// One chunk job: a step of one chunk of one batch, done by whichever worker took it. Each step is one transaction
// that changes nothing when the step is done already (src/db/chunk-steps.ts), and the chunk that completes a phase
// starts the next one in that same transaction, queueing its jobs with it:
//   verify (export, registry, store outcomes) → settle conflicts over the batch → write (ĐDCN, number history)
//   → share (Plan I.4) → done.
// So the end state depends neither on the order of the chunks nor on who did them, and a worker killed at any
// moment only leaves a job that pg-boss hands to another worker when its expiry passes.
import { getBatch, type Batch, type Phase } from '../db/batches.js';
import { chunkInfo, claimStep, finishStep, setPhase, stepComplete, type ChunkInfo, type Step } from '../db/chunk-steps.js';
import { chunksToDo } from '../db/batches.js';
import { settleConflicts } from '../db/conflicts.js';
import { chunksQueued, type ChunkJob, type JobQueue } from '../db/jobs.js';
import type { Queryable } from '../db/pool.js';
import { chunkCounts, exportChunk, storeOutcomes, writeChunk, writeParties } from '../db/verifications.js';
import { SharedRegistryCap } from '../adapters/shared-cap.js';
import { UsageError } from '../errors.js';
import type { RunDeps } from './deps.js';
import { shareMatched } from './share.js';
import { verifyPeople } from './verify.js';

export interface WorkDeps extends RunDeps {
  /** Where the next phase's jobs go: the job engine (db/jobs.ts), or a test's own order. */
  queue: Pick<JobQueue, 'enqueue'>;
  /** Who this is, for `ddcn batch status`: host and process id. */
  worker: string;
  /**
   * A `ddcn worker`'s: whether the registry has refused its token. Such a worker stops and hands back the step it
   * was on (TokenRefusedError) rather than leave chunk after chunk PENDING for the run to report.
   */
  tokenRefused?: () => boolean;
  /**
   * A `ddcn worker`'s: whether its registry URL has answered that it has no registry API there (HTTP 404/405), as a
   * refused token: it stops and hands back its step (RegistryUrlWrongError).
   */
  addressWrong?: () => boolean;
  /**
   * A `ddcn worker`'s stop (SIGTERM/SIGINT): a step whose requests still wait for a slot of the batch's cap, or for
   * its 429 pause, stops waiting and is handed back (StoppedWaitingError) instead of sitting out the stop's grace.
   */
  stopping?: AbortSignal;
}

/**
 * A worker whose token the registry refuses (left with an old one after the token was rotated): a usage error
 * (exit 2). The step it met it in is not recorded, so another worker or the next `ddcn run` does it.
 */
export class TokenRefusedError extends UsageError {
  override name = 'TokenRefusedError';
  constructor() {
    super(
      "the registry refused this worker's token (HTTP 401/403): it stopped and handed back the chunk it had, which another " +
        'worker or the next ddcn run does; restart it with the right DDCN_REGISTRY_TOKEN (or --registry-token)',
    );
  }
}

/**
 * A worker started with a registry URL that has no registry API (another service, or the API under another path):
 * a usage error (exit 2), as a refused token. It failed every chunk it took, night after night, leaving their people
 * PENDING for the run to report as another process's failures.
 */
export class RegistryUrlWrongError extends UsageError {
  override name = 'RegistryUrlWrongError';
  constructor() {
    super(
      "this worker's registry URL has no registry API (HTTP 404/405): it stopped and handed back the chunk it had, which " +
        'another worker or the next ddcn run does; restart it with the right DDCN_REGISTRY_URL (or --registry-url)',
    );
  }
}

/** A worker's registry settings shown wrong by the registry's answers: it stops (see the two errors above). */
function checkSettings(deps: WorkDeps): void {
  if (deps.tokenRefused?.()) throw new TokenRefusedError();
  if (deps.addressWrong?.()) throw new RegistryUrlWrongError();
}

const ORDER: Phase[] = ['verify', 'write', 'share', 'done'];
const NEXT: Record<Step, Phase> = { verify: 'write', write: 'share', share: 'done' };

/**
 * A process whose registry is not the batch's: its answers must not be mixed into the batch. A usage error (exit 2):
 * a worker that meets it stops rather than hand the batch's chunks back one after another (each spends one of the
 * job's retries, and pg-boss's back-off then holds the chunk for longer and longer).
 */
export class RegistryMismatchError extends UsageError {
  override name = 'RegistryMismatchError';
  constructor(batchId: number, batchRegistry: string, mine: string) {
    super(
      `batch ${batchId} was started with --registry ${batchRegistry}, but this process has --registry ${mine}; ` +
        'start it with the registry flags of the batch',
    );
  }
}

/** Does one job. Returns the number of people it dealt with (0 when the step was done already). */
export async function workOnChunk(deps: WorkDeps, job: ChunkJob): Promise<number> {
  const batch = await getBatch(deps.db, job.batchId);
  // A job queued again by a resumed run, after its phase ended, finds nothing to do.
  if (!batch || ORDER.indexOf(batch.phase) > ORDER.indexOf(job.step)) return 0;
  const chunk = await chunkInfo(deps.db, batch.id, job.chunkNo);
  if (!chunk || chunk.done[job.step]) return 0;
  if (batch.registry !== deps.registry.kind) throw new RegistryMismatchError(batch.id, batch.registry, deps.registry.kind);
  const log = deps.log.child({ batch: batch.id, chunk: chunk.chunkNo, stage: job.step });
  // Every registry through the process's limiter, the mock too: --concurrency is the requests in flight from this
  // process, however many chunk steps it works on at once (two verify or share steps with one worker, see queueFor).
  const registry = SharedRegistryCap.of(deps.registry, deps.db, batch, deps.log, deps.config.concurrency, deps.stopping);
  // Requests of the size the batch was opened with, whoever does the step (a batch of an older ddcn: this process's).
  const config = batch.batchSize === null ? deps.config : { ...deps.config, batchSize: batch.batchSize };
  const stepDeps = { ...deps, registry, log, config };
  log.debug({ worker: deps.worker }, 'chunk step started');
  switch (job.step) {
    case 'verify':
      return verifyStep(stepDeps, batch, chunk);
    case 'write':
      return writeStep(stepDeps, batch, chunk);
    case 'share':
      return shareStep(stepDeps, batch, chunk);
  }
}

async function verifyStep(deps: WorkDeps, batch: Batch, chunk: ChunkInfo): Promise<number> {
  const people = await exportChunk(deps.db, { keyFrom: chunk.keyFrom, keyTo: chunk.keyTo, province: batch.province });
  const outcomes = await verifyPeople(deps.registry, people, deps.config, deps.log, (n) => deps.runProgress?.advance('verify', n));
  checkSettings(deps);
  await deps.db.withTransaction(async (tx) => {
    if (!(await claimStep(tx, batch.id, chunk.chunkNo, 'verify'))) return;
    const now = deps.now();
    await storeOutcomes(tx, { ...chunk, now, outcomes });
    const errors = outcomes.filter((x) => x.detail?.error).length;
    const last = await finishStep(tx, { ...chunk, step: 'verify', worker: deps.worker, now, counts: { n_read: outcomes.length, n_errors: errors } });
    if (last) await startPhase(deps, tx, batch, 'write');
  });
  deps.log.debug({ people: outcomes.length }, 'chunk verified');
  return outcomes.length;
}

async function writeStep(deps: WorkDeps, batch: Batch, chunk: ChunkInfo): Promise<number> {
  const people = await deps.db.withTransaction(async (tx) => {
    if (!(await claimStep(tx, batch.id, chunk.chunkNo, 'write'))) return 0;
    const now = deps.now();
    await writeChunk(tx, { ...chunk, now });
    const counts = await chunkCounts(tx, chunk);
    const last = await finishStep(tx, { ...chunk, step: 'write', worker: deps.worker, now, counts });
    if (last) await startPhase(deps, tx, batch, 'share');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  });
  if (people) deps.runProgress?.advance('write', people);
  return people;
}

async function shareStep(deps: WorkDeps, batch: Batch, chunk: ChunkInfo): Promise<number> {
  const r = await shareMatched(deps, { batchId: batch.id, province: batch.province, after: chunk.shareAfter, upTo: chunk.shareUpTo });
  checkSettings(deps);
  await deps.db.withTransaction(async (tx) => {
    if (!(await claimStep(tx, batch.id, chunk.chunkNo, 'share'))) return;
    const now = deps.now();
    const last = await finishStep(tx, { ...chunk, step: 'share', worker: deps.worker, now, counts: { n_shared: r.shared, n_share_failed: r.failed } });
    if (last) await startPhase(deps, tx, batch, 'done');
  });
  return r.shared + r.failed;
}

/**
 * The next phase, in the transaction of the chunk that completed the last one. Before any number is written, the
 * conflicts are settled over the whole batch; the holders from outside the batch are written here (they are few).
 */
async function startPhase(deps: WorkDeps, tx: Queryable, batch: Pick<Batch, 'id' | 'registry'>, phase: Phase): Promise<void> {
  const batchId = batch.id;
  const now = deps.now();
  if (phase === 'write') {
    const settled = await settleConflicts(tx, { batchId, now });
    await writeParties(tx, { batchId, now }, settled.outside);
    if (settled.parties) deps.log.info({ parties: settled.parties }, 'conflicts settled over the batch: nobody gets a number two people claim');
  }
  await setPhase(tx, batchId, phase, now);
  if (phase === 'share') {
    // This process's progress line moves on to sharing (its total is not known ahead: the candidates stream).
    deps.runProgress?.end();
    deps.runProgress?.begin(batchId, 'share', 0);
  }
  if (phase === 'done') {
    deps.log.info('batch done');
    return;
  }
  const step = phase as Step;
  const chunks = await chunksToDo(tx, batchId, step);
  // A batch left by an older ddcn may have done a step already (its chunks were verified and written together).
  if (chunks.length === 0) return startPhase(deps, tx, batch, NEXT[step]);
  await deps.queue.enqueue(tx, chunks.map((chunkNo) => ({ batchId, step, chunkNo })), batch.registry);
}

/**
 * For a batch being resumed or joined: queues again the jobs of its current phase that are not done, and moves it on
 * should it have stopped between two phases. A job queued twice does its step once, but two processes working on
 * copies at once would both ask the registry: so not a chunk whose job waits to be taken, nor, joining processes at
 * work (`joined`), one whose job is handed back for a retry or in hand (a process that died meanwhile has its job
 * offered again once it expires). Resuming, nobody else is at work: a job in hand is a dead process's, and one handed
 * back may wait minutes for its back-off; those are queued again, to be done now.
 */
export async function queueOutstanding(deps: WorkDeps, tx: Queryable, batch: Batch, joined = false): Promise<void> {
  if (batch.phase === 'done') return;
  const step = batch.phase as Step;
  if (await stepComplete(tx, batch.id, step)) {
    await startPhase(deps, tx, batch, NEXT[step]);
    return;
  }
  const queued = await chunksQueued(tx, batch.id, step, joined ? ['created', 'retry', 'active'] : ['created']);
  const chunks = (await chunksToDo(tx, batch.id, step)).filter((c) => !queued.has(c));
  await deps.queue.enqueue(tx, chunks.map((chunkNo) => ({ batchId: batch.id, step, chunkNo })), batch.registry);
}
