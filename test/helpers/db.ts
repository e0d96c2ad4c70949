import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '../../src/db/pool.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { runPrefix, templateDb, withDatabase } from './global-setup.js';

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template, so test files run in parallel without sharing rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  return newDatabase(`TEMPLATE ${templateDb(inject('testRunPid'))}`);
}

/**
 * A fresh database migrated up to `version` only, as an older ddcn left it: for the tests of a later migration,
 * which then call migrate() themselves.
 */
export async function databaseAtMigration(version: number): Promise<TestDatabase> {
  const t = await newDatabase('');
  await migrate(t.db, new Date(), { migrations: (await loadMigrations()).filter((m) => m.version <= version) });
  return t;
}

async function newDatabase(template: string): Promise<TestDatabase> {
  const serverUrl = inject('databaseUrl');
  const pid = inject('testRunPid');
  const name = `${runPrefix(pid)}${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const db = createDb(url);
  return {
    db,
    url,
    name,
    async drop() {
      await db.close();
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * Participants written straight into the table, as an older ddcn's imports left them (`[ma_so_bhxh, ma_tinh,
 * ma_huyen, ma_don_vi]`, each code as its file wrote it), at `at`: for the tests of a migration that rewrites them.
 */
export async function insertParticipantsAsStored(db: Db, people: Array<[string, string | null, string | null, string]>, at: string): Promise<void> {
  for (const [key, tinh, huyen, unit] of people) {
    await db.query(
      `INSERT INTO participant (ma_so_bhxh, ho_ten, ma_don_vi, ma_tinh, ma_huyen, created_at, updated_at)
       VALUES ($1::text, 'Người Thử', $4::text, $2::text, $3::text, $5::timestamptz, $5::timestamptz)`,
      [key, tinh, huyen, unit, at],
    );
  }
}
