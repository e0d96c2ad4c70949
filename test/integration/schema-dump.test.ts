import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSchema } from '../../src/db/schema-dump.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ROOT } from '../helpers/cli.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('migrations/schema.sql', () => {
  it('is the schema the migrations build, so that a schema change shows in review', async () => {
    const committed = await readFile(path.join(ROOT, 'migrations', 'schema.sql'), 'utf8');
    const migrated = await dumpSchema(database.db);
    expect(migrated, 'migrations/schema.sql differs from the migrated schema: run npm run db:dump and commit it').toBe(committed);
  });

  it('names every table and trigger the migrations create', async () => {
    const migrated = await dumpSchema(database.db);
    const tables = await database.db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.rows.length).toBeGreaterThan(10);
    for (const { t } of tables.rows) expect(migrated).toContain(`CREATE TABLE public.${t} (`);
    expect(migrated).toContain('CREATE TRIGGER participant_state_insert AFTER INSERT ON participant');
  });
});
