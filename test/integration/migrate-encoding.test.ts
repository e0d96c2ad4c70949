// A DATABASE_URL whose database is not UTF8 (SQL_ASCII, LATIN1: what `createdb` gives under a C locale) is refused
// before anything is created, with how to make the right one, rather than failing on the first import of a unit.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { createDb } from '../../src/db/pool.js';
import { UserError } from '../../src/errors.js';
import { runPrefix, withDatabase } from '../helpers/global-setup.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { deps, useTempDir, writeParticipants } from '../helpers/pipeline.js';

it('refuses to make its schema in a database that is not UTF8, saying how to create one; one made so before goes on', async () => {
  const serverUrl = inject('databaseUrl');
  const name = `${runPrefix(inject('testRunPid'))}ascii_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const db = createDb(withDatabase(serverUrl, name));
  try {
    const err = await migrate(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^the database's encoding is SQL_ASCII; ddcn needs a UTF8 database: create one with `createdb -E UTF8 -T template0 NAME`/);
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]).toEqual({ n: 0 });
    // A database an older ddcn already made so (its schema begun): it goes on working, told what it lacks.
    await db.query('CREATE TABLE schema_migration (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
    const said: string[] = [];
    // Said as 0025 is applied, even when a later migration of the same run fails.
    const failingFill = (await loadMigrations()).map((m) => (m.name.startsWith('0026_') ? { ...m, sql: 'SELECT 1/0' } : m));
    await expect(migrate(db, new Date(), { migrations: failingFill, say: (m) => said.push(m) })).rejects.toThrow(/division by zero/);
    expect(said).toEqual([expect.stringMatching(/^the database's encoding is SQL_ASCII, not UTF8: the portal's unit search then folds spacing and the case of unaccented letters only/)]);
    said.length = 0;
    // The failed one applied now (and any migration after it), without the note again.
    expect((await migrate(db, new Date(), { say: (m) => said.push(m) }))[0]).toBe('0026_unit_search_fill.sql');
    expect(said).toEqual([]);
    // Once: the next command, with nothing to apply, says nothing.
    said.length = 0;
    expect(await migrate(db, new Date(), { say: (m) => said.push(m) })).toEqual([]);
    expect(said).toEqual([]);
    await db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, updated_at) VALUES ('DV1', 'Công  TY Sao Mai', now())`);
    expect((await db.query('SELECT ten_don_vi_fold FROM unit')).rows[0]).toEqual({ ten_don_vi_fold: 'công ty sao mai' });
    // An import that changes a name works too (the name's key folds case and spaces there: migration 0028).
    const dir = await useTempDir();
    const person = { ma_so_bhxh: '0100000001', ho_ten: 'Lê Văn An', ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ma_tinh: '01' };
    await importParticipants(deps(db), await writeParticipants(dir, [person], 'a.csv'));
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...person, ho_ten: 'LÊ  VĂN AN' }], 'b.csv'));
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...person, ho_ten: 'Lê Văn Ân' }], 'c.csv'));
    expect((await db.query('SELECT ho_ten, data_version FROM participant')).rows).toEqual([{ ho_ten: 'Lê Văn Ân', data_version: 3 }]);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});
