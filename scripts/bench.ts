// `npm run bench -- --participants N`: import, batch run and the SQL-join baseline on N synthetic
// participants, in one process on one database. The last line printed is JSON for scripts.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connect.js';
import { createLogger } from '../src/log.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { runBatch } from '../src/pipeline/run.js';
import { databaseDirectory } from '../src/adapters/directory.js';
import { DEFAULT_TAKEOVER_SECONDS, JobQueue } from '../src/db/jobs.js';
import { MockRegistry } from '../src/adapters/mock.js';
import { DEFAULT_RUN_CONFIG } from '../src/pipeline/deps.js';
import { poolSizeFor } from '../src/cli/commands/run-flags.js';
import { PARTICIPANT_COLUMNS, writeSynthetic } from './lib/synth.js';
import { rawCopy } from './lib/raw-copy.js';
import { sqlBaseline } from './lib/baseline.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';
import { meterWork, type WorkCost } from './lib/work-meter.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '2207' },
    'chunk-size': { type: 'string', default: String(DEFAULT_RUN_CONFIG.chunkSize) },
    workers: { type: 'string', default: '1' },
    'keep-data': { type: 'boolean', default: false },
    // Only the import, its unchanged re-import and the raw COPY yardstick: minutes instead of the whole run.
    'import-only': { type: 'boolean', default: false },
  },
});
const n = Number(values.participants);
if (!Number.isSafeInteger(n) || n <= 0) throw new Error('--participants must be a positive whole number');

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const say = (msg: string) =>
  process.stderr.write(`bench: ${msg} [rss ${mb(process.memoryUsage().rss)} MB, peak ${Math.round(process.resourceUsage().maxRSS / 1024)} MB]\n`);
const round1 = (x: number) => Math.round(x * 10) / 10;
// Where the time went: the run is bound by this process or by the server (README, Benchmark).
const costText = (c: WorkCost) =>
  `CPU ${c.selfCpuS.toFixed(1)} s in this process, ${c.restCpuS === null ? '?' : c.restCpuS.toFixed(1)} s elsewhere on the machine; ${Math.round(c.walMb)} MB of WAL`;
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const log = createLogger(process.env.DDCN_LOG_LEVEL ?? 'warn');
const work = await benchWorkDir('ddcn-bench-');

const { databaseUrl, drop: dropDb } = await freshBenchDatabase('ddcn_bench');

const workers = Number(values.workers);
const database = await openDatabase({ databaseUrl, home: path.join(work, 'home'), poolSize: poolSizeFor({ workers, concurrency: DEFAULT_RUN_CONFIG.concurrency }) });
const deps = { db: database.db, log, now: () => new Date() };
try {
  say(`generating ${n} participants in ${work}`);
  let t = process.hrtime.bigint();
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9 });
  say(`generated in ${seconds(t).toFixed(1)} s: ${JSON.stringify(data.counts.byStatus)}`);

  t = process.hrtime.bigint();
  const importMeter = await meterWork(database.db);
  const imported = await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
  const importS = seconds(t);
  const importCost = await importMeter();
  say(`import: ${importS.toFixed(1)} s (${imported.inserted} new, ${imported.rejected} rejected); ${costText(importCost)}`);
  const importPeakMb = Math.round(process.resourceUsage().maxRSS / 1024);

  // The nightly case: the same export again, nothing changed.
  t = process.hrtime.bigint();
  const again = await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
  const reimportS = seconds(t);
  const reimportPeakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  say(`re-import, unchanged: ${reimportS.toFixed(1)} s (${again.unchanged} unchanged, ${again.updated} updated)`);

  await database.db.query('CHECKPOINT');
  t = process.hrtime.bigint();
  const copied = await rawCopy(database.db, data.participantsFile, PARTICIPANT_COLUMNS);
  const rawCopyS = seconds(t);
  say(`raw COPY of the same file: ${rawCopyS.toFixed(2)} s (${copied} rows)`);
  const importFigures = {
    participants: n,
    import_s: +importS.toFixed(2),
    reimport_s: +reimportS.toFixed(2),
    raw_copy_s: +rawCopyS.toFixed(2),
    import_ratio: +(importS / rawCopyS).toFixed(2),
    import_cpu_self_s: round1(importCost.selfCpuS),
    import_cpu_rest_s: importCost.restCpuS === null ? null : round1(importCost.restCpuS),
    reimport_ratio: +(reimportS / rawCopyS).toFixed(2),
    import_peak_rss_mb: importPeakMb,
    // The process's peak after the re-import too (its first reading on two threads holds a second heap).
    reimport_peak_rss_mb: reimportPeakMb,
    reading_threads: again.readingThreads,
  };
  if (values['import-only']) {
    console.log(JSON.stringify(importFigures));
    process.exitCode = 0;
  } else {

    t = process.hrtime.bigint();
    const directory = await databaseDirectory(database.db, data.registryFile);
    const registryLoadS = seconds(t);
    say(`mock registry loaded in ${registryLoadS.toFixed(1)} s (not part of run_s: the real registry is remote)`);

    // The baseline works on its own copy of the freshly imported participants.
    await database.db.query(`CREATE TABLE bench_baseline AS SELECT ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to,
      NULL::text AS so_ddcn, 'PENDING'::text AS status FROM participant`);
    await database.db.query('ALTER TABLE bench_baseline ADD PRIMARY KEY (ma_so_bhxh); CREATE INDEX ON bench_baseline (so_giay_to); ANALYZE bench_baseline');
    // pg-boss installs its schema on its first start: once, outside the timing, as on any database used before.
    await (await JobQueue.open(database.db, { takeoverSeconds: DEFAULT_TAKEOVER_SECONDS }, () => undefined)).stop(1000);
    await database.db.query('CHECKPOINT');

    t = process.hrtime.bigint();
    const runMeter = await meterWork(database.db);
    const registry = new MockRegistry(directory);
    const result = await runBatch(
      { ...deps, registry, config: { ...DEFAULT_RUN_CONFIG, chunkSize: Number(values['chunk-size']) } },
      { province: null, workers },
    );
    const runS = seconds(t);
    const runCost = await runMeter();
    say(`run: ${runS.toFixed(1)} s ${JSON.stringify(result.counts)}; ${costText(runCost)}`);
    await database.db.query('CHECKPOINT');

    t = process.hrtime.bigint();
    const baselineMeter = await meterWork(database.db);
    const baselineMatched = await sqlBaseline(database.db);
    const baselineS = seconds(t);
    const baselineCost = await baselineMeter();
    say(`SQL baseline: ${baselineS.toFixed(1)} s (${baselineMatched} matched); ${costText(baselineCost)}`);

    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      JSON.stringify({
        ...importFigures,
        run_s: +runS.toFixed(2),
        sql_baseline_s: +baselineS.toFixed(2),
        ratio: +(runS / baselineS).toFixed(2),
        peak_rss_mb: peakRssMb,
        registry_load_s: +registryLoadS.toFixed(2),
        matched: result.counts.matched,
        baseline_matched: baselineMatched,
        run_cpu_self_s: round1(runCost.selfCpuS),
        run_cpu_rest_s: runCost.restCpuS === null ? null : round1(runCost.restCpuS),
        run_wal_mb: Math.round(runCost.walMb),
        baseline_cpu_rest_s: baselineCost.restCpuS === null ? null : round1(baselineCost.restCpuS),
        baseline_wal_mb: Math.round(baselineCost.walMb),
      }),
    );
  }
} finally {
  await database.close();
  if (values['keep-data']) say(`kept: ${work}${databaseUrl ? ` and ${databaseUrl}` : ''}`);
  else {
    await dropDb?.();
    await rm(work, { recursive: true, force: true });
  }
}
