// `npx tsx scripts/bench-national.ts [--participants 10000000] [--seed 2207] [--workers 1] [--units-per-province 20] [--keep-data]`
//
// The night as an operator runs it, at national scale, on the embedded PostgreSQL (no DATABASE_URL): `ddcn import
// participants`, `ddcn run --registry mock`, `ddcn lists`, `ddcn report progress`, each as its own process the way
// cron starts them (each starts and stops the embedded server). Prints per step the wall time, the peak RSS of the
// ddcn process itself (its VmHWM, read from /proc while it runs), and the peak RSS of the largest process of its
// tree (GNU time's %M: Linux counts the waited-for descendants, so this is usually a PostgreSQL backend of the
// embedded server, which the command started); then the disk used by the database and by the lists. The last line
// printed is JSON for scripts.
//
// Issue 12 asks for these figures at 10 M with peak RSS within 10 % of the 1 M figure: run it with
// --participants 1000000 and 10000000 and compare. Needs about 25 GB free under the temp folder at 10 M.
// --units-per-province (default 20, so 1 260 units whatever N) sets how many people a unit's lists hold: 1 M with 2
// per province gives each unit about as many people as 10 M with 20, without the hour the 10 M night takes.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir } from './lib/bench-db.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '10000000' },
    seed: { type: 'string', default: '2207' },
    workers: { type: 'string', default: '1' },
    'units-per-province': { type: 'string', default: '20' },
    'keep-data': { type: 'boolean', default: false },
  },
});
const n = Number(values.participants);
if (!Number.isSafeInteger(n) || n <= 0) throw new Error('--participants must be a positive whole number');
const workers = Number(values.workers);
if (!Number.isSafeInteger(workers) || workers <= 0) throw new Error('--workers must be a positive whole number');
const unitsPerProvince = Number(values['units-per-province']);
if (!Number.isSafeInteger(unitsPerProvince) || unitsPerProvince <= 0 || unitsPerProvince > 65536) {
  throw new Error('--units-per-province must be a whole number from 1 to 65536');
}

const repo = path.resolve(import.meta.dirname, '..');
const say = (msg: string) => process.stderr.write(`bench-national: ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

interface Step {
  step: string;
  seconds: number;
  /** The ddcn (node) process's own peak. */
  peak_rss_mb: number;
  /** The largest process of its tree, PostgreSQL backends included. */
  tree_max_rss_mb: number;
  exit: number;
}

/** The process's peak resident set so far (VmHWM, kB → MB), or 0 once it has gone. */
async function vmHwmMb(pid: number): Promise<number> {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Runs `ddcn ARGS` under GNU time with the benchmark's DDCN_HOME; its stdout and stderr go to LOG.{out,err}. */
async function ddcn(step: string, args: string[], env: NodeJS.ProcessEnv, log: string): Promise<Step> {
  say(`${step}: ddcn ${args.join(' ')}`);
  const timeFile = `${log}.time`;
  const out = createWriteStream(`${log}.out`);
  const err = createWriteStream(`${log}.err`);
  const t0 = process.hrtime.bigint();
  let ownPeak = 0;
  const exit = await new Promise<number>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %M', process.execPath, path.join(repo, 'bin/ddcn.js'), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(err);
    // GNU time's child is the node process; its peak is read every 200 ms (VmHWM only grows: the last read is the
    // peak but for the last 200 ms of its life).
    const poll = setInterval(() => {
      void (async () => {
        const kids = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
        for (const pid of kids.split(/\s+/).filter(Boolean).map(Number)) ownPeak = Math.max(ownPeak, await vmHwmMb(pid));
      })();
    }, 200);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve(code ?? 1);
    });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [, maxKb] = (await readFile(timeFile, 'utf8')).trim().split(/\s+/).slice(-2);
  const s: Step = { step, seconds: +seconds.toFixed(1), peak_rss_mb: ownPeak, tree_max_rss_mb: Math.round(Number(maxKb) / 1024), exit };
  say(`${step}: ${s.seconds} s, peak RSS ${s.peak_rss_mb} MB (largest process of its tree ${s.tree_max_rss_mb} MB), exit ${exit}`);
  return s;
}

/** Bytes under DIR, as `du -sb` counts them (the database folder belongs to the postgres user when run as root). */
async function du(dir: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn('du', ['-sb', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    child.stdout.on('data', (d: Buffer) => (s += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(s));
  });
  return Number(text.split(/\s+/)[0] ?? 0);
}

const work = await benchWorkDir('ddcn-national-');
const home = path.join(work, 'home');
const logs = path.join(work, 'logs');
const env: NodeJS.ProcessEnv = { ...process.env, DDCN_HOME: home, DDCN_LOG_LEVEL: process.env.DDCN_LOG_LEVEL ?? 'warn' };
delete env.DATABASE_URL;
try {
  await mkdir(logs, { recursive: true });
  say(`generating ${n} participants in ${work}`);
  const t = process.hrtime.bigint();
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9, unitsPerProvince });
  say(`generated in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(0)} s: ${JSON.stringify(data.counts.byStatus)}`);

  const steps: Step[] = [];
  const lists = path.join(work, 'lists');
  steps.push(await ddcn('import', ['import', 'participants', data.participantsFile, '--rejects', path.join(work, 'rejects.csv')], env, path.join(logs, 'import')));
  steps.push(
    await ddcn('run', ['run', '--registry', 'mock', '--registry-data', data.registryFile, '--workers', String(workers)], env, path.join(logs, 'run')),
  );
  steps.push(await ddcn('lists', ['lists', '--out', lists], env, path.join(logs, 'lists')));
  steps.push(await ddcn('report progress', ['report', 'progress', '--out', path.join(work, 'mau03.xlsx')], env, path.join(logs, 'report')));
  const dbBytes = await du(path.join(home, 'pg')).catch(() => 0);
  const listBytes = await du(lists).catch(() => 0);
  const inputBytes = await du(data.participantsFile);
  const gb = (b: number) => +(b / 1024 ** 3).toFixed(2);
  say(`disk: database ${gb(dbBytes)} GB, lists ${gb(listBytes)} GB, participants file ${gb(inputBytes)} GB`);
  const failed = steps.filter((s) => s.exit !== 0 && !(s.step === 'run' && s.exit === 1));
  if (failed.length) say(`failed: ${failed.map((s) => s.step).join(', ')} — see ${logs}`);
  console.log(
    JSON.stringify({
      participants: n,
      workers,
      units_per_province: unitsPerProvince,
      steps: Object.fromEntries(steps.map((s) => [s.step, { s: s.seconds, peak_rss_mb: s.peak_rss_mb, tree_max_rss_mb: s.tree_max_rss_mb, exit: s.exit }])),
      peak_rss_mb: Math.max(...steps.map((s) => s.peak_rss_mb)),
      database_gb: gb(dbBytes),
      lists_gb: gb(listBytes),
      participants_file_gb: gb(inputBytes),
    }),
  );
  process.exitCode = failed.length ? 1 : 0;
} finally {
  if (values['keep-data']) say(`kept: ${work}`);
  else await rm(work, { recursive: true, force: true });
}
