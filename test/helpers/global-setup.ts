import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { createDb } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { DEFAULT_TAKEOVER_SECONDS, JobQueue } from '../../src/db/jobs.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// Databases of one test run share a prefix with the run's pid, so two runs on one server leave each other alone.
export const runPrefix = (pid: number) => `ddcn_test_${pid}_`;
export const templateDb = (pid: number) => `${runPrefix(pid)}template`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** TEST_DATABASE_URL, else a testcontainers PostgreSQL when Docker answers, else the embedded server. */
async function serverUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => undefined };
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch {
    const home = await mkdtemp(path.join(os.tmpdir(), 'ddcn-test-'));
    const server = await startEmbedded(home);
    // The server's files go with it: ~65 MB a run, which every `npm test` (or `npx vitest run FILE`) without a
    // database left in the temporary folder.
    return { url: server.url, stop: async () => {
      await server.release();
      await rm(home, { recursive: true, force: true });
    } };
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const { url, stop } = await serverUrl();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  // Leftovers of finished runs (a failing test's database is kept for a look) are dropped at the next run.
  const old = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ '^ddcn_test_[0-9]+_'`);
  for (const { datname } of old.rows) {
    const pid = Number(/^ddcn_test_(\d+)_/.exec(datname)![1]);
    if (!alive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  const template = templateDb(process.pid);
  await admin.query(`CREATE DATABASE ${template}`);
  const db = createDb(withDatabase(url, template));
  await migrate(db);
  // pg-boss installs its schema on first start: once here, so that each test database is cloned with it.
  await (await JobQueue.open(db, { takeoverSeconds: DEFAULT_TAKEOVER_SECONDS }, () => undefined)).stop(1000);
  await db.close();
  await admin.end();
  project.provide('databaseUrl', url);
  project.provide('testRunPid', process.pid);
  return async () => {
    const a = new pg.Client({ connectionString: url });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await a.end();
    await stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    testRunPid: number;
  }
}
