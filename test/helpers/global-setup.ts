import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { createDb } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const TEMPLATE_DB = 'ddcn_test_template';

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
    return { url: server.url, stop: () => server.release() };
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
  // Leftovers of earlier runs (kept for a look when a test failed) are dropped at the next run.
  const old = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'ddcn_test_%'`);
  for (const { datname } of old.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  const db = createDb(withDatabase(url, TEMPLATE_DB));
  await migrate(db);
  await db.close();
  await admin.end();
  project.provide('databaseUrl', url);
  return async () => {
    await stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
