// A machine not yet upgraded (or an operator rolling the code back) meets a database a newer ddcn migrated. Before,
// the older ddcn found all of its own migrations applied, said "database schema is up to date" and went on writing
// rows in the older ways the newer migrations had changed. It must refuse, do nothing, and say what to do.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MigrationNewerError, loadMigrations, migrate } from '../../src/db/migrate.js';
import { UserError } from '../../src/errors.js';
import { ddcn } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const migrationsApplied = async () =>
  (
    await database.db.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migration ORDER BY version',
    )
  ).rows;

it('refuses a database migrated by a newer ddcn, applies nothing, and says what to do; the CLI and a worker exit 1', async () => {
  const ours = await loadMigrations();
  const newest = ours.at(-1)!;
  // This build's newest migration still to apply, and one from a newer build applied.
  await database.db.query('DELETE FROM schema_migration WHERE version = $1::int', [newest.version]);
  await database.db.query(
    `INSERT INTO schema_migration (version, name, applied_at) VALUES ($1::int, $2::text, now())`,
    [newest.version + 1, `${String(newest.version + 1).padStart(4, '0')}_from_a_newer_ddcn.sql`],
  );
  const before = await migrationsApplied();

  const err = await migrate(database.db).catch((e: unknown) => e);
  expect((err as Error).message).toBe(
    `the database was migrated by a newer ddcn: it has migration ${String(newest.version + 1).padStart(4, '0')}_from_a_newer_ddcn.sql, ` +
      `and this ddcn's newest is ${newest.name}. Nothing was done. Run the newer ddcn on this machine too (docs/runbook.md, Upgrading); ` +
      'to go back to this version, restore the backup taken before the upgrade',
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).name).toBe(MigrationNewerError.name);
  expect(await migrationsApplied()).toEqual(before);

  // What the operator sees: exit 1, the message on stderr, no "schema is up to date"; a worker does not start.
  for (const args of [['migrate'], ['worker', '--registry', 'http', '--registry-url', 'http://127.0.0.1:9']]) {
    const r = await ddcn(args, { DATABASE_URL: database.url }, 120_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('the database was migrated by a newer ddcn');
    expect(r.stderr).not.toContain('up to date');
    expect(r.stderr).not.toContain('Check DATABASE_URL');
  }
  expect(await migrationsApplied()).toEqual(before);
}, 240_000);
