// `npx tsx scripts/bench-download.ts [--people 100000] [--at-once 1,4,8]`: what a large unit's Mẫu 01 download
// costs the portal. Generates --people participants, imports and verifies them, puts everyone confirmed into one unit
// of the first province, then, for each count of --at-once, starts the portal in a process of its own and has that
// many province offices download the unit's Mẫu 01 at the same moment over a real socket: the time until the last
// file arrived, and the portal process's resident memory at its highest during the downloads against just before
// (sampled every 20 ms). Needs DATABASE_URL (a database of its own is made on that server and dropped afterwards).
// A benchmark, not a test: the figures depend on the machine; record `uptime` next to them.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { databaseDirectory } from '../src/adapters/directory.js';
import { MockRegistry } from '../src/adapters/mock.js';
import { openDatabase } from '../src/db/connect.js';
import { insertUser } from '../src/db/portal-users.js';
import { createLogger } from '../src/log.js';
import { DEFAULT_RUN_CONFIG } from '../src/pipeline/deps.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { runBatch } from '../src/pipeline/run.js';
import { buildPortal } from '../src/portal/app.js';
import { hashPassword } from '../src/portal/passwords.js';
import { DEFAULT_PORTAL_SETTINGS } from '../src/portal/settings.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';
import { portalSignIn } from './lib/portal-sign-in.js';
import { writeSynthetic } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    'at-once': { type: 'string', default: '1,4,8' },
    measure: { type: 'string' }, // internal: the database URL of the child that serves and measures
  },
});
const UNIT = 'DVBENCHLON';
const PASSWORD = 'bench-download-password';
const say = (msg: string) => process.stderr.write(`bench-download: ${msg}\n`);
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const atOnce = values['at-once'].split(',').map(Number);
if (!atOnce.every((k) => Number.isSafeInteger(k) && k > 0)) throw new Error(`--at-once takes whole numbers above 0, got ${values['at-once']}`);

if (values.measure) {
  await measure(values.measure, atOnce[0]!);
} else {
  if (!process.env.DATABASE_URL) throw new Error('bench-download needs DATABASE_URL (a server it may make a database on)');
  const work = await benchWorkDir('ddcn-bench-download-');
  const fresh = await freshBenchDatabase('ddcn_bench_download');
  try {
    await prepare(fresh.databaseUrl!, path.join(work, 'data'), Number(values.people));
    for (const k of atOnce) console.log(await child(fresh.databaseUrl!, k));
  } finally {
    await fresh.drop();
  }
}

/** The people, verified once; the confirmed ones moved into one unit; a province office's account per download. */
async function prepare(url: string, dir: string, n: number): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, home: dir });
  const deps = { db: database.db, log: createLogger('warn'), now: () => new Date() };
  try {
    const data = await writeSynthetic(dir, { count: n, seed: 2207, matchRate: 0.9, unitsPerProvince: 1, unitSkew: 1 });
    await importParticipants(deps, data.participantsFile, path.join(dir, 'rejects.csv'));
    await runBatch({ ...deps, registry: new MockRegistry(await databaseDirectory(database.db, data.registryFile)), config: DEFAULT_RUN_CONFIG }, { province: null });
    const first = (await database.db.query<{ ma_tinh: string }>('SELECT min(ma_tinh) AS ma_tinh FROM participant')).rows[0]!.ma_tinh;
    await database.db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, updated_at) VALUES ($1::text, 'Đơn vị lớn', '', $2::text, now())`, [UNIT, first]);
    const moved = await database.db.query(`UPDATE participant SET ma_don_vi = $1::text, ma_tinh = $2::text WHERE status = 'MATCHED'`, [UNIT, first]);
    await database.db.query('VACUUM ANALYZE participant');
    const hash = await hashPassword(PASSWORD);
    for (let i = 0; i < Math.max(...atOnce); i++) {
      await insertUser(database.db, { login: `bench-dl-${i}`, scope: { role: 'province', maTinh: first }, passwordHash: hash, now: new Date() });
    }
    say(`${moved.rowCount} confirmed people in unit ${UNIT} (Mẫu 01)`);
  } finally {
    await database.close();
  }
}

/** One measurement in a fresh process, so that each count starts from the same memory. */
function child(url: string, k: number): Promise<string> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, script, '--measure', url, '--at-once', String(k)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`the measuring process exited with ${code}`))));
  });
}

async function measure(url: string, k: number): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, home: os.tmpdir(), poolSize: DEFAULT_PORTAL_SETTINGS.dbConnections });
  const { app } = await buildPortal({ deps: { db: database.db, log: createLogger('warn'), now: () => new Date() }, settings: { ...DEFAULT_PORTAL_SETTINGS, loginsPerMinute: 10_000 } });
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  try {
    const cookies = await Promise.all(Array.from({ length: k }, (_, i) => portalSignIn(base, `bench-dl-${i}`, PASSWORD)));
    await new Promise((r) => setTimeout(r, 2_000)); // the workbook threads, started on listen, have loaded their code
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const sizes = await Promise.all(cookies.map((c) => download(base, c)));
    const ms = performance.now() - t0;
    clearInterval(sampler);
    console.log(JSON.stringify({ at_once: k, seconds: +(ms / 1000).toFixed(2), file_mb: +(sizes[0]! / 2 ** 20).toFixed(1), rss_before_mb: mb(before), rss_peak_mb: mb(peak), rss_added_mb: mb(peak - before) }));
  } finally {
    await app.close();
    await database.close();
  }
}

async function download(base: string, cookie: string): Promise<number> {
  const res = await fetch(`${base}/units/${UNIT}/mau01.xlsx`, { headers: { cookie } });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`the download answered ${res.status}`);
  return body.byteLength;
}
