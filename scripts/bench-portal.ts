// `npx tsx scripts/bench-portal.ts [--participants N] [--units U] [--unit-skew K] [--users 20] [--rounds R] [--keep] [--reuse URL]`:
// the portal under signed-in users at once, over a real socket. Generates N participants over about U managing
// units, verifies them once, moves 500 unmatched people into one unit (a 500-person Mẫu 02), signs in `--users`
// accounts of every role (national, province, district, unit) and has each ask its pages `--rounds` times at once,
// from a thread of their own (scripts/lib/bench-portal-client.mjs) so the clients do not share the server's event loop.
// Before that, alone: the national figures worked out as `ddcn serve` does in the background and the first national
// dashboard after that, the first dashboard of the other kinds of scope after the run (cache empty), the
// first national dashboard as of a past day, and the first after a correction (the cache's figures as of now no
// longer hold). Prints p50/p95 per page and role; the last line is JSON.
// `--keep` leaves the generated database (needs DATABASE_URL) and prints `--reuse URL` to time it again without
// generating anything. (A benchmark, not a test: figures depend on the machine, so record `uptime` next to them.)
import { readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
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
import { warmNationalFigures } from '../src/portal/figures.js';
import { hashPassword } from '../src/portal/passwords.js';
import { DEFAULT_PORTAL_SETTINGS } from '../src/portal/settings.js';
import { writeSynthetic } from './lib/synth.js';
import { benchWorkDir, freshBenchDatabase } from './lib/bench-db.js';
import { portalSignIn } from './lib/portal-sign-in.js';

const TICKS = 100; // USER_HZ: /proc's CPU times are in hundredths of a second on Linux
/** CPU seconds of this process's main thread (Linux: /proc/self/task/<pid>/stat, utime + stime). */
function threadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
/** CPU seconds of every `postgres` process of the machine (the benchmark's server is local), 0 where unreadable. */
async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const name = /\(([^)]*)\)/.exec(stat)?.[1] ?? '';
    if (!name.startsWith('postgres')) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) / TICKS;
  }
  return total;
}

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '1000000' },
    units: { type: 'string', default: '20000' },
    // 1: people spread evenly over the units (50 each at the defaults); 2: a few large units at the head of each
    // province's list and many small ones (scripts/lib/synth.ts unitSkew), which costs differ by unit size show.
    'unit-skew': { type: 'string', default: '1' },
    users: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '2207' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
  },
});
const n = Number(values.participants);
const unitsPerProvince = Math.max(1, Math.round(Number(values.units) / 63));
const unitSkew = Number(values['unit-skew']); // checked by the generator (1 … 16)
const users = Number(values.users);
const rounds = Number(values.rounds);
const say = (msg: string) => process.stderr.write(`bench-portal: ${msg}\n`);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const PASSWORD = 'bench-portal-password';
const BIG = 'DVBENCH0500';
// The users' roles in turn: 20 users are 4 national, 8 province, 4 district and 4 unit accounts.
const ROLES = ['national', 'province', 'district', 'unit', 'province'] as const;

if (values.keep && !process.env.DATABASE_URL) throw new Error('--keep needs DATABASE_URL (the embedded server goes with the process)');
const work = await benchWorkDir('ddcn-bench-portal-');
const fresh = values.reuse ? { databaseUrl: values.reuse, drop: async () => undefined } : await freshBenchDatabase('ddcn_bench_portal');
const database = await openDatabase({ databaseUrl: fresh.databaseUrl, home: path.join(work, 'home'), poolSize: DEFAULT_PORTAL_SETTINGS.dbConnections }); // as `ddcn serve`
const log = createLogger('warn');
const deps = { db: database.db, log, now: () => new Date() };
const q = async <T extends object>(sql: string, params: unknown[] = []) => (await database.db.query<T>(sql, params)).rows;
try {
  const t = process.hrtime.bigint();
  if (!values.reuse) {
    const data = await writeSynthetic(path.join(work, 'data'), { count: n, seed: Number(values.seed), matchRate: 0.9, unitsPerProvince, unitSkew });
    await importParticipants(deps, data.participantsFile, path.join(work, 'rejects.csv'));
    say(`${n} participants imported in ${seconds(t).toFixed(0)} s`);
    const registry = new MockRegistry(await databaseDirectory(database.db, data.registryFile));
    await runBatch({ ...deps, registry, config: DEFAULT_RUN_CONFIG }, { province: null });
    say(`${n} participants over ${63 * unitsPerProvince} units imported and verified in ${seconds(t).toFixed(0)} s`);

    // One unit with 500 people on its Mẫu 02, in the first province.
    const first = (await q<{ ma_tinh: string }>(`SELECT min(ma_tinh) AS ma_tinh FROM participant`))[0]!.ma_tinh;
    await q(`INSERT INTO unit (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at) SELECT $1::text, 'Đơn vị 500 người', '', $2::text, min(ma_huyen), now() FROM participant WHERE ma_tinh = $2::text`, [BIG, first]);
    await q(
      `UPDATE participant SET ma_don_vi = $1::text WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM participant WHERE ma_tinh = $2::text AND status <> 'MATCHED' ORDER BY ma_so_bhxh LIMIT 500)`,
      [BIG, first],
    );
    await q('VACUUM ANALYZE');
  } else {
    // Timed again from scratch: no figures kept, the accounts made anew.
    await q('TRUNCATE figures_cache');
    await q(`DELETE FROM portal_user WHERE login LIKE 'bench-%'`);
  }
  // What the unit pages count: a page's cost follows the people of its units, not their number.
  const shape = (await q<{ median: number; largest: number }>(
    `SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY n))::int AS median, max(n)::int AS largest
       FROM (SELECT count(*) AS n FROM participant GROUP BY ma_don_vi) u`,
  ))[0]!;
  say(`people per unit: median ${shape.median}, largest ${shape.largest}`);
  const big = (await q<{ ma_tinh: string; ma_huyen: string }>(`SELECT ma_tinh, ma_huyen FROM unit WHERE ma_don_vi = $1::text`, [BIG]))[0]!;
  const unitsOf = (await q<{ ma_don_vi: string; ma_huyen: string }>(`SELECT ma_don_vi, ma_huyen FROM unit WHERE ma_tinh = $1::text ORDER BY ma_don_vi`, [big.ma_tinh]));
  const districtUnits = unitsOf.filter((u) => u.ma_huyen === big.ma_huyen);
  const numbers = (await q<{ so_giay_to: string }>(`SELECT so_giay_to FROM participant WHERE ma_tinh = $1::text AND so_giay_to IS NOT NULL LIMIT 200`, [big.ma_tinh])).map((r) => r.so_giay_to);
  // People of the 500 not corrected yet: one is corrected through the form below, a different one on each run.
  const uncorrected = (await q<{ ma_so_bhxh: string }>(
    `SELECT ma_so_bhxh FROM participant p WHERE ma_don_vi = $1::text AND status IN ('MISMATCHED', 'MISSING_ID', 'CONFLICT')
        AND NOT EXISTS (SELECT 1 FROM participant_correction c WHERE c.ma_so_bhxh = p.ma_so_bhxh) ORDER BY ma_so_bhxh LIMIT 1`, [BIG])).map((r) => r.ma_so_bhxh);

  const hash = await hashPassword(PASSWORD);
  const accounts: Array<{ login: string; scope: Scope }> = [];
  for (let i = 0; i < users; i++) {
    const role = ROLES[i % ROLES.length]!;
    const scope: Scope =
      role === 'national' ? { role }
      : role === 'province' ? { role, maTinh: big.ma_tinh }
      : role === 'district' ? { role, maTinh: big.ma_tinh, maHuyen: big.ma_huyen }
      : { role, maDonVi: BIG };
    accounts.push({ login: `bench-${i}`, scope });
    await insertUser(database.db, { login: `bench-${i}`, scope, passwordHash: hash, now: new Date() });
  }
  // As autovacuum would in time: the accounts of an earlier --reuse run left dead rows behind, and with them the
  // planner scanned portal_user on every request.
  await q('VACUUM ANALYZE portal_user, portal_session, audit_log');
  const totals = (await q<{ people: number; units: number }>(`SELECT (SELECT count(*) FROM participant)::int AS people, (SELECT count(*) FROM unit)::int AS units`))[0]!;

  const { app } = await buildPortal({ deps: { ...deps }, settings: { ...DEFAULT_PORTAL_SETTINGS, loginsPerMinute: 10_000 } });
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

  const signIn = async (login: string) => {
    const cookie = await portalSignIn(base, login, PASSWORD);
    const home = await fetch(`${base}/units`, { headers: { cookie } });
    const token = /name="_csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    return { cookie, token };
  };

  const timings = new Map<string, number[]>();
  const timed = async (route: string, fn: () => Promise<Response>, expect = 200) => {
    const t0 = process.hrtime.bigint();
    const res = await fn();
    await res.arrayBuffer();
    if (res.status !== expect) throw new Error(`${route} answered ${res.status}`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    (timings.get(route) ?? timings.set(route, []).get(route)!).push(ms);
    return ms;
  };

  const sessions = await Promise.all(accounts.map(async (a) => ({ ...a, ...(await signIn(a.login)) })));
  const of = (role: Scope['role']) => sessions.find((s) => s.scope.role === role)!;
  const get = (s: { cookie: string }, url: string) => () => fetch(`${base}${url}`, { headers: { cookie: s.cookie } });
  const post = (s: { cookie: string; token: string }, url: string, form: Record<string, string>) => () =>
    fetch(`${base}${url}`, {
      method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.token, ...form }),
    });

  // Alone, one after the other: what the figures cache does not hide. The national figures as `ddcn serve` has
  // them: it works them out in the background at start and every 15 s (warmNationalFigures), so that time is
  // printed, then the first national dashboard after it.
  const w0 = process.hrtime.bigint();
  await warmNationalFigures(deps);
  say(`ddcn serve's background work-out of the national figures after the run: ${(seconds(w0) * 1000).toFixed(0)} ms`);
  say(`first national dashboard after it: ${(await timed('first dashboard after the run, serve warmed [national]', get(of('national'), '/'))).toFixed(0)} ms`);
  for (const role of ['province', 'district', 'unit'] as const) {
    say(`first ${role} dashboard after the run: ${(await timed(`first dashboard after the run [${role}]`, get(of(role), '/'))).toFixed(0)} ms`);
  }
  const past = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
  say(`first national dashboard as of ${past}: ${(await timed('first dashboard as of a past day [national]', get(of('national'), `/?as_of=${past}`))).toFixed(0)} ms`);
  if (uncorrected[0]) {
    // Saved, the form leads to the page that says so (303): the time is the correction's.
    const ms = await timed('correction by form [unit]', post(of('unit'), `/units/${BIG}/people/${uncorrected[0]}`, { ho_ten: 'Nguyễn Văn Sửa', ngay_sinh: '', gioi_tinh: '', so_ddcn: '' }), 303);
    say(`a correction through the form: ${ms.toFixed(0)} ms`);
    say(`first national dashboard after it: ${(await timed('first dashboard after a correction [national]', get(of('national'), '/'))).toFixed(0)} ms`);
  }

  // CPU spent meanwhile by this thread (the server's event loop) and by PostgreSQL's processes: unlike the
  // latencies, these hardly move with what else the machine is doing, so they compare two versions of the code.
  const cpuBefore = { server: threadCpuSeconds(), postgres: await postgresCpuSeconds() };
  // The users at once, from another thread (scripts/lib/bench-portal-client.mjs): this thread is the server's.
  const client = new Worker(new URL('./lib/bench-portal-client.mjs', import.meta.url), {
    workerData: {
      base, rounds, big: BIG, totalUnits: totals.units, numbers,
      sessions: sessions.map((s) => ({ scope: s.scope, cookie: s.cookie, token: s.token })),
      unitsOf: unitsOf.map((u) => ({ ma_don_vi: u.ma_don_vi })), districtUnits: districtUnits.map((u) => ({ ma_don_vi: u.ma_don_vi })),
    },
  });
  const loadResult = await new Promise<{ timings: Record<string, number[]>; wallMs: number }>((resolve, reject) => {
    client.once('message', resolve);
    client.once('error', reject);
    client.once('exit', (code) => reject(new Error(`the benchmark's client thread exited with code ${code}`)));
  });
  for (const [route, xs] of Object.entries(loadResult.timings)) (timings.get(route) ?? timings.set(route, []).get(route)!).push(...xs);
  const wall = loadResult.wallMs / 1000;
  const requests = Object.values(loadResult.timings).reduce((n, xs) => n + xs.length, 0);
  const cpu = { server: threadCpuSeconds() - cpuBefore.server, postgres: (await postgresCpuSeconds()) - cpuBefore.postgres };
  say(`${requests} requests in ${wall.toFixed(1)} s: CPU per request ${((cpu.server / requests) * 1000).toFixed(1)} ms in the server's thread, ${((cpu.postgres / requests) * 1000).toFixed(1)} ms in PostgreSQL`);
  await app.close();

  const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
  const result: Record<string, { n: number; p50_ms: number; p95_ms: number }> = {};
  for (const [route, xs] of [...timings].sort(([a], [b]) => a.localeCompare(b))) {
    result[route] = { n: xs.length, p50_ms: Math.round(pct(xs, 50)), p95_ms: Math.round(pct(xs, 95)) };
    say(`${route.padEnd(58)} n=${String(xs.length).padStart(4)}  p50 ${String(result[route].p50_ms).padStart(5)} ms  p95 ${String(result[route].p95_ms).padStart(5)} ms`);
  }
  const load = loadavg().map((l) => +l.toFixed(2));
  if (values.keep) say(`kept: --reuse ${fresh.databaseUrl}`);
  console.log(JSON.stringify({
    participants: totals.people, units: totals.units, unit_people: { median: shape.median, largest: shape.largest }, users, rounds, wall_s: +wall.toFixed(1), loadavg: load,
    cpu_ms_per_request: { server_thread: +((cpu.server / requests) * 1000).toFixed(1), postgres: +((cpu.postgres / requests) * 1000).toFixed(1) },
    routes: result,
  }));
} finally {
  await database.close();
  if (!values.keep) await fresh.drop();
  await rm(work, { recursive: true, force: true });
}
