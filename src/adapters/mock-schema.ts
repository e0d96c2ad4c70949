import type { Db } from '../db/pool.js';

/**
 * The mock registry's own tables, in a schema of their own. They stay with the mock rather than in migrations/:
 * the mock is a test double, and a production database, which never uses it, should not carry its tables.
 * Created on the mock's first use, under an advisory lock, because two processes running CREATE … IF NOT EXISTS at
 * once can still collide on the catalog (unique_violation on pg_type).
 */
const MOCK_SCHEMA_LOCK = 2207_0003;

const DDL = `
  CREATE SCHEMA IF NOT EXISTS mock_registry;
  CREATE TABLE IF NOT EXISTS mock_registry.source (id int PRIMARY KEY, fingerprint text NOT NULL);
  CREATE TABLE IF NOT EXISTS mock_registry.person (so_ddcn text COLLATE "C" PRIMARY KEY, so_cmnd text COLLATE "C",
    ho_ten text NOT NULL, ngay_sinh text NOT NULL, gioi_tinh text NOT NULL);
  CREATE INDEX IF NOT EXISTS person_so_cmnd ON mock_registry.person (so_cmnd);
  -- Lookups touch a few hundred rows each: never worth starting parallel workers for.
  ALTER TABLE mock_registry.person SET (parallel_workers = 0);`;

/**
 * The numbers compare byte by byte, as the participants' do (migration 0022): the look-ups' index probes no longer
 * go through strcoll (500-number look-ups over 1 M people: 1.32-1.38 s against 1.10-1.13 s per 1 000). A table made
 * before takes the collation once.
 */
const BYTE_ORDER = `
  ALTER TABLE mock_registry.person ALTER COLUMN so_ddcn TYPE text COLLATE "C", ALTER COLUMN so_cmnd TYPE text COLLATE "C";
  ANALYZE mock_registry.person`;

const READY = `SELECT coalesce((SELECT a.attcollation = 'pg_catalog."C"'::regcollation FROM pg_attribute a
                                 WHERE a.attrelid = to_regclass('mock_registry.person') AND a.attname = 'so_ddcn'), false) AS ok`;

export async function ensureMockSchema(db: Db): Promise<void> {
  const ready = await db.query<{ ok: boolean }>(READY);
  // Stryker disable next-line ConditionalExpression: the DDL is all IF NOT EXISTS: running it again changes nothing but time
  if (ready.rows[0]!.ok) return;
  await db.withTransaction(async (tx) => {
    // Stryker disable next-line StringLiteral: the lock only serialises two processes creating the schema at the same moment; a race test would be a flaky one
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MOCK_SCHEMA_LOCK]);
    await tx.query(DDL);
    // Stryker disable next-line ConditionalExpression: converting a table already in "C" changes nothing but time
    if (!(await tx.query<{ ok: boolean }>(READY)).rows[0]!.ok) await tx.query(BYTE_ORDER);
  });
}
