// A `ddcn worker` started by hand in an SSH session or a terminal gets SIGHUP when that closes. The worker took over
// SIGTERM and SIGINT only: on SIGHUP it said "stopped (SIGHUP) while starting; nothing was done" — at work, with
// chunk steps in hand, which it left for their expiry (a takeover time each) — and ended with 129. It stops as on
// SIGTERM: the steps in hand finished or handed back, exit 0.
import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startDdcn } from './http-harness.js';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const t of dbs) await t.drop();
});

describe('a worker whose terminal closes (SIGHUP)', () => {
  it('stops as on SIGTERM, exit 0, and does not say it was starting', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    const w = startDdcn(['worker', '--registry', 'http', '--registry-url', 'http://127.0.0.1:9'], { DATABASE_URL: t.url, DDCN_LOG_LEVEL: 'info' });
    const lines: string[] = [];
    void (async () => {
      for await (const line of w.stderrLines) lines.push(line);
    })();
    for (let i = 0; !lines.some((l) => l.includes('worker started: waiting for chunks')); i++) {
      if (i > 1200) throw new Error(`the worker did not start: ${lines.join('\n')}`);
      await sleep(25);
    }
    w.kill('SIGHUP');
    const ran = await w.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain('worker stopped: 0 chunk steps done');
    expect(ran.stderr).not.toContain('while starting');
  }, 60_000);
});
