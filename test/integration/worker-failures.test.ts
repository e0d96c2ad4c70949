// A `ddcn worker` left with an old registry token (the token rotated, the worker not restarted) beside a `ddcn run`
// with the right one: the worker fails every chunk it takes at once, so it takes most of them, and the run ends
// with people PENDING. The run's own registry client met no failure, so its message must name the process that did
// and why, instead of "the registry is unavailable" with no reason.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePerFile } from '../helpers/pipeline.js';
import { ddcn, importFixtures, startDdcn, startRegistryServer } from './http-harness.js';

const database = databasePerFile();
let server: Awaited<ReturnType<typeof startRegistryServer>>;

beforeAll(async () => {
  // Latency, so that the run's own (good) requests are slow and the bad worker's refusals fast.
  server = await startRegistryServer(['--token', 'good-token', '--latency-ms', '300']);
});
afterAll(() => server?.stop());

describe('a worker with another token than the run', () => {
  it("makes the run's failure message name that worker and the failure it met", async () => {
    const { db, url } = database();
    await importFixtures(db);
    const flags = ['--registry', 'http', '--registry-url', server.url, '--batch-size', '5'];
    const env = { DATABASE_URL: url, DDCN_REGISTRY_BACKOFF_MS: '10', DDCN_REGISTRY_RETRIES: '1' };
    const worker = startDdcn(['worker', ...flags], { ...env, DDCN_REGISTRY_TOKEN: 'old-token', DDCN_LOG_LEVEL: 'info' });
    let workerPid: number | null = null;
    try {
      for await (const line of worker.stderrLines) {
        const m = /"pid":(\d+).*"msg":"worker started/.exec(line);
        if (m) {
          workerPid = Number(m[1]);
          break;
        }
      }
      expect(workerPid).not.toBeNull();
      const run = await ddcn(['run', ...flags, '--chunk-size', '20'], { ...env, DDCN_REGISTRY_TOKEN: 'good-token' });
      expect(run.code, run.stderr).toBe(1);
      const line = run.stderr.split('\n').find((l) => l.startsWith('ddcn: '))!;
      expect(line).toMatch(/people could not be verified/);
      expect(line).toMatch(new RegExp(`Failed by another process of this batch \\([^)]*:${workerPid}: \\d+ people left PENDING \\([^)]*RegistryAuthRejected`));
      expect(line).toContain('an old token, another URL');
    } finally {
      worker.kill('SIGTERM');
      await Promise.race([worker.done, sleep(20_000)]);
      worker.kill('SIGKILL');
    }
  }, 90_000);
});
