// A migration that meets tables in use (a batch or an import working while `ddcn migrate` or an upgraded worker
// starts) waits a bounded time, starts again whole, and if the tables stay busy says so and applies nothing.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationBusyError, migrate, type Migration } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const other = async () => {
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
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
    const batch = await other();
    try {
      await batch.query('BEGIN');
      await batch.query('LOCK TABLE unit IN ACCESS SHARE MODE'); // a transaction of a batch reading units
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

  it('starts again whole when it was the victim of a deadlock with a batch', async () => {
    const batch = await other();
    try {
      // The batch's session leaves deadlock detection to the migration's, which therefore is the one cancelled.
      await batch.query(`SET deadlock_timeout = '20s'`);
      await batch.query('BEGIN');
      await batch.query('LOCK TABLE vssid_target IN ACCESS SHARE MODE');
      const m: Migration = {
        version: 9002,
        name: '9002_deadlock.sql',
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
      expect(await migrating).toEqual(['9002_deadlock.sql']);
      expect(await hasColumn('unit', 'after_deadlock')).toBe(true);
    } finally {
      await batch.end();
    }
  });

  it('says which migration and what to do when the tables stay busy, and applies nothing of it', async () => {
    const batch = await other();
    try {
      await batch.query('BEGIN');
      await batch.query('LOCK TABLE unit IN ACCESS SHARE MODE');
      const m: Migration = {
        version: 9003,
        name: '9003_never_free.sql',
        sql: 'CREATE TABLE never_free_marker (x int); ALTER TABLE unit ADD COLUMN never_free int',
      };
      const err = await migrate(database.db, new Date(), { migrations: [m], patience: { lockTimeoutMs: 100, retryWaitsMs: [50, 50] } }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationBusyError);
      expect((err as Error).message).toBe(
        'migration 9003_never_free.sql could not take the tables it changes: other ddcn processes kept using them ' +
          '(a batch being run, a worker, the portal, an import). Nothing of it was applied. Stop them, or let the ' +
          'batch finish, then run `ddcn migrate` again',
      );
      await batch.query('COMMIT');
      expect(await applied(9003)).toBe(false);
      expect(await hasColumn('unit', 'never_free')).toBe(false);
      expect((await database.db.query(`SELECT to_regclass('never_free_marker') AS t`)).rows[0]!.t).toBeNull();
    } finally {
      await batch.end();
    }
  });
});
