import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UserError } from '../errors.js';
import { withoutData } from '../log.js';
import { sleep } from '../sleep.js';
import type { Db, Queryable } from './pool.js';
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
 * safe). The wait is below PostgreSQL's default deadlock_timeout (1 s): a migration holding one table and waiting
 * for another gives way before a deadlock is detected, so a batch's or an import's transaction is never the one
 * cancelled; and the readers queued behind its ACCESS EXCLUSIVE request wait half a second at most per attempt.
 * (Unbounded, a migration that altered one table, then waited for another that a batch held while that batch waited
 * for the first, ended in a deadlock reported as a database that cannot be reached.) The waits add up to about a
 * minute, under systemd's 90 s for stopping a service.
 */
export interface MigrationPatience {
  lockTimeoutMs: number;
  /** Waits before the second, third, … attempt. */
  retryWaitsMs: number[];
}

export const DEFAULT_PATIENCE: MigrationPatience = { lockTimeoutMs: 500, retryWaitsMs: [500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000] };

/** A migration could not take the tables it changes: other sessions kept using them. */
export class MigrationBusyError extends UserError {
  override name = 'MigrationBusyError';
}

/**
 * The database records a migration under a number this ddcn gives another file: it was migrated by another build
 * (one whose migration was withdrawn before release, say). Applying nothing is the only safe answer: the runner
 * goes by number, and would otherwise skip this build's migration of that number for good.
 */
export class MigrationMismatchError extends UserError {
  override name = 'MigrationMismatchError';
}

/**
 * The database records a migration newer than any this ddcn has: a newer ddcn migrated it, and this one (a machine not
 * yet upgraded, or a rollback of the code alone) would write rows in the older ways the newer migrations changed
 * (state history, province and district forms, …) while saying the schema is up to date. Nothing is done.
 */
export class MigrationNewerError extends UserError {
  override name = 'MigrationNewerError';
}

/**
 * A migration's own statements failed (a row it cannot convert, a disk full, a schema it did not expect): its
 * transaction rolled back whole, so the database is as it was before that migration. Said as the migration's failure,
 * not as a database that cannot be reached, which is what the operator was told before.
 */
export class MigrationFailedError extends UserError {
  override name = 'MigrationFailedError';
}

/**
 * The server refused one of the migration's statements. Not the connection failing (no answer, class 08) or the
 * server stopping it (57P…): those are not the migration's doing, and are said as a database that cannot be reached.
 */
function statementRefused(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError && !/^(08|57P)/.test(err.code ?? '08');
}

export interface MigrateOptions {
  migrations?: Migration[];
  patience?: MigrationPatience;
  /** What the operator is told while the migration waits (for another process's migration, for tables in use). */
  say?: (message: string) => void;
  /** Stops the waiting (Ctrl-C, SIGTERM): the migration is then left unapplied and the signal's reason thrown. */
  signal?: AbortSignal;
}

/** How often a process waiting for another's migration asks again for the migration lock. */
const LOCK_POLL_MS = 250;
/** A wait for another process's migration is said once it lasts this long. */
const SAY_WAITING_AFTER_MS = 2_000;

/**
 * The other sessions holding locks on this database's tables, by application name (ddcn names its connections
 * after the command, host and process; pg_dump, psql and others name theirs), for the operator to find them.
 */
async function tableHolders(q: Queryable): Promise<string> {
  const res = await q.query<{ app: string; n: number }>(
    `SELECT coalesce(nullif(a.application_name, ''), 'a session without a name') AS app, count(DISTINCT a.pid)::int AS n
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND l.locktype = 'relation' AND a.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.relation IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')
      GROUP BY 1 ORDER BY 1`,
  );
  return res.rows.map((r) => (r.n > 1 ? `${r.app} ×${r.n}` : r.app)).join(', ') || 'sessions that have ended since';
}

/**
 * Forward-only migrations, each in its own transaction, under an advisory lock so that two ddcn
 * processes starting at once do not race. Returns the names of the migrations applied now.
 *
 * A process that found another migrating waits for it (and says so), then makes one attempt only at whatever is
 * still pending: the other gave up on busy tables, and commands started meanwhile must not each wait the whole
 * patience again, one after the other.
 */
export async function migrate(db: Db, now: Date = new Date(), options: MigrateOptions = {}): Promise<string[]> {
  const migrations = options.migrations ?? (await loadMigrations());
  const say = options.say ?? (() => undefined);
  const signal = options.signal;
  return db.withSession(async (session) => {
    // Vietnamese names and Unicode normalisation (the unit search's folding) want a UTF8 database. A new schema is
    // made only in one, said before anything is created; a database an older ddcn already made in another encoding
    // (an embedded one initialised under a C locale, before its initdb was told UTF8) goes on working, told once what
    // it lacks, rather than being locked out.
    const { encoding, fresh } = (
      await session.query<{ encoding: string; fresh: boolean }>(
        `SELECT current_setting('server_encoding') AS encoding, to_regclass('schema_migration') IS NULL AS fresh`,
      )
    ).rows[0]!;
    if (encoding !== 'UTF8' && fresh) {
      throw new UserError(
        `the database's encoding is ${encoding}; ddcn needs a UTF8 database: create one with ` +
          '`createdb -E UTF8 -T template0 NAME` (or CREATE DATABASE … ENCODING \'UTF8\' TEMPLATE template0) and point DATABASE_URL at it',
      );
    }

    let waited = false;
    let told = false;
    const from = Date.now();
    while (!(await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [MIGRATION_LOCK])).rows[0]!.ok) {
      waited = true;
      // Every starting process takes the lock a moment to see whether anything is pending: only a real wait is said.
      if (!told && Date.now() - from >= SAY_WAITING_AFTER_MS) {
        say('another process is migrating the database; waiting for it to finish');
        told = true;
      }
      await sleep(LOCK_POLL_MS, signal);
    }
    const patience = waited ? { ...(options.patience ?? DEFAULT_PATIENCE), retryWaitsMs: [] } : (options.patience ?? DEFAULT_PATIENCE);
    try {
      await session.query(`CREATE TABLE IF NOT EXISTS schema_migration (
        version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
      const done = new Map(
        (await session.query<{ version: number; name: string }>('SELECT version, name FROM schema_migration')).rows.map((r) => [r.version, r.name]),
      );
      const other = migrations.find((m) => done.has(m.version) && done.get(m.version) !== m.name);
      if (other) {
        throw new MigrationMismatchError(
          `the database has migration ${done.get(other.version)} applied where this ddcn has ${other.name}: it was migrated by ` +
            'another build of ddcn. Nothing was applied. Use this database with the build that migrated it, or this build with a database it made',
        );
      }
      // Compared with the newest this ddcn has (not every number: numbers were left unused, and tests bring their own).
      const newest = migrations.reduce<Migration | null>((a, m) => (a && a.version >= m.version ? a : m), null);
      const ahead = newest ? [...done].filter(([version]) => version > newest.version).sort(([a], [b]) => a - b) : [];
      if (newest && ahead.length) {
        throw new MigrationNewerError(
          `the database was migrated by a newer ddcn: it has migration ${ahead.map(([, name]) => name).join(', ')}, and this ddcn's newest ` +
            `is ${newest.name}. Nothing was done. Run the newer ddcn on this machine too (docs/runbook.md, Upgrading); ` +
            'to go back to this version, restore the backup taken before the upgrade',
        );
      }
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
            if (state !== SQLSTATE.lockNotAvailable && state !== SQLSTATE.deadlockDetected) {
              if (signal?.aborted || !statementRefused(err)) throw err;
              const before = applied.length ? `; applied before it: ${applied.join(', ')}` : '';
              throw new MigrationFailedError(
                `migration ${m.name} failed: ${(withoutData(err) as Error).message} (SQLSTATE ${state}). It was not applied: nothing of it was ` +
                  `kept, the database is as it was before it${before}. Remove the cause (free disk space, …) and run \`ddcn migrate\` ` +
                  'again; if it fails the same way, report this message',
                { cause: err },
              );
            }
            const holders = await tableHolders(session);
            const wait = patience.retryWaitsMs[attempt];
            if (wait === undefined) {
              const before = applied.length ? ` (applied before it: ${applied.join(', ')})` : '';
              throw new MigrationBusyError(
                `migration ${m.name} could not take the tables it changes: other sessions kept using them (${holders}). ` +
                  `It was not applied${before}. Stop them, or let the batch finish, then run \`ddcn migrate\` again`,
                { cause: err },
              );
            }
            say(
              `migration ${m.name}: its tables are in use (${holders}); trying again in ${wait / 1000} s ` +
                `(attempt ${attempt + 2} of ${patience.retryWaitsMs.length + 1})`,
            );
            await sleep(wait, signal);
          }
        }
        applied.push(m.name);
        // Said once, as the search's folding is installed (migration 0025) — whatever becomes of the migrations
        // after it in this run — not by every command after.
        if (encoding !== 'UTF8' && m.name.startsWith('0025_')) {
          say(
            `the database's encoding is ${encoding}, not UTF8: the portal's unit search then folds spacing and the case of ` +
              'unaccented letters only, not tones (README, Configuration)',
          );
        }
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
    }
  });
}
