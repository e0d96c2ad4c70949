// The job engine that carries a batch's chunks: pg-boss 10, on the same PostgreSQL (schema `pgboss`, installed
// and upgraded by pg-boss itself). Why pg-boss over graphile-worker: see README, "The distributed run".
import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import type { Db, Queryable } from './pool.js';
import type { Step } from './chunk-steps.js';
import { withoutData } from '../log.js';

// pg-boss 10 does not await the complete()/fail() it sends after a job's callback: when the database is gone at
// that moment (a worker losing its server) the rejection is unhandled, which ends a Node process. Those two calls
// are given a handler here; callers that await them still get the error. A job whose completion was lost expires
// and is taken again, and every chunk step is idempotent, so nothing is done twice. (pg-boss keeps its Manager
// private; the class is reached by its file, pinned by the package version.)
type Settle = (...args: unknown[]) => Promise<unknown>;
const Manager = createRequire(import.meta.url)('pg-boss/src/manager.js') as { prototype: Record<'complete' | 'fail', Settle> };
for (const method of ['complete', 'fail'] as const) {
  const original = Manager.prototype[method];
  Manager.prototype[method] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    result.catch(() => undefined);
    return result;
  };
}

export const CHUNK_QUEUE = 'ddcn-chunk';
/**
 * The queue of the steps that are work for this machine and its database: the write step's jobs, and the verify and
 * share steps' unless the registry is reached over HTTP (the mock answers in-process from the database, the file
 * exchange writes and reads files). A process works on at least WRITE_LOOPS of them at once whatever its number of
 * workers, so that one worker's run keeps two of the server's cores busy, as the run did before it moved onto the
 * job engine (1 M people, one worker: the write phase from ~60 s to ~35 s; the share phase 6.7–7.0 s → 5.2–5.9 s;
 * the verify phase 20.5–21.6 s → 16.6–18.3 s, where one chunk at a time kept 1.31 cores busy: its export and
 * its COPY of outcomes wait on the server while this process is idle, and its lookups the other way round). Two
 * chunks at once touch different people; they meet only on the batch row, which each takes last. The registry's
 * requests in flight stay within --concurrency for the process whatever the loops (SharedRegistryCap).
 * Over HTTP, verify and share steps stay on CHUNK_QUEUE, --workers chunks at once: there the registry's latency
 * bounds the step, a second chunk would only halve each one's share of --concurrency, and a worker stopping would
 * hand back twice the registry work in hand.
 */
export const WRITE_QUEUE = 'ddcn-write';
export const WRITE_LOOPS = 2;

export interface ChunkJob {
  batchId: number;
  step: Step;
  chunkNo: number;
}

/** The queue a chunk step's jobs go on (see WRITE_QUEUE); `registry` is the batch's registry kind. */
export function queueFor(step: Step, registry: string): string {
  return step === 'write' || registry !== 'http' ? WRITE_QUEUE : CHUNK_QUEUE;
}

/** A chunk whose worker died is taken up by another within this time by default (interface.md). */
export const DEFAULT_TAKEOVER_SECONDS = 120;

/** How the connections of a `ddcn run` or `ddcn worker` show in pg_stat_activity: `ddcn-run host:pid`. */
export function workingConnectionName(role: 'run' | 'worker', worker: string): string {
  const name = `ddcn-${role} ${worker}`;
  // PostgreSQL keeps 63 bytes: a long host name is cut, never the process id after it (two workers of one host
  // would read as one). Names are ASCII (host names, digits).
  if (name.length <= 63) return name;
  const colon = worker.lastIndexOf(':');
  const pid = colon >= 0 ? worker.slice(colon) : '';
  return `ddcn-${role} ${worker.slice(0, colon >= 0 ? colon : worker.length)}`.slice(0, 63 - pid.length) + pid;
}

/**
 * Whether another process is at work on a batch: the process that opened it (or last resumed it) is still
 * connected — a run that has just queued its chunks holds none yet — or a `ddcn run` or `ddcn worker` other than
 * this one is connected while chunk jobs of it are in hand (pg-boss's `active`). A process that died leaves its jobs
 * active until the takeover time, but its connections go with it: that batch is resumed, not joined.
 */
export async function othersAtWork(q: Queryable, batchId: number): Promise<boolean> {
  const res = await q.query<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM batch b JOIN pg_stat_activity a ON a.application_name = b.opened_by AND a.datname = current_database()
                     WHERE b.id = $2::bigint AND b.opened_by <> current_setting('application_name'))
         OR (EXISTS (SELECT 1 FROM pgboss.job WHERE name = ANY($1::text[]) AND state = 'active' AND (data->>'batchId')::bigint = $2::bigint)
             AND EXISTS (SELECT 1 FROM pg_stat_activity
                          WHERE datname = current_database()
                            AND application_name LIKE ANY($3::text[])
                            AND application_name <> current_setting('application_name'))) AS yes`,
    // The names workingConnectionName gives, whatever the process: `ddcn-run %`, `ddcn-worker %`.
    [[CHUNK_QUEUE, WRITE_QUEUE], batchId, [workingConnectionName('run', '%'), workingConnectionName('worker', '%')]],
  );
  return res.rows[0]!.yes;
}

/**
 * The chunks of a batch's step that have a job in one of `states` of pg-boss (`created`: waiting to be taken; `retry`:
 * handed back, waiting for its back-off; `active`: in hand). A run that resumes or joins a batch queues its phase
 * again (queueOutstanding), for jobs lost or held by a process that died; copies of jobs still waiting or in hand were
 * taken by other processes at once, each asking the registry (a review: three runs joining a batch made 61 verify
 * jobs of 16 chunks, 231 requests for 151).
 */
export async function chunksQueued(q: Queryable, batchId: number, step: Step, states: Array<'created' | 'retry' | 'active'>): Promise<Set<number>> {
  const res = await q.query<{ chunk: number }>(
    `SELECT DISTINCT (data->>'chunkNo')::int AS chunk FROM pgboss.job
      WHERE name = ANY($1::text[]) AND state::text = ANY($4::text[])
        AND (data->>'batchId')::bigint = $2::bigint AND data->>'step' = $3::text`,
    [[CHUNK_QUEUE, WRITE_QUEUE], batchId, step, states],
  );
  return new Set(res.rows.map((r) => r.chunk));
}

export interface JobQueueOptions {
  /**
   * A job not finished this long after it was taken is failed by pg-boss's maintenance and retried by whoever
   * asks next: three quarters of it is the job's expiry, a quarter the maintenance interval.
   */
  takeoverSeconds: number;
  /** How often an idle worker asks for a job; pg-boss's minimum is 0.5 s. */
  pollSeconds?: number;
}

const JOB_RETRIES = 100;
/**
 * How long pg-boss lets a job be in hand before it offers it again: three quarters of the takeover time, so that a
 * dead worker's chunk is taken up within it (maintenance runs every quarter).
 */
const expirySeconds = (takeoverSeconds: number) => Math.max(1, Math.floor((takeoverSeconds * 3) / 4));

const START_LOCK = 2207_0014; // a chunk whose step keeps failing (the database away a while) is retried, with backoff

export class JobQueue {
  private readonly workerIds: string[] = [];
  private stopping = false;
  private running = 0;
  /**
   * Chunk steps this process may have in hand at once: one per loop (work). pg-boss gives a loop back once its job
   * outlives the expiry, the handler still running, and the loop takes another job: without this bound each loop took
   * one more step every expiry, past the connections the pool is sized for (run-flags.ts poolSizeFor), and share
   * steps (each holds a connection for its candidates and asks for another to send and record) then held every one of
   * them waiting for one: the run and its workers hung, deaf to SIGTERM.
   */
  private free = 0;
  private readonly waiting: Array<() => void> = [];
  /** The chunk steps this process is working on (batch:step:chunk), each settled when its handler is. */
  private readonly inHand = new Map<string, Promise<void>>();

  private constructor(
    private readonly boss: PgBoss,
    private readonly opts: Required<JobQueueOptions>,
    private readonly queries: { inFlight: number },
  ) {}

  /**
   * pg-boss on our own pool (one seam for every connection, and no second pool to size), with its schema and the
   * queue made sure of.
   */
  static async open(db: Db, options: JobQueueOptions, onError: (err: Error) => void): Promise<JobQueue> {
    const opts = { pollSeconds: 0.5, ...options };
    const expireInSeconds = expirySeconds(opts.takeoverSeconds);
    // pg-boss's queries in flight (a job's fetch, the completion it sends unawaited after a handler): stop() waits
    // for them (stopNow).
    const queries = { inFlight: 0 };
    const boss = new PgBoss({
      db: {
        executeSql: async (text, values) => {
          queries.inFlight += 1;
          try {
            return await db.query(text, values);
          } finally {
            queries.inFlight -= 1;
          }
        },
      },
      expireInSeconds,
      maintenanceIntervalSeconds: Math.max(1, Math.floor(opts.takeoverSeconds / 4)),
      monitorStateIntervalSeconds: 3600,
      schedule: false,
      retryLimit: JOB_RETRIES,
      retryDelay: 1,
      retryBackoff: true,
    });
    boss.on('error', onError);
    // pg-boss installs its schema on the first start; two processes doing that at once on a new database deadlock
    // (seen with two workers starting together), so starts are taken one at a time.
    await db.withSession(async (session) => {
      await session.query('SELECT pg_advisory_lock($1::bigint)', [START_LOCK]);
      try {
        await boss.start();
        for (const name of [CHUNK_QUEUE, WRITE_QUEUE]) {
          if (!(await boss.getQueue(name))) {
            await boss.createQueue(name, { name, expireInSeconds, retryLimit: JOB_RETRIES, retryDelay: 1, retryBackoff: true });
          }
        }
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [START_LOCK]);
      }
    });
    return new JobQueue(boss, opts, queries);
  }

  /**
   * Queues chunk jobs in the caller's transaction: they exist exactly when what made them due has committed.
   * A job queued twice does its step once (src/db/chunk-steps.ts). `registry`: the batch's registry kind, which
   * decides the verify and share steps' queue (queueFor).
   */
  async enqueue(tx: Queryable, jobs: ChunkJob[], registry: string): Promise<void> {
    if (jobs.length === 0) return;
    await this.boss.insert(
      jobs.map((data) => this.jobRow(queueFor(data.step, registry), data)),
      { db: { executeSql: async (text, values) => tx.query(text, values) } },
    );
  }

  private jobRow(name: string, data: ChunkJob) {
    return {
      name, data, expireInSeconds: expirySeconds(this.opts.takeoverSeconds), retryLimit: JOB_RETRIES, retryDelay: 1, retryBackoff: true,
      // Writing and sharing wait on nothing but the verify phase: let them go first when a worker has a choice.
      priority: data.step === 'verify' ? 0 : 1,
    };
  }

  /**
   * Puts a job this process took and will not work on back in its queue as a fresh job: available at once to any
   * worker, none of its retries spent. Failed instead, pg-boss would hold it back for its back-off, longer each time
   * (and a worker restarted again and again would push it to half an hour). False when it could not be queued: the
   * caller then fails the job, which pg-boss retries.
   */
  async handBack(name: string, data: ChunkJob): Promise<boolean> {
    try {
      await this.boss.insert([this.jobRow(name, data)]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts `workers` loops that each take one chunk job at a time, and as many (at least WRITE_LOOPS) for
   * WRITE_QUEUE's jobs. With the mock or the file exchange every step's jobs go on WRITE_QUEUE: the first loops then
   * only take jobs an older ddcn queued on the chunk queue (the handler takes any step), which a resumed batch needs.
   */
  async work(workers: number, handler: (job: ChunkJob) => Promise<void>): Promise<void> {
    const writers = Math.max(workers, WRITE_LOOPS);
    const loops = [...Array.from({ length: workers }, () => CHUNK_QUEUE), ...Array.from({ length: writers }, () => WRITE_QUEUE)];
    this.free += loops.length;
    const expiryMs = expirySeconds(this.opts.takeoverSeconds) * 1000;
    for (const name of loops) {
      const id = await this.boss.work<ChunkJob>(name, { batchSize: 1, pollingIntervalSeconds: this.opts.pollSeconds }, async ([job]) => {
        if (!job) return;
        const taken = Date.now();
        // Counted from here, its turn still to come: a stop waits for it to be done or handed back (stopNow).
        this.running += 1;
        await this.takeTurn();
        try {
          // Waited for a step of this process that outlived its expiry: pg-boss has offered this job again meanwhile.
          if (Date.now() - taken >= expiryMs) throw new Error('waited past its expiry for a step of this process to end: handed back');
          await this.runJob(name, job.data, handler);
        } catch (err) {
          // pg-boss stores what a failed job threw in pgboss.job.output, every enumerable field of it: a PostgreSQL
          // error's `detail` and `where` quote the rows (a COPY's line, a failing row), names and numbers included.
          throw withoutData(err);
        } finally {
          this.giveTurn();
          this.running -= 1;
        }
      });
      this.workerIds.push(id);
    }
  }

  private takeTurn(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private giveTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }

  private async runJob(name: string, data: ChunkJob, handler: (job: ChunkJob) => Promise<void>): Promise<void> {
    // A copy of a chunk step this process has in hand (a resumed or joined batch queues its phase again; pg-boss
    // retries a job whose handler outlived its expiry, while that handler still runs) waits for it, then runs:
    // it finds the step done and does nothing. Completing the copy unrun would lose the step should the one in
    // hand fail after pg-boss stopped tracking it; running both at once would ask the registry twice.
    const key = `${data.batchId}:${data.step}:${data.chunkNo}`;
    // The entry is removed before it settles (below), so a waiter never finds the same one again.
    for (let other = this.inHand.get(key); other; other = this.inHand.get(key)) await other;
    // pg-boss's graceful stop waits only for loops that hold a job: a loop whose fetch was in flight when stop
    // began (or that waited above) gets its job afterwards and would start it after stop() returned. Such a job
    // is handed back instead, as a fresh job (the one taken completes).
    if (this.stopping) {
      if (await this.handBack(name, data)) return;
      throw new Error('this worker is stopping: chunk handed back');
    }
    // In the map before the handler is called: a handler that throws at once still settles and removes it.
    let settle!: () => void;
    this.inHand.set(key, new Promise<void>((resolve) => (settle = resolve)));
    try {
      await handler(data);
    } finally {
      this.inHand.delete(key);
      settle();
      for (const w of this.workerIds) this.boss.notifyWorker(w);
    }
  }

  /**
   * Takes no new job (one a loop fetched as stop began goes back as a fresh job: runJob) and waits for those in hand,
   * `graceMs` at most; a second call waits for the first.
   */
  stop(graceMs: number): Promise<void> {
    return (this.stopped ??= this.stopNow(graceMs));
  }

  private stopped: Promise<void> | null = null;

  private async stopNow(graceMs: number): Promise<void> {
    this.stopping = true;
    const until = Date.now() + graceMs;
    await this.boss.stop({ graceful: true, timeout: graceMs, wait: true });
    // What pg-boss counted is done. Its stop does not wait for a fetch in flight, whose job then reaches a handler
    // after stop() returned (to be handed back, runJob), nor for the completion it sends after a handler: waited for
    // too, with any job in hand or awaiting its turn, so that the hand-back and the completion are in before the
    // caller closes the pool (else they are lost, and the job waits out its expiry in hand).
    while ((this.running > 0 || this.queries.inFlight > 0) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
