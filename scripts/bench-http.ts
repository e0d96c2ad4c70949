// `npx tsx scripts/bench-http.ts [--participants N] [--latency-ms 20] [--batch-size 100] [--concurrency 1,8,32]`:
// throughput of the registry over HTTP. The mock registry server runs as its own process (`ddcn registry serve`,
// with latency); for each concurrency the same synthetic participants are imported afresh and verified twice:
// through the HTTP adapter alone (verify_people_per_s) and by a whole `ddcn run` (run_people_per_s: export,
// verify, write back, share). The last line printed is JSON for scripts.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { HttpRegistry, DEFAULT_HTTP_SETTINGS } from '../src/adapters/http.js';
import type { VerifyRequest } from '../src/adapters/types.js';
import { openDatabase } from '../src/db/connect.js';
import type { Db } from '../src/db/pool.js';
import { exportChunk } from '../src/db/verifications.js';
import { createLogger } from '../src/log.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { preflight } from '../src/pipeline/preflight.js';
import { runBatch } from '../src/pipeline/run.js';
import { DEFAULT_RUN_CONFIG } from '../src/pipeline/deps.js';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '1,8,32' },
    seed: { type: 'string', default: '2207' },
  },
});
const n = Number(values.participants);
const latencyMs = Number(values['latency-ms']);
const batchSize = Number(values['batch-size']);
const levels = values.concurrency.split(',').map(Number);
for (const [name, v] of [['--participants', n], ['--batch-size', batchSize], ...levels.map((c) => ['--concurrency', c] as const)] as const) {
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be a positive whole number`);
}

const ROOT = path.resolve(import.meta.dirname, '..');
const say = (msg: string) => process.stderr.write(`bench-http: ${msg}\n`);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const log = createLogger(process.env.DDCN_LOG_LEVEL ?? 'warn');
const work = await benchWorkDir('ddcn-bench-http-');

/** The mock registry as a process of its own, so that its event loop does not share a core's time with ours. */
async function startServer(registryFile: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'registry', 'serve', '--data', registryFile, '--port', '0', '--latency-ms', String(latencyMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DDCN_LOG_LEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(l.trim()));
    child.once('exit', (code) => reject(new Error(`registry server exited (${code})`)));
  });
  return { url, stop: () => void child.kill('SIGTERM') };
}

const { databaseUrl, drop: dropDb } = await freshBenchDatabase('ddcn_bench_http');

async function emptyTables(db: Db): Promise<void> {
  const t = await db.query<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'`);
  await db.query(`TRUNCATE ${t.rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
}

const database = await openDatabase({ databaseUrl, home: path.join(work, 'home') });
const deps = { db: database.db, log, now: () => new Date() };
let server: Awaited<ReturnType<typeof startServer>> | undefined;
try {
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9 });
  server = await startServer(data.registryFile);
  say(`${n} participants, mock registry at ${server.url} with ${latencyMs} ms latency, ${batchSize} people per request`);
  const results: Array<{ concurrency: number; verify_people_per_s: number; run_s: number; run_people_per_s: number }> = [];
  for (const concurrency of levels) {
    await emptyTables(database.db);
    await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
    const registry = () => new HttpRegistry({ ...DEFAULT_HTTP_SETTINGS, url: server!.url, concurrency }, log);

    // The registry path alone: every person with a number, in requests of batchSize, `concurrency` in flight.
    const { toSend } = preflight(await exportChunk(database.db, { keyFrom: '0000000000', keyTo: '9999999999', province: null }));
    const batches: VerifyRequest[][] = [];
    for (let i = 0; i < toSend.length; i += batchSize) batches.push(toSend.slice(i, i + batchSize));
    const http = registry();
    let t = process.hrtime.bigint();
    await Promise.all(batches.map((b) => http.verify(b)));
    const verifyS = seconds(t);

    // A whole run: export, verify, resolve, write back, share.
    t = process.hrtime.bigint();
    const result = await runBatch({ ...deps, registry: registry(), config: { ...DEFAULT_RUN_CONFIG, batchSize, concurrency } }, { province: null });
    const runS = seconds(t);
    if (result.counts.errors) throw new Error(`${result.counts.errors} people not verified: the bench needs a clean run`);
    const row = {
      concurrency,
      verify_people_per_s: Math.round(toSend.length / verifyS),
      run_s: +runS.toFixed(2),
      run_people_per_s: Math.round(result.counts.read / runS),
    };
    results.push(row);
    say(`concurrency ${concurrency}: verify ${row.verify_people_per_s} people/s · run ${row.run_people_per_s} people/s (${row.run_s} s, ${result.shared} shared)`);
  }
  console.log(JSON.stringify({ participants: n, latency_ms: latencyMs, batch_size: batchSize, results }));
} finally {
  server?.stop();
  await database.close();
  await dropDb?.();
  await rm(work, { recursive: true, force: true });
}
