// A migration whose statements fail half way (a row it cannot convert, a disk full) leaves nothing of itself, and the
// operator is told which migration failed and that the database is as before it, not "cannot prepare the database
// … Check DATABASE_URL and that the server is running", as if the server could not be reached. The next attempt,
// once the cause is gone, applies it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MigrationFailedError, migrate, type Migration } from '../../src/db/migrate.js';
import { UserError } from '../../src/errors.js';
import { ddcn } from '../helpers/cli.js';
import { databaseAtMigration, type TestDatabase } from '../helpers/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await databaseAtMigration(33);
});
afterAll(async () => {
  await database.drop();
});

const applied = async () =>
  (await database.db.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY version')).rows.map(
    (r) => r.name,
  );

it('a migration failing half way is not applied, is said as that migration failing, and applies once the cause is gone', async () => {
  // A district an older import stored short, and a constraint (what a disk full or a surprise in the data is to the
  // migration) that 0034's rewrite of it into 3 digits breaks.
  await database.db.query(
    `INSERT INTO unit (ma_don_vi, ten_don_vi, ma_tinh, ma_huyen, updated_at) VALUES ('DV1', 'Công ty Một', '001', '5', now())`,
  );
  await database.db.query(`ALTER TABLE unit ADD CONSTRAINT operator_rule CHECK (ma_huyen <> '005')`);
  const before = await applied();

  const r = await ddcn(['migrate'], { DATABASE_URL: database.url }, 120_000);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(
    'ddcn: migration 0034_district_three_digits.sql failed: new row for relation "unit" violates check constraint "operator_rule" ' +
      '(SQLSTATE 23514). It was not applied: nothing of it was kept, the database is as it was before it.',
  );
  expect(r.stderr).not.toContain('Check DATABASE_URL');
  expect(await applied()).toEqual(before);
  expect((await database.db.query('SELECT ma_huyen FROM unit')).rows).toEqual([{ ma_huyen: '5' }]);

  await database.db.query('ALTER TABLE unit DROP CONSTRAINT operator_rule');
  const again = await ddcn(['migrate'], { DATABASE_URL: database.url }, 120_000);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain('applied 0034_district_three_digits.sql');
  expect((await database.db.query('SELECT ma_huyen FROM unit')).rows).toEqual([{ ma_huyen: '005' }]);
}, 240_000);

it('names the migrations applied before the one that failed, and leaves nothing of the failed one', async () => {
  const ok: Migration = { version: 9001, name: '9001_fine.sql', sql: 'CREATE TABLE fine_9001 (n int)' };
  const half: Migration = {
    version: 9002,
    name: '9002_half.sql',
    sql: 'ALTER TABLE unit ADD COLUMN half_9002 int; INSERT INTO fine_9001 VALUES (1); SELECT 1/0',
  };
  const err = await migrate(database.db, new Date(), { migrations: [ok, half] }).catch((e: unknown) => e);
  expect((err as Error).message).toMatch(
    /^migration 9002_half\.sql failed: division by zero \(SQLSTATE 22012\)\. It was not applied: nothing of it was kept, the database is as it was before it; applied before it: 9001_fine\.sql\. /,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).name).toBe(MigrationFailedError.name);
  expect(await applied()).toContain('9001_fine.sql');
  expect(await applied()).not.toContain('9002_half.sql');
  const column = await database.db.query(
    `SELECT 1 FROM information_schema.columns WHERE table_name = 'unit' AND column_name = 'half_9002'`,
  );
  expect(column.rowCount).toBe(0);
  expect((await database.db.query('SELECT count(*)::int AS n FROM fine_9001')).rows).toEqual([{ n: 0 }]);
});
