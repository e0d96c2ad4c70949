// The registry is shared by every process working on a batch: ten machines must not flood it. Two things are
// held in PostgreSQL, which every worker reaches already:
// - a cap on requests in flight (batch.max_in_flight): a request first takes one of N advisory-lock slots,
//   pg_try_advisory_lock(-batch, slot), on a connection of its own, and lets it go when answered. The server
//   frees the slots of a process that dies with its connections, so a killed worker never keeps one; no table of
//   leases to clean up, and no process has to be the coordinator.
// - a pause after a 429 (batch.registry_backoff_until): a worker told to wait records until when, and every
//   worker reads it before each request.
// Cost: one round trip per request (two or three when slots are short), against requests of 500 people.
import pLimit, { type LimitFunction } from 'p-limit';
import type { Db, Queryable } from '../db/pool.js';
import type { Logger } from '../log.js';
import { sleep } from '../sleep.js';
import { RegistryClosedError, type RegistryAdapter, type ShareRecord, type VerifyAnswer, type VerifyRequest } from './types.js';

/** A wait for a free slot: short, and jittered so that waiting workers do not ask in step. */
// Stryker disable next-line ArithmeticOperator: only how long a request waits before asking for a slot again; the cap and the answers are the same
const slotWaitMs = () => 5 + Math.random() * 20;
/** Longest pause read from the batch row (a bad clock must not stall a worker for long). */
const MAX_PAUSE_MS = 60_000;

const caps = new WeakMap<RegistryAdapter, Map<number, SharedRegistryCap>>();

/**
 * An error that fails the chunk step rather than leave its people PENDING: the database failed before the registry
 * was asked (RegistryGateError), the adapter was closed under the request as the process stopped
 * (RegistryClosedError), or the process was told to stop while the request waited for its turn (StoppedWaitingError).
 * None says anything of the registry.
 */
export type StepFailure = RegistryGateError | RegistryClosedError | StoppedWaitingError;

export const failsTheStep = (err: unknown): err is StepFailure =>
  err instanceof RegistryGateError || err instanceof RegistryClosedError || err instanceof StoppedWaitingError;

/**
 * The process was told to stop (SIGTERM to a worker) while a request waited for a slot of the batch's cap, or for
 * the batch's 429 pause: nobody was asked. A step in hand has 30 s to finish; one that has not begun asking cannot
 * know when a slot frees up, and waiting out the grace had pg-boss fail its job (a retry spent, and its back-off)
 * instead of handing it back. The worker hands the chunk back at once (worker.ts).
 */
export class StoppedWaitingError extends Error {
  override name = 'StoppedWaitingError';
  constructor() {
    super('stopped while waiting for a registry request slot or the registry\'s pause: nobody was asked');
  }
}

/**
 * The database failed before the registry was asked (reading the batch's 429 pause, taking a slot): nobody was asked.
 * Not a registry failure, which leaves its people PENDING until the next run under "the registry is unavailable":
 * the chunk step fails instead, and the job engine retries it. The database's error is the cause.
 */
export class RegistryGateError extends Error {
  override name = 'RegistryGateError';
  constructor(cause: unknown) {
    super('the database failed before the registry was asked (reading its pause or taking a request slot): nobody was asked', { cause });
  }
}

export class SharedRegistryCap implements RegistryAdapter {
  readonly kind: string;
  /** This process's own limit (--concurrency), before a slot is asked for: a request waiting here holds no connection. */
  private readonly local: LimitFunction;

  private constructor(
    private readonly inner: RegistryAdapter,
    private readonly db: Db,
    private readonly batch: { id: number; maxInFlight: number | null },
    private readonly log: Logger,
    concurrency: number,
    /** The process's stop (a worker's SIGTERM): a request not yet asked stops waiting for a slot or a pause. */
    private readonly stopping?: AbortSignal,
  ) {
    this.kind = inner.kind;
    this.local = pLimit(concurrency);
  }

  /** One per process and batch, shared by the process's workers. */
  static of(
    inner: RegistryAdapter,
    db: Db,
    batch: { id: number; maxInFlight: number | null },
    log: Logger,
    concurrency: number,
    stopping?: AbortSignal,
  ): SharedRegistryCap {
    let byBatch = caps.get(inner);
    if (!byBatch) caps.set(inner, (byBatch = new Map()));
    let cap = byBatch.get(batch.id);
    if (!cap) byBatch.set(batch.id, (cap = new SharedRegistryCap(inner, db, batch, log, concurrency, stopping)));
    return cap;
  }

  verify(batch: VerifyRequest[], signal?: AbortSignal): Promise<VerifyAnswer[]> {
    return this.gated(() => this.inner.verify(batch, signal));
  }

  share(records: ShareRecord[], signal?: AbortSignal): Promise<string[]> {
    return this.gated(() => this.inner.share(records, signal));
  }

  /** The inner adapter belongs to the process, not to one batch: it is closed by whoever made it. */
  async close(): Promise<void> {}

  private gated<T>(call: () => Promise<T>): Promise<T> {
    return this.local(() => this.inSlot(call));
  }

  private async inSlot<T>(call: () => Promise<T>): Promise<T> {
    const slots = this.batch.maxInFlight;
    if (slots === null) {
      // Only the HTTP registry answers 429 (src/cli/commands/rate-limit.ts records its pause): with the mock or the
      // file exchange there is no pause to read, and reading it cost ~0.5 ms a request (1 M people: ~1 s of the verify phase).
      if (this.inner.kind === 'http') await this.pause(this.db).catch((err: unknown) => Promise.reject(this.notAsked(err)));
      return call();
    }
    // The registry's answer, once given. The slot's session is idle while the request is out: should it be lost
    // meanwhile (the connection dropped or ended by the server), letting go of the slot fails, but the server has let
    // go of it with the session, and withSession drops a session that failed. The answer stands: thrown away, its
    // people would be left PENDING under "the registry is unavailable", the registry having answered.
    let answered = null as { value: T } | null;
    let asked = false;
    try {
      return await this.db.withSession(async (session) => {
        const slot = await this.takeSlot(session, slots);
        try {
          asked = true;
          const value = await call();
          answered = { value };
          return value;
        } finally {
          await session.query('SELECT pg_advisory_unlock($1::int, $2::int)', [-this.batch.id, slot]);
        }
      });
    } catch (err) {
      if (!asked) throw this.notAsked(err);
      if (answered === null) throw err;
      this.log.debug({ err }, "the registry answered, and the slot's session was lost: the slot went with it");
      return answered.value;
    }
  }

  /** Why a request was not sent: the process stopping, or the database failing (the cause). */
  private notAsked(err: unknown): StoppedWaitingError | RegistryGateError {
    return err instanceof StoppedWaitingError ? err : new RegistryGateError(err);
  }

  /** Waits `ms`, or until the process is told to stop (StoppedWaitingError). */
  private async wait(ms: number): Promise<void> {
    await sleep(ms, this.stopping).catch(() => Promise.reject(new StoppedWaitingError()));
  }

  /** One free slot of `slots`, tried from a random one on; waits for the batch's 429 pause first. */
  private async takeSlot(session: Queryable, slots: number): Promise<number> {
    for (;;) {
      if (this.stopping?.aborted) throw new StoppedWaitingError();
      await this.pause(session);
      // Stryker disable next-line ArithmeticOperator: which free slot is tried first; the number of slots, hence the cap, is the same
      const start = Math.floor(Math.random() * slots);
      // Stryker disable next-line EqualityOperator: one more step tries the first slot again: (start + slots) % slots is start
      for (let i = 0; i < slots; i++) {
        const slot = (start + i) % slots;
        const got = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [-this.batch.id, slot]);
        if (got.rows[0]!.ok) return slot;
      }
      await this.wait(slotWaitMs());
    }
  }

  private async pause(q: Queryable): Promise<void> {
    const res = await q.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM registry_backoff_until - clock_timestamp()) * 1000)::int AS ms FROM batch WHERE id = $1::bigint`,
      [this.batch.id],
    );
    // Stryker disable next-line OptionalChaining: the batch row always exists while its chunks are worked (batch_chunk references it)
    const ms = res.rows[0]?.ms ?? null;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: null > 0 is false, and a pause ending this very millisecond sleeps 0 ms: the same waits
    if (ms !== null && ms > 0) {
      this.log.debug({ ms }, 'the registry asked to slow down: waiting');
      await this.wait(Math.min(ms, MAX_PAUSE_MS));
    }
  }
}

/** Records a 429's Retry-After on the open batch, so that every worker waits it out (see SharedRegistryCap). */
export async function reportRateLimited(db: Queryable, waitMs: number): Promise<void> {
  await db.query(
    `UPDATE batch SET registry_backoff_until = greatest(registry_backoff_until, clock_timestamp() + make_interval(secs => $1::double precision / 1000))
      WHERE phase <> 'done'`,
    [waitMs],
  );
}
