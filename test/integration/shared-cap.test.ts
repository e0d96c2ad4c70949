// The registry request cap shared by the processes working on one batch (`--registry-max-in-flight`), and the
// pause after a 429 that every process waits out. `ddcn worker`s are child processes (workers.test.ts); here two
// caps on their own connection pools stand for two processes, so the cap's own code runs in the test process.
import { describe, expect, it } from 'vitest';
import { RegistryGateError, reportRateLimited, SharedRegistryCap, StoppedWaitingError } from '../../src/adapters/shared-cap.js';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { createDb, type Db, type Session } from '../../src/db/pool.js';
import { databasePerFile } from '../helpers/pipeline.js';
import { capturedLog } from '../helpers/log.js';

const database = databasePerFile();

/** A registry that takes a little while per request and counts the requests it has in hand at once. */
class CountingRegistry implements RegistryAdapter {
  readonly sentAt: number[] = [];
  constructor(
    private readonly seen: { now: number; max: number },
    readonly kind = 'http',
  ) {}
  async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    return this.hold(() => batch.map((r) => ({ requestId: r.requestId, matched: false, soDdcn: null, fields: ['id_number'] })));
  }
  async share(records: ShareRecord[]): Promise<string[]> {
    return this.hold(() => records.map((r) => r.requestId));
  }
  async close(): Promise<void> {}
  private async hold<T>(answer: () => T): Promise<T> {
    this.sentAt.push(Date.now());
    this.seen.now += 1;
    this.seen.max = Math.max(this.seen.max, this.seen.now);
    await new Promise((r) => setTimeout(r, 15));
    this.seen.now -= 1;
    return answer();
  }
}

const person = (n: number): VerifyRequest => ({ requestId: String(n).padStart(10, '0'), hoTen: 'X', ngaySinh: null, gioiTinh: null, soGiayTo: '012345678' });

async function newBatch(db: Db, maxInFlight: number | null, phase = 'verify'): Promise<{ id: number; maxInFlight: number | null }> {
  const res = await db.query<{ id: number }>(
    `INSERT INTO batch (registry, province, chunk_size, phase, chunks, started_at, max_in_flight)
     VALUES ('http', NULL, 10, $1::text, 0, now(), $2::int) RETURNING id::int AS id`,
    [phase, maxInFlight],
  );
  return { id: res.rows[0]!.id, maxInFlight };
}

/** A second "process": its own connection pool on the same database. */
async function otherProcess(url: string): Promise<Db> {
  return createDb(url);
}

describe('registry requests shared by the processes of a batch', () => {
  it('never has more requests in flight than the batch allows, across processes, and answers every one', { timeout: 20_000 }, async () => {
    const { db, url } = database();
    const other = await otherProcess(url);
    try {
      const batch = await newBatch(db, 2);
      const seen = { now: 0, max: 0 };
      const { log } = capturedLog('debug');
      // Each process allows 4 requests of its own (--concurrency): 8 ask at once for the batch's 2 slots.
      const a = SharedRegistryCap.of(new CountingRegistry(seen), db, batch, log, 4);
      const b = SharedRegistryCap.of(new CountingRegistry(seen), other, batch, log, 4);
      const asks = Array.from({ length: 12 }, (_, i) => [person(2 * i), person(2 * i + 1)]);
      const answers = await Promise.all(asks.map((people, i) => (i % 2 ? a : b).verify(people)));
      expect(answers.map((x) => x.map((y) => y.requestId))).toEqual(asks.map((people) => people.map((p) => p.requestId)));
      expect(seen.max).toBeLessThanOrEqual(2);

      // The slots were given back: a second round (shares this time) is answered as well, under the same cap.
      const acked = await Promise.all(asks.map((people, i) =>
        (i % 2 ? b : a).share(people.map((p) => ({ requestId: p.requestId, maSoBhxh: p.requestId, soDdcn: '001090000001', vssid: false })))));
      expect(acked.flat()).toHaveLength(24);
      expect(seen.max).toBeLessThanOrEqual(2);
    } finally {
      await other.close();
    }
  });

  it("keeps the registry's answer when the slot's session is lost while the request is out", { timeout: 20_000 }, async () => {
    // The session that holds the slot is idle while the request is out: a connection dropped then (killed by a DBA's
    // script or an idle timeout, a proxy restarted) made the unlock fail, and that failure replaced the answer: its
    // people were left PENDING under "the registry is unavailable", the registry having answered.
    const { db, url } = database();
    const other = await otherProcess(url);
    try {
      const batch = await newBatch(db, 1);
      const seen = { now: 0, max: 0 };
      const registry = new (class extends CountingRegistry {
        override async verify(people: VerifyRequest[]): Promise<VerifyAnswer[]> {
          // The server ends the session holding the slot while the request is in hand.
          const ended = await other.query<{ n: number }>(
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_locks
              WHERE locktype = 'advisory' AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          expect(ended.rows[0]!.n).toBe(1);
          return super.verify(people);
        }
      })(seen);
      const { log } = capturedLog('debug');
      const cap = SharedRegistryCap.of(registry, db, batch, log, 1);
      const answers = await cap.verify([person(1), person(2)]);
      expect(answers.map((a) => a.requestId)).toEqual([person(1).requestId, person(2).requestId]);
      // The slot went with the session: the next request takes it again.
      await expect(cap.verify([person(3)])).resolves.toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('a request waiting for a slot stops waiting when its process is told to stop, and asks the registry nothing', { timeout: 20_000 }, async () => {
    // A worker told to stop (SIGTERM) while a step's requests waited for a slot sat out the 30 s grace, and pg-boss
    // then failed its job (a retry spent, and a back-off) where the worker hands it back (worker.ts).
    const { db, url } = database();
    const other = await otherProcess(url);
    try {
      const batch = await newBatch(db, 1);
      // Another process holds the batch's only slot, its request out.
      await other.withSession(async (holder: Session) => {
        await holder.query('SELECT pg_advisory_lock($1::int, 0)', [-batch.id]);
        const seen = { now: 0, max: 0 };
        const inner = new CountingRegistry(seen);
        const stop = new AbortController();
        const cap = SharedRegistryCap.of(inner, db, batch, capturedLog('debug').log, 2, stop.signal);
        const asked = cap.verify([person(1)]).then(
          () => 'answered',
          (err: unknown) => err,
        );
        // Still waiting for the slot after several tries (each a query on a session of its own).
        await new Promise((r) => setTimeout(r, 200));
        expect(inner.sentAt).toEqual([]);
        stop.abort();
        expect(await asked).toBeInstanceOf(StoppedWaitingError);
        expect(inner.sentAt).toEqual([]);
        // And stopped, a request of the same process is not sent either.
        await expect(cap.share([{ requestId: '0000000002', maSoBhxh: '0000000002', soDdcn: '001090000001', vssid: false }])).rejects.toBeInstanceOf(StoppedWaitingError);
        expect(inner.sentAt).toEqual([]);
        await holder.query('SELECT pg_advisory_unlock($1::int, 0)', [-batch.id]);
      });
    } finally {
      await other.close();
    }
  });

  it('one process is given the same cap for a batch each time it asks', async () => {
    const { db } = database();
    const batch = await newBatch(db, 3);
    const inner = new CountingRegistry({ now: 0, max: 0 });
    const { log } = capturedLog('debug');
    expect(SharedRegistryCap.of(inner, db, batch, log, 2)).toBe(SharedRegistryCap.of(inner, db, batch, log, 2));
    expect(SharedRegistryCap.of(inner, db, batch, log, 2)).not.toBe(SharedRegistryCap.of(inner, db, { ...batch, id: batch.id + 1 }, log, 2));
  });

  for (const maxInFlight of [null, 2]) {
    it(`after a 429 seen by one process, no process sends before the wait it asked for is over (cap ${maxInFlight ?? 'none'})`, { timeout: 20_000 }, async () => {
      const { db, url } = database();
      const other = await otherProcess(url);
      try {
        const batch = await newBatch(db, maxInFlight);
        const done = await newBatch(db, null, 'done');
        const inner = new CountingRegistry({ now: 0, max: 0 });
        const { log, lines } = capturedLog('debug');
        const cap = SharedRegistryCap.of(inner, other, batch, log, 2);

        const told = Date.now();
        await reportRateLimited(db, 600);
        const [answer] = await cap.verify([person(1)]);
        expect(answer).toMatchObject({ requestId: person(1).requestId, matched: false });
        // The database rounds the wait to a millisecond; nothing was sent before the wait ended.
        expect(inner.sentAt[0]! - told).toBeGreaterThanOrEqual(600 - 5);
        const waited = lines.filter((l) => l.msg === 'the registry asked to slow down: waiting');
        expect(waited).toHaveLength(1);
        expect(waited[0]!.ms).toBeGreaterThan(0);
        expect(waited[0]!.ms).toBeLessThanOrEqual(600);

        // Once the wait is over, requests go out without waiting again (and a finished batch was left alone).
        await cap.verify([person(2)]);
        expect(lines.filter((l) => l.msg === 'the registry asked to slow down: waiting')).toHaveLength(1);
        const until = await db.query<{ id: number; set: boolean }>('SELECT id::int AS id, registry_backoff_until IS NOT NULL AS set FROM batch ORDER BY id');
        expect(until.rows).toEqual([{ id: batch.id, set: true }, { id: done.id, set: false }]);
      } finally {
        await other.close();
      }
    });
  }

  // Every registry goes through the process's limiter (chunk-work.ts), but only the HTTP registry answers 429: the
  // others have no pause to read before each request.
  it.each(['mock', 'file'])('the %s registry, which cannot ask for a pause, does not wait for one', { timeout: 10_000 }, async (kind) => {
    const { db } = database();
    const batch = await newBatch(db, null);
    await reportRateLimited(db, 60_000);
    const { log, lines } = capturedLog('debug');
    const cap = SharedRegistryCap.of(new CountingRegistry({ now: 0, max: 0 }, kind), db, batch, log, 2);
    await expect(cap.share([{ requestId: '1', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true }])).resolves.toEqual(['1']);
    expect(lines.filter((l) => l.msg === 'the registry asked to slow down: waiting')).toEqual([]);
  });

  // A database error there is not the registry's: counted as a failed request, its people were left PENDING under
  // "the registry is unavailable" until the next run. It is a RegistryGateError, which fails the chunk step instead.
  it.each([
    ['its 429 pause', null, 'registry_backoff_until'],
    ['a request slot', 2, 'pg_try_advisory_lock'],
  ] as const)('says a database failure reading %s is not the registry\'s, and asks the registry nothing', async (_what, maxInFlight, failing) => {
    const { db } = database();
    const batch = await newBatch(db, maxInFlight);
    const broken = new Error('canceling statement due to statement timeout');
    const fail = (text: string) => (text.includes(failing) ? Promise.reject(broken) : undefined);
    const flaky = {
      ...db,
      query: (text: string, values?: unknown[]) => fail(text) ?? db.query(text, values),
      withSession: <T>(fn: (session: Session) => Promise<T>) =>
        db.withSession((session) => fn({ ...session, query: (text: string, values?: unknown[]) => fail(text) ?? session.query(text, values) } as Session)),
    } as Db;
    const inner = new CountingRegistry({ now: 0, max: 0 });
    const cap = SharedRegistryCap.of(inner, flaky, batch, capturedLog('debug').log, 2);
    const err = await cap.verify([person(1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryGateError);
    expect((err as Error).cause).toBe(broken);
    expect(inner.sentAt).toEqual([]);
  });

  it('a pause that a later 429 asks for does not shorten one already recorded', async () => {
    const { db } = database();
    const batch = await newBatch(db, null);
    await reportRateLimited(db, 60_000);
    await reportRateLimited(db, 10);
    const left = await db.query<{ ms: number }>(
      `SELECT (extract(epoch FROM registry_backoff_until - clock_timestamp()) * 1000)::int AS ms FROM batch WHERE id = $1::bigint`, [batch.id]);
    expect(left.rows[0]!.ms).toBeGreaterThan(50_000);
  });
});
