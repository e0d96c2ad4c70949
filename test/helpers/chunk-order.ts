// Drives a batch's chunk jobs in an order the test chooses, by calling the job handler the workers call: the
// job engine picks an order of its own, and these tests need every order, duplicates included.
import type { Queryable } from '../../src/db/pool.js';
import type { Db } from '../../src/db/pool.js';
import { openBatch } from '../../src/db/batches.js';
import type { ChunkJob } from '../../src/db/jobs.js';
import { queueOutstanding, workOnChunk } from '../../src/pipeline/chunk-work.js';
import type { RunDeps } from '../../src/pipeline/deps.js';
import { mulberry32 } from '../../src/prng.js';

/** Collects the jobs a step queues, instead of the job engine. */
export class CollectingQueue {
  readonly jobs: ChunkJob[] = [];
  async enqueue(_tx: Queryable, jobs: ChunkJob[]): Promise<void> {
    this.jobs.push(...jobs);
  }
}

export interface DriveOptions {
  /** Picks the next job among those queued, and who does it. */
  pick: (queued: ChunkJob[]) => { index: number; worker: string };
  /** After a job, whether it is delivered once more (a worker presumed dead that was only slow). */
  again?: (job: ChunkJob) => boolean;
}

/** Opens a batch and works its jobs one at a time as `pick` says, until none is left. Returns the batch id. */
export async function driveBatch(db: Db, base: RunDeps, opts: DriveOptions): Promise<{ batchId: number; done: Array<ChunkJob & { worker: string }> }> {
  const queue = new CollectingQueue();
  const batchId = await db.withTransaction(async (tx) => {
    const o = await openBatch(tx, { registry: base.registry.kind, province: null, chunkSize: base.config.chunkSize, maxInFlight: null, now: base.now() });
    if (!o) throw new Error('nothing to do');
    await queueOutstanding({ ...base, queue, worker: 'opener' }, tx, o.batch);
    return o.batch.id;
  });
  const done: Array<ChunkJob & { worker: string }> = [];
  while (queue.jobs.length) {
    const { index, worker } = opts.pick(queue.jobs);
    const [job] = queue.jobs.splice(index, 1);
    await workOnChunk({ ...base, queue, worker }, job!);
    done.push({ ...job!, worker });
    if (opts.again?.(job!)) queue.jobs.push(job!);
  }
  return { batchId, done };
}

/** A seeded random order over two workers, with one delivery in five repeated. */
export function seededOrder(seed: number): DriveOptions {
  const random = mulberry32(seed);
  return {
    pick: (queued) => ({ index: Math.floor(random() * queued.length), worker: random() < 0.5 ? 'A' : 'B' }),
    again: () => random() < 0.2,
  };
}
