// The watch `ddcn run` and `ddcn worker` keep on their database (src/db/watchdog.ts, src/cli/db-watch.ts): quiet
// while it answers, told at once when it refuses, and the setting that times it checked as every setting is.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { answerSeconds } from '../../src/cli/commands/run-flags.js';
import { watchDatabase } from '../../src/db/watchdog.js';
import { createDb } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const t of dbs) await t.drop();
});

describe('the database watch', () => {
  it('says nothing while the database answers, and shows in pg_stat_activity under the name given', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    const lost: string[] = [];
    const watch = watchDatabase(t.url, { applicationName: 'ddcn worker zz-watch:1', answerWithinMs: 3_000, onLost: (r) => lost.push(r) });
    try {
      await sleep(2_500); // two questions at least
      const seen = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ddcn worker zz-watch:1'`);
      expect(seen.rows[0]!.n).toBe(1);
    } finally {
      await watch.stop();
    }
    expect(lost).toEqual([]);
  });

  it('says so when no answer comes in time, or the server keeps refusing for that long — not at its first refusal', async () => {
    // A server that takes the connection and never says a word.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const told = await new Promise<string>((resolve) => {
        const w = watchDatabase(`postgres://postgres@127.0.0.1:${port}/none`, { applicationName: 'zz', answerWithinMs: 300, onLost: (r) => void w.stop().then(() => resolve(r)) });
      });
      expect(told).toBe('no answer from the database within 0.3 s');
    } finally {
      silent.close();
    }
    const started = Date.now();
    const closed = await new Promise<string>((resolve) => {
      const w = watchDatabase('postgres://postgres@127.0.0.1:1/none', { applicationName: 'zz', answerWithinMs: 2_500, onLost: (r) => void w.stop().then(() => resolve(r)) });
    });
    expect(closed).toBe('errors from the database for 2.5 s, the last: connect ECONNREFUSED 127.0.0.1:1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500); // asked again after each refusal, for the whole time
  });

  it('takes this process not running (its thread busy longer than the time) for what it is, not for a silent database', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    const lost: string[] = [];
    const watch = watchDatabase(t.url, { applicationName: 'zz-watch-busy', answerWithinMs: 1_500, onLost: (r) => lost.push(r) });
    try {
      for (const at of [700, 900]) {
        await sleep(at);
        const until = performance.now() + 2_000; // the thread busy for longer than the time, as a long parse is
        while (performance.now() < until) {
          // busy
        }
      }
      await sleep(2_000);
    } finally {
      await watch.stop();
    }
    expect(lost).toEqual([]);
  });

  it('tells a silence all the same when this process stalls now and then: only the stalls do not count', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      // 1.5 s of a busy thread every 4.5 s (a restart of the time at each never told it: 27 stalls in review), and
      // in step with the questions, every 3.2 s (a question late each time never told it either).
      for (const gap of [3_000, 1_700]) {
        const lost: string[] = [];
        const watch = watchDatabase(`postgres://postgres@127.0.0.1:${port}/none`, { applicationName: 'zz', answerWithinMs: 3_000, onLost: (r) => lost.push(r) });
        try {
          for (let i = 0; i < 10 && lost.length === 0; i++) {
            await sleep(i === 0 ? 2_500 : gap);
            const until = performance.now() + 1_500;
            while (performance.now() < until) {
              // busy
            }
          }
          await sleep(100);
        } finally {
          await watch.stop();
        }
        expect([gap, lost]).toEqual([gap, ['no answer from the database within 3 s']]);
      }
    } finally {
      silent.close();
    }
  });

  it('takes an ended session for a refusal: a new connection answers, and nothing is said', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    const lost: string[] = [];
    const watch = watchDatabase(t.url, { applicationName: 'ddcn worker zz-watch:2', answerWithinMs: 3_000, onLost: (r) => lost.push(r) });
    try {
      await sleep(300);
      await t.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ddcn worker zz-watch:2'`);
      await sleep(3_500);
      const seen = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ddcn worker zz-watch:2'`);
      expect(seen.rows[0]!.n).toBe(1);
    } finally {
      await watch.stop();
    }
    expect(lost).toEqual([]);
  });

  it('gives a batch process’s sessions to the server to end: one idle in a transaction past twice the time, its locks with it', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    // Options of the operator's own are kept beside ours.
    const url = new URL(t.url);
    url.searchParams.set('options', '-c statement_timeout=7s');
    const worker = createDb(url.toString(), { applicationName: 'ddcn worker zz-cut:3', deadClientSeconds: 1, max: 1 });
    try {
      const settings = await worker.query<{ st: string; ki: string; iit: string }>(
        `SELECT current_setting('statement_timeout') AS st, current_setting('tcp_keepalives_idle') AS ki, current_setting('idle_in_transaction_session_timeout') AS iit`,
      );
      expect(settings.rows[0]).toMatchObject({ st: '7s', iit: '2s' });
      // A transaction left open with a lock, as by a worker cut off in a chunk step.
      const held = worker.withTransaction(async (tx) => {
        await tx.query('CREATE TABLE zz_lock (n int)');
        await tx.query('LOCK TABLE zz_lock IN ACCESS EXCLUSIVE MODE');
        await sleep(4_000);
        await tx.query('SELECT 1');
      });
      await expect(held).rejects.toThrow(/idle-in-transaction timeout|terminat|connection error/i);
    } finally {
      await worker.close();
    }
    // What it held went with it: nothing of it was committed, nobody waits on its lock.
    expect((await t.db.query(`SELECT to_regclass('zz_lock') AS t`)).rows[0]).toEqual({ t: null });
  });

  it('takes its time from DDCN_DATABASE_ANSWER_SECONDS, a whole number of seconds from 1', () => {
    expect(answerSeconds({})).toBe(30);
    expect(answerSeconds({ DDCN_DATABASE_ANSWER_SECONDS: ' 5 ' })).toBe(5);
    for (const bad of ['0', '1.5', 'ba mươi', '-3']) {
      expect(() => answerSeconds({ DDCN_DATABASE_ANSWER_SECONDS: bad })).toThrow(UsageError);
      expect(() => answerSeconds({ DDCN_DATABASE_ANSWER_SECONDS: bad })).toThrow(`DDCN_DATABASE_ANSWER_SECONDS must be a whole number of seconds, at least 1, got "${bad}"`);
    }
  });
});
