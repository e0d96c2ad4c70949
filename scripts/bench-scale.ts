// `npx tsx scripts/bench-scale.ts [--participants N] [--workers 1,2,4,8] [--latency-ms 100]`: the distributed run
// against the HTTP mock registry with latency, with 1, 2, 4 and 8 `ddcn worker` processes of the same per-worker
// concurrency: people/s for each. Needs DATABASE_URL (the workers are processes of their own); a fresh database
// per measurement. The batch is opened and queued by this script, so the workers alone do the work, and the clock
// runs from the jobs being queued to the batch done. The last line is JSON. Each measurement also reports how busy the
// machine's cores were (cpu_busy, from /proc/stat): once it nears 1 more workers cannot help on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connect.js';
import { createLogger } from '../src/log.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { openBatch } from '../src/db/batches.js';
import { DEFAULT_TAKEOVER_SECONDS, JobQueue } from '../src/db/jobs.js';
import { queueOutstanding } from '../src/pipeline/chunk-work.js';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1,2,4,8' },
    'latency-ms': { type: 'string', default: '100' },
    'batch-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    'chunk-size': { type: 'string', default: '2000' },
  },
});
if (!process.env.DATABASE_URL) throw new Error('bench-scale needs DATABASE_URL: its workers are separate processes');
const n = Number(values.participants);
const sizes = values.workers.split(',').map(Number);
const ROOT = path.resolve(import.meta.dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const say = (msg: string) => process.stderr.write(`bench-scale: ${msg}\n`);
const log = createLogger('warn');

function ddcn(args: string[], env: Record<string, string>, onLine?: (line: string) => void): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(TSX, ['src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (onLine) createInterface({ input: child.stderr! }).on('line', onLine);
  else child.stderr!.resume();
  child.stdout!.resume();
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

/**
 * The machine's busy CPU time so far (all cores, every process: workers, PostgreSQL, the mock registry), from
 * /proc/stat. Null where there is none. On a machine with few cores the workers' speed-up stops where the cores are
 * all busy; this shows which limit a measurement hit.
 */
async function cpuBusySeconds(): Promise<number | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const work = await benchWorkDir('ddcn-scale-');
const results: Array<{ workers: number; seconds: number; people_per_s: number; cpu_busy: number | null }> = [];
try {
  say(`generating ${n} participants`);
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: 2207, matchRate: 0.9 });
  let url = '';
  const server = ddcn(['registry', 'serve', '--data', data.registryFile, '--port', '0', '--latency-ms', values['latency-ms']], { DDCN_LOG_LEVEL: 'warn' });
  url = await new Promise<string>((resolve) => createInterface({ input: server.child.stdout! }).once('line', (l) => resolve(l.trim())));
  say(`mock registry at ${url}, ${values['latency-ms']} ms per request`);
  for (const w of sizes) {
    const { databaseUrl, drop } = await freshBenchDatabase(`ddcn_scale_${w}`);
    const database = await openDatabase({ databaseUrl, home: path.join(work, 'home') });
    try {
      await importParticipants({ db: database.db, log, now: () => new Date() }, data.participantsFile, path.join(work, 'rejects.csv'));
      const queue = await JobQueue.open(database.db, { takeoverSeconds: DEFAULT_TAKEOVER_SECONDS }, () => undefined);
      const flags = ['--registry', 'http', '--registry-url', url, '--batch-size', values['batch-size'], '--concurrency', values.concurrency];
      const procs = Array.from({ length: w }, () => {
        let ready!: () => void;
        const started = new Promise<void>((r) => (ready = r));
        const p = ddcn(['worker', ...flags], { DATABASE_URL: databaseUrl!, DDCN_LOG_LEVEL: 'info' }, (l) => l.includes('worker started') && ready());
        return { ...p, started };
      });
      await Promise.all(procs.map((p) => p.started));
      const t0 = process.hrtime.bigint();
      const busy0 = await cpuBusySeconds();
      const deps = { db: database.db, log, now: () => new Date(), queue, worker: 'bench', registry: { kind: 'http' } as never,
        config: { chunkSize: Number(values['chunk-size']), batchSize: Number(values['batch-size']), concurrency: Number(values.concurrency) } };
      const batchId = await database.db.withTransaction(async (tx) => {
        const o = await openBatch(tx, { registry: 'http', province: null, chunkSize: deps.config.chunkSize, maxInFlight: null, now: new Date() });
        await queueOutstanding(deps, tx, o!.batch);
        return o!.batch.id;
      });
      for (;;) {
        const r = await database.db.query<{ phase: string }>('SELECT phase FROM batch WHERE id = $1::bigint', [batchId]);
        if (r.rows[0]!.phase === 'done') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const busy1 = await cpuBusySeconds();
      // Share of the machine's cores kept busy during the measurement (1 = every core all the time).
      const cpuBusy = busy0 === null || busy1 === null ? null : +((busy1 - busy0) / (seconds * os.cpus().length)).toFixed(2);
      const read = (await database.db.query<{ n: number }>('SELECT sum(n_read)::int AS n FROM batch_chunk WHERE batch_id = $1::bigint', [batchId])).rows[0]!.n;
      for (const p of procs) process.kill(-p.child.pid!, 'SIGTERM');
      await Promise.all(procs.map((p) => p.done));
      await queue.stop(1000);
      results.push({ workers: w, seconds: +seconds.toFixed(2), people_per_s: Math.round(read / seconds), cpu_busy: cpuBusy });
      say(`${w} worker process(es): ${read} people in ${seconds.toFixed(1)} s = ${Math.round(read / seconds)} people/s; cores busy ${cpuBusy === null ? '?' : `${Math.round(cpuBusy * 100)} %`} of ${os.cpus().length}`);
    } finally {
      await database.close();
      await drop();
    }
  }
  process.kill(-server.child.pid!, 'SIGTERM');
  await server.done;
  const one = results.find((r) => r.workers === 1)?.people_per_s ?? results[0]!.people_per_s;
  console.log(JSON.stringify({ participants: n, cores: os.cpus().length, latency_ms: Number(values['latency-ms']), per_worker_concurrency: Number(values.concurrency),
    results: results.map((r) => ({ ...r, speedup: +(r.people_per_s / one).toFixed(2) })) }));
} finally {
  await rm(work, { recursive: true, force: true });
}
