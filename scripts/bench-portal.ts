// `npx tsx scripts/bench-portal.ts [--participants N] [--units U] [--users 20] [--rounds R]`: the portal under
// signed-in users at once, over a real socket. Generates N participants over about U managing units, verifies
// them once, moves 500 unmatched people into one unit (a 500-person Mẫu 02), signs in `--users` accounts of every
// role and has each ask its pages `--rounds` times at once. Prints p50/p95 per route; the last line is JSON.
// (A benchmark, not a test: figures depend on the machine, so record `uptime` next to them.)
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connect.js';
import { createLogger } from '../src/log.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { runBatch } from '../src/pipeline/run.js';
import { databaseDirectory } from '../src/adapters/directory.js';
import { MockRegistry } from '../src/adapters/mock.js';
import { DEFAULT_RUN_CONFIG } from '../src/pipeline/deps.js';
import { insertUser } from '../src/db/portal-users.js';
import type { Scope } from '../src/db/portal-scope.js';
import { buildPortal } from '../src/portal/app.js';
import { hashPassword } from '../src/portal/passwords.js';
import { DEFAULT_PORTAL_SETTINGS } from '../src/portal/settings.js';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '1000000' },
    units: { type: 'string', default: '20000' },
    users: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '2207' },
  },
});
const n = Number(values.participants);
const unitsPerProvince = Math.max(1, Math.round(Number(values.units) / 63));
const users = Number(values.users);
const rounds = Number(values.rounds);
const say = (msg: string) => process.stderr.write(`bench-portal: ${msg}\n`);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const PASSWORD = 'bench-portal-password';
const BIG = 'DVBENCH0500';

const work = await benchWorkDir('ddcn-bench-portal-');
const { databaseUrl, drop } = await freshBenchDatabase('ddcn_bench_portal');
const database = await openDatabase({ databaseUrl, home: path.join(work, 'home'), poolSize: 10 });
const log = createLogger('warn');
const deps = { db: database.db, log, now: () => new Date() };
try {
  let t = process.hrtime.bigint();
  const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9, unitsPerProvince });
  await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
  const registry = new MockRegistry(await databaseDirectory(database.db, data.registryFile));
  await runBatch({ ...deps, registry, config: DEFAULT_RUN_CONFIG }, { province: null });
  say(`${n} participants over ${63 * unitsPerProvince} units imported and verified in ${seconds(t).toFixed(0)} s`);

  // One unit with 500 people on its Mẫu 02, in the first province.
  const first = (await database.db.query<{ ma_tinh: string }>(`SELECT min(ma_tinh) AS ma_tinh FROM participant`)).rows[0]!.ma_tinh;
  await database.db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at) SELECT $1::text, 'Đơn vị 500 người', '', $2::text, min(ma_huyen), now() FROM participant WHERE ma_tinh = $2::text`, [BIG, first]);
  await database.db.query(
    `UPDATE participant SET ma_don_vi = $1::text WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM participant WHERE ma_tinh = $2::text AND status <> 'MATCHED' ORDER BY ma_so_bhxh LIMIT 500)`,
    [BIG, first],
  );
  await database.db.query('ANALYZE');
  const unitsOf = (await database.db.query<{ ma_don_vi: string; ma_tinh: string; ma_huyen: string }>(
    `SELECT ma_don_vi, ma_tinh, ma_huyen FROM unit WHERE ma_tinh = $1::text ORDER BY ma_don_vi`, [first])).rows;
  const numbers = (await database.db.query<{ so_giay_to: string }>(`SELECT so_giay_to FROM participant WHERE ma_tinh = $1::text AND so_giay_to IS NOT NULL LIMIT 200`, [first])).rows.map((r) => r.so_giay_to);

  // Accounts: a quarter national, half province, a quarter unit — all in the first province.
  const hash = await hashPassword(PASSWORD);
  const accounts: Array<{ login: string; scope: Scope }> = [];
  for (let i = 0; i < users; i++) {
    const scope: Scope = i % 4 === 0 ? { role: 'national' } : i % 4 === 3 ? { role: 'unit', maDonVi: BIG } : { role: 'province', maTinh: first };
    accounts.push({ login: `bench-${i}`, scope });
    await insertUser(database.db, { login: `bench-${i}`, scope, passwordHash: hash, now: new Date() });
  }

  const { app } = await buildPortal({ deps: { ...deps }, settings: { ...DEFAULT_PORTAL_SETTINGS, loginsPerMinute: 10_000 } });
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const signIn = async (login: string) => {
    const pre = await fetch(`${base}/login`);
    const preCookie = pre.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await pre.text())![1]!;
    const res = await fetch(`${base}/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, login, password: PASSWORD }),
    });
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => c!.startsWith('ddcn_session=')).join('; ');
    const home = await fetch(`${base}/units`, { headers: { cookie } });
    const token = /name="_csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    return { cookie, token };
  };

  const timings = new Map<string, number[]>();
  const timed = async (route: string, fn: () => Promise<Response>) => {
    const t0 = process.hrtime.bigint();
    const res = await fn();
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    (timings.get(route) ?? timings.set(route, []).get(route)!).push(ms);
  };

  const sessions = await Promise.all(accounts.map(async (a) => ({ ...a, ...(await signIn(a.login)) })));
  // The first national dashboard after a run works the figures out; it is reported apart from the steady state.
  const t0 = process.hrtime.bigint();
  await timed('first national dashboard after the run', () => fetch(`${base}/`, { headers: { cookie: sessions[0]!.cookie } }));
  say(`first national dashboard: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);

  t = process.hrtime.bigint();
  await Promise.all(
    sessions.map(async (s, i) => {
      const get = (url: string) => () => fetch(`${base}${url}`, { headers: { cookie: s.cookie } });
      for (let r = 0; r < rounds; r++) {
        const unit = unitsOf[(i * 31 + r * 7) % unitsOf.length]!.ma_don_vi;
        if (s.scope.role === 'national') await timed('GET / (national dashboard)', get('/'));
        if (s.scope.role === 'province') {
          await timed('GET /units (province unit list)', get(`/units?page=${1 + ((i + r) % Math.max(1, Math.floor(unitsOf.length / 50)))}`));
          await timed('GET /units/:u (unit page)', get(`/units/${unit}`));
          await timed('POST /lookup', () => fetch(`${base}/lookup`, {
            method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ _csrf: s.token, number: numbers[(i * 13 + r) % numbers.length]! }),
          }));
        }
        if (s.scope.role === 'unit') await timed('GET /units/:u/mau02.xlsx (500 people)', get(`/units/${BIG}/mau02.xlsx`));
      }
    }),
  );
  const wall = seconds(t);
  await app.close();

  const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
  const result: Record<string, { n: number; p50_ms: number; p95_ms: number }> = {};
  for (const [route, xs] of timings) {
    result[route] = { n: xs.length, p50_ms: Math.round(pct(xs, 50)), p95_ms: Math.round(pct(xs, 95)) };
    say(`${route.padEnd(42)} n=${String(xs.length).padStart(4)}  p50 ${String(result[route].p50_ms).padStart(5)} ms  p95 ${String(result[route].p95_ms).padStart(5)} ms`);
  }
  console.log(JSON.stringify({ participants: n, units: 63 * unitsPerProvince, users, rounds, wall_s: +wall.toFixed(1), routes: result }));
} finally {
  await database.close();
  await drop();
  await rm(work, { recursive: true, force: true });
}
