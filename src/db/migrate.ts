import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Db } from './pool.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
// Any constant works; it only has to be the same for every ddcn process.
const MIGRATION_LOCK = 2207_0001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number.parseInt(file.slice(0, 4), 10),
      name: file,
      sql: await readFile(path.join(dir, file), 'utf8'),
    })),
  );
}

/**
 * Forward-only migrations, each in its own transaction, under an advisory lock so that two ddcn
 * processes starting at once do not race. Returns the names of the migrations applied now.
 */
export async function migrate(db: Db, now: Date = new Date()): Promise<string[]> {
  const migrations = await loadMigrations();
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    try {
      await session.query(`CREATE TABLE IF NOT EXISTS schema_migration (
        version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
      const done = new Set(
        (await session.query<{ version: number }>('SELECT version FROM schema_migration')).rows.map((r) => r.version),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await session.withTransaction(async (tx) => {
          await tx.query(m.sql);
          await tx.query('INSERT INTO schema_migration (version, name, applied_at) VALUES ($1::int, $2::text, $3::timestamptz)', [
            m.version,
            m.name,
            now,
          ]);
        });
        applied.push(m.name);
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
    }
  });
}
