import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The benchmark's own scratch directory. mkdtemp makes it 0700; it is opened for traversal so that an embedded
 * PostgreSQL under it can run as the `postgres` user when the benchmark runs as root.
 */
export async function benchWorkDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o711);
  return dir;
}

/** One statement on its own connection to `server` (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(server: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A database of the benchmark's own: a fresh one on DATABASE_URL's server (dropped afterwards), or, without
 * DATABASE_URL, undefined so that openDatabase starts a fresh embedded server under the benchmark's temp home.
 */
export async function freshBenchDatabase(prefix: string): Promise<{ databaseUrl: string | undefined; drop: () => Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (!server) return { databaseUrl: undefined, drop: async () => undefined };
  const name = `${prefix}_${process.pid}`;
  const admin = (sql: string) => adminQuery(server, sql);
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  return { databaseUrl: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
