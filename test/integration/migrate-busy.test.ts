// A migration that meets tables in use (a batch or an import working while `ddcn migrate` or an upgraded worker
// starts) waits a bounded time, starts again whole, and if the tables stay busy says so and applies nothing.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PATIENCE, MigrationBusyError, migrate, type Migration } from '../../src/db/migrate.js';

/** The advisory lock ddcn's migrations take (src/db/migrate.ts). */
const MIGRATION_LOCK_FOR_TEST = 2207_0001;
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

// The test migrations are numbered in the order the tests run: a database that has one newer than those a call
// brings is refused (migrate-newer.test.ts).
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const other = async (name = 'ddcn run (a batch)') => {
  const c = new pg.Client({ connectionString: database.url, application_name: name });
  await c.connect();
  return c;
};
/** Another session in a transaction that reads `table` (a batch at work), holding its lock until COMMIT. */
const holding = async (table: string) => {
  const c = await other();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${table} IN ACCESS SHARE MODE`);
  return c;
};
const applied = async (version: number) =>
  (await database.db.query('SELECT 1 FROM schema_migration WHERE version = $1::int', [version])).rowCount === 1;
const hasColumn = async (table: string, column: string) =>
  (await database.db.query('SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', [table, column]))
    .rowCount === 1;
/** Resolves once some session waits for a lock on `table`. */
async function someoneWaitsFor(table: string): Promise<void> {
  for (;;) {
    const r = await database.db.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND relation = $1::regclass`, [table]);
    if (r.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a migration that meets tables in use', () => {
  it('waits for them and starts again, and is applied once they are free', async () => {
    const batch = await holding('unit'); // a transaction of a batch reading units
    try {
      const m: Migration = { version: 9001, name: '9001_busy_then_free.sql', sql: 'ALTER TABLE unit ADD COLUMN busy_then_free int' };
      const migrating = migrate(database.db, new Date(), { migrations: [m], patience: { lockTimeoutMs: 300, retryWaitsMs: [200, 200, 200, 200, 200] } });
      await someoneWaitsFor('unit');
      await new Promise((resolve) => setTimeout(resolve, 400)); // past the first attempt's wait
      await batch.query('COMMIT');
      expect(await migrating).toEqual(['9001_busy_then_free.sql']);
      expect(await hasColumn('unit', 'busy_then_free')).toBe(true);
      expect(await applied(9001)).toBe(true);
    } finally {
      await batch.end();
    }
  });

  it('gives way to a batch that waits for a table it holds, before a deadlock cancels the batch', async () => {
    const batch = await holding('vssid_target');
    try {
      const m: Migration = {
        version: 9002,
        name: '9002_gives_way.sql',
        sql: `LOCK TABLE unit IN ACCESS EXCLUSIVE MODE;
              SELECT pg_sleep(0.2);
              LOCK TABLE vssid_target IN ACCESS EXCLUSIVE MODE;
              ALTER TABLE unit ADD COLUMN gave_way int`,
      };
      const said: string[] = [];
      // The default wait for a table, below PostgreSQL's default deadlock_timeout (1 s), which the batch keeps.
      const patience = { ...DEFAULT_PATIENCE, retryWaitsMs: [200, 200, 200, 200, 200, 200, 200, 200] };
      const migrating = migrate(database.db, new Date(), { migrations: [m], patience, say: (msg) => said.push(msg) });
      await someoneWaitsFor('vssid_target'); // the migration holds unit and waits for vssid_target
      // Past the migration's own deadlock check (PostgreSQL checks once, deadlock_timeout after a wait begins): a
      // cycle formed now is found by the batch's check, which would cancel the batch, were the migration still waiting.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const read = await batch.query('SELECT count(*)::int AS n FROM unit'); // the batch needs unit: not cancelled
      expect(read.rows[0].n).toBe(0);
      await batch.query('COMMIT');
      expect(await migrating).toEqual(['9002_gives_way.sql']);
      expect(await hasColumn('unit', 'gave_way')).toBe(true);
      // Who held the tables is looked up after the attempt: by then the batch may have committed.
      expect(said[0]).toMatch(/^migration 9002_gives_way\.sql: its tables are in use \(.+\); trying again in 0\.2 s \(attempt 2 of 9\)$/);
    } finally {
      await batch.end();
    }
  });

  it('starts again whole when it was the victim of a deadlock with a batch', async () => {
    const batch = await other();
    try {
      // The batch's session leaves deadlock detection to the migration's, which therefore is the one cancelled.
      await batch.query(`SET deadlock_timeout = '20s'`);
      await batch.query('BEGIN');
      await batch.query('LOCK TABLE vssid_target IN ACCESS SHARE MODE');
      const m: Migration = {
        version: 9003,
        name: '9003_deadlock.sql',
        sql: `LOCK TABLE unit IN ACCESS EXCLUSIVE MODE;
              SELECT pg_sleep(0.3);
              LOCK TABLE vssid_target IN ACCESS EXCLUSIVE MODE;
              ALTER TABLE unit ADD COLUMN after_deadlock int`,
      };
      const migrating = migrate(database.db, new Date(), { migrations: [m], patience: { lockTimeoutMs: 15_000, retryWaitsMs: [500] } });
      await someoneWaitsFor('vssid_target'); // the migration holds unit and waits for vssid_target
      const blocked = batch.query('SELECT count(*) FROM unit'); // and the batch now waits for unit: a deadlock
      expect(await blocked).toBeDefined(); // the migration was cancelled and rolled back, so the batch reads on
      await batch.query('COMMIT');
      expect(await migrating).toEqual(['9003_deadlock.sql']);
      expect(await hasColumn('unit', 'after_deadlock')).toBe(true);
    } finally {
      await batch.end();
    }
  });

  it('says which migration and what to do when the tables stay busy, and applies nothing of it', async () => {
    const batch = await holding('unit');
    try {
      const m: Migration = {
        version: 9004,
        name: '9004_never_free.sql',
        sql: 'CREATE TABLE never_free_marker (x int); ALTER TABLE unit ADD COLUMN never_free int',
      };
      const err = await migrate(database.db, new Date(), { migrations: [m], patience: { lockTimeoutMs: 100, retryWaitsMs: [50, 50] } }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationBusyError);
      expect((err as Error).message).toBe(
        'migration 9004_never_free.sql could not take the tables it changes: other sessions kept using them ' +
          '(ddcn run (a batch)). It was not applied. Stop them, or let the batch finish, then run `ddcn migrate` again',
      );
      await batch.query('COMMIT');
      expect(await applied(9004)).toBe(false);
      expect(await hasColumn('unit', 'never_free')).toBe(false);
      expect((await database.db.query(`SELECT to_regclass('never_free_marker') AS t`)).rows[0]!.t).toBeNull();
    } finally {
      await batch.end();
    }
  });

  it('waits for another process migrating and says so, then tries once: commands started meanwhile do not each wait again', async () => {
    const migrating = await other('ddcn migrate (another)');
    const batch = await holding('unit');
    try {
      await migrating.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_FOR_TEST]);
      const said: string[] = [];
      const m: Migration = { version: 9005, name: '9005_after_another.sql', sql: 'ALTER TABLE unit ADD COLUMN after_another int' };
      // Patience enough for minutes: only the single attempt makes this end at once.
      const result = migrate(database.db, new Date(), {
        migrations: [m],
        patience: { lockTimeoutMs: 100, retryWaitsMs: [60_000, 60_000] },
        say: (msg) => said.push(msg),
      }).catch((e: unknown) => e);
      while (said.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(said).toEqual(['another process is migrating the database; waiting for it to finish']);
      await migrating.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_FOR_TEST]); // it gave up
      const err = await result;
      expect(err).toBeInstanceOf(MigrationBusyError);
      expect(said).toHaveLength(1);
      expect(await applied(9005)).toBe(false);
    } finally {
      await batch.end();
      await migrating.end();
    }
  });

  it('stops waiting when the command is interrupted, with the interruption as the error', async () => {
    const batch = await holding('unit');
    try {
      const stop = new AbortController();
      const reason = new Error('interrupted (SIGTERM)');
      const m: Migration = { version: 9006, name: '9006_interrupted.sql', sql: 'ALTER TABLE unit ADD COLUMN interrupted int' };
      const result = migrate(database.db, new Date(), {
        migrations: [m],
        patience: { lockTimeoutMs: 100, retryWaitsMs: [60_000] },
        say: () => stop.abort(reason), // interrupted during the first wait between attempts
        signal: stop.signal,
      }).catch((e: unknown) => e);
      expect(await result).toBe(reason);
      expect(await applied(9006)).toBe(false);
    } finally {
      await batch.end();
    }
  });

  it('says nothing when another process held the migration lock only for a moment, as every starting process does', async () => {
    const starting = await other('ddcn lookup (starting)');
    try {
      await starting.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_FOR_TEST]);
      const said: string[] = [];
      const result = migrate(database.db, new Date(), { migrations: [], say: (msg) => said.push(msg) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await starting.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_FOR_TEST]);
      expect(await result).toEqual([]);
      expect(said).toEqual([]);
    } finally {
      await starting.end();
    }
  });
});
