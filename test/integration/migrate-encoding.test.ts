// A DATABASE_URL whose database is not UTF8 (SQL_ASCII, LATIN1: what `createdb` gives under a C locale) is refused
// before anything is created, with how to make the right one, rather than failing on the first import of a unit.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createDb } from '../../src/db/pool.js';
import { UserError } from '../../src/errors.js';
import { runPrefix, withDatabase } from '../helpers/global-setup.js';

it('refuses a database that is not UTF8, saying how to create one, and creates nothing in it', async () => {
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
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});
