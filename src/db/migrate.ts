import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import type { Db } from './pool.js';
import { SQLSTATE, sqlState } from './sqlstate.js';

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
 * How long a migration waits for a table that other sessions are using, and how often it starts again after that
 * wait ran out or it was chosen as a deadlock's victim (its transaction rolled back whole, so starting again is
 * safe). Without a bound, a migration's ACCESS EXCLUSIVE request queued behind a running batch's transaction holds
 * up every later reader of that table; and a migration that altered one table, then waited for another that a
 * batch held while that batch waited for the first, ended in a deadlock reported as a database that cannot be
 * reached.
 */
export interface MigrationPatience {
  lockTimeoutMs: number;
  /** Waits before the second, third, … attempt. */
  retryWaitsMs: number[];
}

export const DEFAULT_PATIENCE: MigrationPatience = { lockTimeoutMs: 10_000, retryWaitsMs: [1_000, 2_000, 4_000, 8_000, 15_000] };

/** A migration could not take the tables it changes: other processes kept using them. */
export class MigrationBusyError extends UserError {
  override name = 'MigrationBusyError';
}

/**
 * Forward-only migrations, each in its own transaction, under an advisory lock so that two ddcn
 * processes starting at once do not race. Returns the names of the migrations applied now.
 */
export async function migrate(
  db: Db,
  now: Date = new Date(),
  options: { migrations?: Migration[]; patience?: MigrationPatience } = {},
): Promise<string[]> {
  const migrations = options.migrations ?? (await loadMigrations());
  const patience = options.patience ?? DEFAULT_PATIENCE;
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
        for (let attempt = 0; ; attempt++) {
          try {
            await session.withTransaction(async (tx) => {
              await tx.query(`SET LOCAL lock_timeout = ${Math.round(patience.lockTimeoutMs)}`);
              await tx.query(m.sql);
              await tx.query('INSERT INTO schema_migration (version, name, applied_at) VALUES ($1::int, $2::text, $3::timestamptz)', [
                m.version,
                m.name,
                now,
              ]);
            });
            break;
          } catch (err) {
            const state = sqlState(err);
            if (state !== SQLSTATE.lockNotAvailable && state !== SQLSTATE.deadlockDetected) throw err;
            const wait = patience.retryWaitsMs[attempt];
            if (wait === undefined) {
              throw new MigrationBusyError(
                `migration ${m.name} could not take the tables it changes: other ddcn processes kept using them ` +
                  `(a batch being run, a worker, the portal, an import). Nothing of it was applied. Stop them, or let ` +
                  `the batch finish, then run \`ddcn migrate\` again`,
                { cause: err },
              );
            }
            await sleep(wait);
          }
        }
        applied.push(m.name);
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
    }
  });
}
