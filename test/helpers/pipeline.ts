// Shared pieces for the pipeline integration tests: a database per test, deps with a fixed clock and a silent
// logger, input files in a temp dir, the mock registry, and readers for what a user looks at (results CSV).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { parseString } from 'fast-csv';
import { afterAll, beforeAll, beforeEach, onTestFinished } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import type { Db, Queryable, TransactionOptions } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import type { Deps, RunConfig, RunDeps } from '../../src/pipeline/deps.js';
import { exportResults } from '../../src/pipeline/export-results.js';
import { PARTICIPANT_COLUMNS, type ParticipantColumn } from '../../src/pipeline/participant-row.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const FIXED_NOW = new Date('2024-06-03T01:30:00.000Z');
export const SMALL_RUN: RunConfig = { chunkSize: 3, batchSize: 2, concurrency: 2 };

// Set by `npm run mutate` (vitest.stryker.config.ts): there most failures are mutants killed on purpose, and a
// database kept for each would pile up on the server.
const DROP_FAILED = process.env.DDCN_TEST_DROP_FAILED === '1';

/**
 * One migrated database for the test file (files run in parallel), emptied before each test so tests do not
 * see each other's rows. After a failing test its database is kept for a look and the next test gets a new one.
 * Call at the top level of a test file; the returned function gives the current database inside a test.
 */
export function databasePerFile(): () => TestDatabase {
  let current: TestDatabase | undefined;
  let keep = false;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  beforeEach(async (ctx) => {
    if (keep) {
      await current!.db.close();
      current = await createTestDatabase();
      keep = false;
    } else {
      await resetDatabase(current!.db);
    }
    ctx.onTestFailed(() => {
      keep = !DROP_FAILED;
    });
  });
  afterAll(async () => {
    if (!current) return;
    if (keep) await current.db.close();
    else await current.drop();
  });
  return () => {
    if (!current) throw new Error('databasePerFile(): the database exists only inside tests');
    return current;
  };
}

/** Empties every table (ids start at 1 again) and drops the mock registry's schema: a database as migrated. */
export async function resetDatabase(db: Db): Promise<void> {
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'`,
  );
  // The audit trail refuses TRUNCATE (migration 0012); a test database is emptied with triggers off.
  await db.withSession(async (s) => {
    await s.query('SET session_replication_role = replica');
    await s.query(`TRUNCATE ${tables.rows.map((t) => t.name).join(', ')} RESTART IDENTITY CASCADE`);
    await s.query('RESET session_replication_role');
  });
  await db.query('DROP SCHEMA IF EXISTS mock_registry CASCADE');
  // The job engine's queue too: a job of an emptied batch must not find a new batch of the same id.
  await db.query(`DO $$ BEGIN IF to_regclass('pgboss.job') IS NOT NULL THEN TRUNCATE pgboss.job; END IF; END $$`);
}

/** A temp directory for the current test's files, removed when the test ends. */
export async function useTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-'));
  onTestFinished(async () => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function deps(db: Db): Deps {
  return { db, log: createLogger('silent'), now: () => FIXED_NOW };
}

export function runDeps(db: Db, registry: RegistryAdapter, config: RunConfig = SMALL_RUN): RunDeps {
  return { ...deps(db), registry, config };
}

export type ParticipantInput = Partial<Record<ParticipantColumn, string>> & { ma_so_bhxh: string };

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** A participants CSV with every documented column; missing values are empty. */
export function participantsCsv(rows: ParticipantInput[]): string {
  return toCsv(PARTICIPANT_COLUMNS, rows.map((r) => PARTICIPANT_COLUMNS.map((c) => r[c] ?? '')));
}

export async function writeParticipants(dir: string, rows: ParticipantInput[], name = 'participants.csv'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, participantsCsv(rows));
  return file;
}

export interface RegistryInput {
  so_ddcn: string;
  so_cmnd?: string;
  ho_ten: string;
  ngay_sinh: string;
  gioi_tinh: string;
}

export async function writeRegistry(dir: string, people: RegistryInput[], name = 'registry.csv'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    toCsv(['so_ddcn', 'so_cmnd', 'ho_ten', 'ngay_sinh', 'gioi_tinh'], people.map((p) => [p.so_ddcn, p.so_cmnd ?? '', p.ho_ten, p.ngay_sinh, p.gioi_tinh])),
  );
  return file;
}

export async function mockRegistry(file: string, options: { keepShared?: boolean } = {}): Promise<MockRegistry> {
  return new MockRegistry(await memoryDirectory(file), options);
}

/** Wraps a registry: records every request and can fail a whole request, as a broken connection would. */
export class SpyRegistry implements RegistryAdapter {
  readonly kind = 'mock';
  readonly verifyRequests: VerifyRequest[][] = [];
  readonly shareRequests: ShareRecord[][] = [];
  failVerify: (batch: VerifyRequest[]) => boolean = () => false;

  constructor(private readonly inner: RegistryAdapter) {}

  get sentCodes(): string[] {
    return this.verifyRequests.flat().map((r) => r.requestId).sort();
  }

  async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    this.verifyRequests.push(batch);
    if (this.failVerify(batch)) throw new Error('registry unavailable (ECONNRESET)');
    return this.inner.verify(batch);
  }

  async share(records: ShareRecord[]): Promise<string[]> {
    this.shareRequests.push(records);
    return this.inner.share(records);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}

export async function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString<string[], string[]>(text, { headers: false })
      .on('error', reject)
      .on('data', (r: string[]) => rows.push(r))
      .on('end', () => resolve(rows));
  });
}

export interface ResultRow {
  ma_so_bhxh: string;
  status: string;
  fields: string;
  so_ddcn: string;
}

/** `ddcn export results` to a file, read back: the raw text and the rows by code. */
export async function exportedResults(d: Deps, dir: string, batchId: number | null = null) {
  const file = path.join(dir, `results-${batchId ?? 'current'}-${Math.random().toString(36).slice(2)}.csv`);
  await exportResults(d, file, batchId);
  const text = await readFile(file, 'utf8');
  const [header, ...rows] = await parseCsv(text);
  const byCode = new Map<string, ResultRow>();
  for (const [ma_so_bhxh = '', status = '', fields = '', so_ddcn = ''] of rows) {
    byCode.set(ma_so_bhxh, { ma_so_bhxh, status, fields, so_ddcn });
  }
  return { text, header, rows: byCode };
}

export async function rows<R extends pg.QueryResultRow>(q: Queryable, sql: string, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>(sql, values)).rows;
}

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/**
 * A Db whose process "dies" in the middle of its Nth transaction: that transaction and every one still open
 * roll back, and from then on nothing reaches the database. `settled()` waits for the rollbacks to finish, as
 * PostgreSQL does once the dead process's connections are gone.
 */
export function crashingDb(db: Db, crashAtTransaction: number) {
  let started = 0;
  let dead = false;
  const open = new Set<Promise<unknown>>();
  const gone = () => Promise.reject(new SimulatedCrash('process is gone'));
  const wrapped: Db = {
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => (dead ? gone() : db.query<R>(text, values)),
    copyIn: (sql) => db.copyIn(sql),
    copyOut: (sql) => db.copyOut(sql),
    withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
      if (dead) return gone();
      started += 1;
      const mine = started;
      const p = db.withTransaction(async (tx) => {
        const out = await fn(tx);
        if (mine === crashAtTransaction) dead = true;
        if (dead) throw new SimulatedCrash(`crashed in transaction ${mine}`);
        return out;
      }, options);
      open.add(p);
      void p.catch(() => undefined).finally(() => open.delete(p));
      return p;
    },
    withSession: (fn) => (dead ? gone() : db.withSession(fn)),
    close: async () => undefined,
  };
  return {
    db: wrapped,
    get crashed() {
      return dead;
    },
    get transactions() {
      return started;
    },
    async settled() {
      while (open.size) await Promise.allSettled([...open]);
    },
  };
}

/** Counts transactions without changing anything: to learn how many a whole run takes. */
export function countingDb(db: Db) {
  let n = 0;
  const wrapped: Db = {
    ...db,
    withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
      n += 1;
      return db.withTransaction(fn, options);
    },
  };
  return {
    db: wrapped,
    get transactions() {
      return n;
    },
  };
}

/** A registry that holds every request until opened: a chunk step stays in hand for as long as a test needs. */
export class GatedRegistry extends SpyRegistry {
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private told!: () => void;
  readonly asked = new Promise<void>((resolve) => (this.told = resolve));
  open(): void {
    this.release();
  }
  override async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    this.told();
    await this.gate;
    return super.verify(batch);
  }
}
