// `ddcn run` whose database connections are reset under it (the server restarted, a proxy or a firewall sending
// resets): it exits 1 saying it lost the database and that its batch stays open, as it does when the database goes
// silent (workers.test.ts), rather than with the bare socket error; the next run resumes the batch.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dbRelay } from '../helpers/db-relay.js';
import { ddcn, importFixtures, startDdcn, startRegistryServer } from './http-harness.js';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const t of dbs) await t.drop().catch(() => undefined);
});


describe('ddcn run losing its database to a reset', () => {
  it('exits 1 saying it lost the database and that the batch stays open; the next run finishes it', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    await importFixtures(t.db);
    const registry = await startRegistryServer(['--latency-ms', '100']);
    const relay = await dbRelay(t.url);
    const flags = ['--registry', 'http', '--registry-url', registry.url, '--batch-size', '5', '--concurrency', '1', '--chunk-size', '20'];
    try {
      const run = startDdcn(['run', ...flags], { DATABASE_URL: relay.url, DDCN_LOG_LEVEL: 'info' });
      const lines: string[] = [];
      void (async () => {
        for await (const line of run.stderrLines) lines.push(line);
      })();
      while (!lines.some((l) => l.includes('"msg":"batch started"'))) await sleep(25);
      await sleep(300);
      relay.reset();
      const stopped = await run.done;
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(stopped.stderr).toMatch(
        /ddcn: failed: lost the database \([^)]*ECONNRESET[^)]*\): this run stopped\. Its batch stays open: a ddcn worker at work goes on with it, and the next ddcn run resumes it\./,
      );

      const again = await ddcn(['run', ...flags], { DATABASE_URL: t.url, DDCN_TAKEOVER_SECONDS: '4' });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('(resumed) done');
    } finally {
      relay.close();
      await registry.stop();
    }
  }, 120_000);
});
