// `npx tsx scripts/bench-lists.ts --participants N`: N synthetic participants over about N/50 managing units,
// imported and verified against the mock registry, then `ddcn lists` for everything, timed. The last line
// printed is JSON for scripts: {"participants","units","files","rows","lists_s","rows_per_s","peak_rss_mb",…}.
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { databaseDirectory } from '../src/adapters/directory.js';
import { MockRegistry } from '../src/adapters/mock.js';
import { openDatabase } from '../src/db/connect.js';
import { createLogger } from '../src/log.js';
import { DEFAULT_RUN_CONFIG } from '../src/pipeline/deps.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { generateLists } from '../src/pipeline/lists.js';
import { runBatch } from '../src/pipeline/run.js';
import { CCCD_PROVINCES } from '../src/domain/provinces.js';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '2207' },
    'per-unit': { type: 'string', default: '50' },
    workers: { type: 'string' }, // default: as `ddcn lists` decides
    'keep-data': { type: 'boolean', default: false },
  },
});
const n = Number(values.participants);
if (!Number.isSafeInteger(n) || n <= 0) throw new Error('--participants must be a positive whole number');
const unitsPerProvince = Math.max(1, Math.round(n / Number(values['per-unit']) / CCCD_PROVINCES.length));
const workers = values.workers === undefined ? undefined : Number(values.workers);

const say = (msg: string) => process.stderr.write(`bench-lists: ${msg}\n`);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const log = createLogger(process.env.DDCN_LOG_LEVEL ?? 'warn');
const work = await benchWorkDir('ddcn-bench-lists-');

const { databaseUrl, drop: dropDb } = await freshBenchDatabase('ddcn_bench_lists');

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

const database = await openDatabase({ databaseUrl, home: path.join(work, 'home') });
const deps = { db: database.db, log, now: () => new Date() };
try {
  say(`generating ${n} participants, ${unitsPerProvince} units per province, in ${work}`);
  let t = process.hrtime.bigint();
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9, unitsPerProvince });
  say(`generated in ${seconds(t).toFixed(1)} s`);

  t = process.hrtime.bigint();
  await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
  say(`import: ${seconds(t).toFixed(1)} s`);
  t = process.hrtime.bigint();
  const registry = new MockRegistry(await databaseDirectory(database.db, data.registryFile));
  const run = await runBatch({ ...deps, registry, config: DEFAULT_RUN_CONFIG }, { province: null });
  say(`run: ${seconds(t).toFixed(1)} s ${JSON.stringify(run.counts)}`);
  await database.db.query('VACUUM ANALYZE participant');
  await database.db.query('CHECKPOINT');

  // Peak memory of the lists stage alone (worker threads share the process, so they are in it).
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const out = path.join(work, 'lists');
  const cpu0 = process.cpuUsage();
  t = process.hrtime.bigint();
  const r = await generateLists(deps, { out, province: null, unit: null, workers });
  const listsS = seconds(t);
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const files = await countFiles(out);
  say(`lists: ${listsS.toFixed(1)} s, ${files} files, ${r.workers} workers, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  console.log(
    JSON.stringify({
      participants: n,
      units: r.units,
      files,
      rows: r.rows,
      lists_s: +listsS.toFixed(2),
      rows_per_s: Math.round(r.rows / listsS),
      peak_rss_mb: Math.round(peakRss / 1024 / 1024),
      cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(1),
      workers: r.workers,
      mau01: r.files.mau01,
      mau02: r.files.mau02,
    }),
  );
} finally {
  await database.close();
  await dropDb?.();
  if (!values['keep-data']) await rm(work, { recursive: true, force: true });
}
