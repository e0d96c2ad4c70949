// `npm run db:dump`: applies every migration to a new, empty database and writes the resulting schema to
// migrations/schema.sql (committed, so that schema changes show in review; a test fails when it is out of date).
// The server: TEST_DATABASE_URL, else DATABASE_URL (a scratch database is created there and dropped), else a
// throwaway embedded PostgreSQL in a temporary folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDb } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import { startEmbedded } from '../src/db/embedded.js';
import { dumpSchema } from '../src/db/schema-dump.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(root, 'migrations', 'schema.sql');

const given = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
const home = given ? null : await mkdtemp(path.join(os.tmpdir(), 'ddcn-dump-'));
const server = home ? await startEmbedded(home) : null;
const serverUrl = given ?? server!.url;
const scratch = `ddcn_schema_dump_${process.pid}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
try {
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(serverUrl);
  url.pathname = `/${scratch}`;
  const db = createDb(url.toString());
  try {
    await migrate(db);
    await writeFile(SCHEMA_FILE, await dumpSchema(db));
  } finally {
    await db.close();
  }
  process.stderr.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
  await server?.release();
  if (home) await rm(home, { recursive: true, force: true });
}
