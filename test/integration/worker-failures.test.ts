// A `ddcn worker` beside a `ddcn run` whose registry settings are wrong. With an old token (the token rotated, the
// worker not restarted) it stops at its first refusal, exit 2 saying why, and hands back the chunk it had: the run
// does it, and the night ends complete. With a registry it cannot reach (another URL) it fails every chunk it takes,
// so the run ends with people PENDING; the run's own registry client met no failure, so its message must name the
// process that did and why, instead of "the registry is unavailable" with no reason. With a URL that has no registry
// API (a path mistyped), it stops as with an old token.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePerFile, rows } from '../helpers/pipeline.js';
import { ddcn, importFixtures, startDdcn, startRegistryServer, type Started } from './http-harness.js';

const database = databasePerFile();
let server: Awaited<ReturnType<typeof startRegistryServer>>;

beforeAll(async () => {
  // Latency, so that the run's own (good) requests are slow and the bad worker's failures fast.
  server = await startRegistryServer(['--token', 'good-token', '--latency-ms', '300']);
});
afterAll(() => server?.stop());

const env = (url: string) => ({ DATABASE_URL: url, DDCN_REGISTRY_BACKOFF_MS: '10', DDCN_REGISTRY_RETRIES: '1' });

/** A worker started and waiting for chunks; its pid. */
async function waitingWorker(flags: string[], extra: Record<string, string>): Promise<{ worker: Started; pid: number }> {
  const worker = startDdcn(['worker', ...flags], { ...extra, DDCN_LOG_LEVEL: 'info' });
  for await (const line of worker.stderrLines) {
    const m = /"pid":(\d+).*"msg":"worker started/.exec(line);
    if (m) return { worker, pid: Number(m[1]) };
  }
  throw new Error(`the worker did not start: ${(await worker.done).stderr}`);
}

describe('a worker with other registry settings than the run', () => {
  // An old token (rotated, the worker not restarted), or a path mistyped in DDCN_REGISTRY_URL on one machine: it failed
  // every chunk it took, night after night.
  it.each([
    {
      settings: 'a token the registry refuses',
      worker: () => ({ url: server.url, token: 'old-token' }),
      said: "ddcn: the registry refused this worker's token (HTTP 401/403): it stopped and handed back the chunk it had",
      restart: 'restart it with the right DDCN_REGISTRY_TOKEN',
    },
    {
      settings: 'a URL with no registry API (404)',
      worker: () => ({ url: `${server.url}/khong-co/`, token: 'good-token' }),
      said: "ddcn: this worker's registry URL has no registry API (HTTP 404/405): it stopped and handed back the chunk it had",
      restart: 'restart it with the right DDCN_REGISTRY_URL',
    },
  ])('with $settings: stops at once (exit 2, saying why), hands its chunk back, and the run ends complete', async ({ worker: settings, said, restart }) => {
    const { db, url } = database();
    await importFixtures(db);
    const flags = ['--registry', 'http', '--batch-size', '5'];
    const own = settings();
    const { worker } = await waitingWorker([...flags, '--registry-url', own.url], { ...env(url), DDCN_REGISTRY_TOKEN: own.token });
    try {
      const run = await ddcn(['run', ...flags, '--registry-url', server.url, '--chunk-size', '20'], { ...env(url), DDCN_REGISTRY_TOKEN: 'good-token' });
      expect(run.code, run.stderr).toBe(0);
      expect(await rows(db, `SELECT count(*)::int AS n FROM participant WHERE status = 'PENDING'`)).toEqual([{ n: 0 }]);
      const stopped = await Promise.race([worker.done, sleep(30_000).then(() => null)]);
      expect(stopped, 'the worker stopped by itself').not.toBeNull();
      expect(stopped!.code, stopped!.stderr).toBe(2);
      expect(stopped!.stderr).toContain(said);
      expect(stopped!.stderr).toContain(restart);
    } finally {
      worker.kill('SIGKILL');
    }
  }, 90_000);

  it("at a registry it cannot reach: the run's failure message names that worker and the failure it met", async () => {
    const { db, url } = database();
    await importFixtures(db);
    const flags = ['--registry', 'http', '--batch-size', '5'];
    const { worker, pid } = await waitingWorker([...flags, '--registry-url', 'http://127.0.0.1:1'], { ...env(url), DDCN_REGISTRY_TOKEN: 'good-token' });
    try {
      const run = await ddcn(['run', ...flags, '--registry-url', server.url, '--chunk-size', '20'], { ...env(url), DDCN_REGISTRY_TOKEN: 'good-token' });
      expect(run.code, run.stderr).toBe(1);
      const line = run.stderr.split('\n').find((l) => l.startsWith('ddcn: '))!;
      expect(line).toMatch(/could not be verified/);
      expect(line).toMatch(new RegExp(`Failed by another process of this batch \\([^)]*:${pid}: \\d+ (people|person) left PENDING \\([^)]*RegistryUnreachable`));
      expect(line).toContain('an old token, another URL');
    } finally {
      worker.kill('SIGTERM');
      await Promise.race([worker.done, sleep(20_000)]);
      worker.kill('SIGKILL');
    }
  }, 90_000);
});
