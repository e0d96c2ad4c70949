// `sudo npx tsx scripts/netns-workers.ts`: the distributed run across a network. Two `ddcn worker`s run in network
// namespaces of their own (ip netns, a veth pair each), reaching PostgreSQL and the mock registry only over the
// veth link: PostgreSQL (DATABASE_URL's server, usually listening on loopback only) through a TCP relay on the
// host side of the link, the mock registry listening there itself. `ddcn run --workers 1` on the host opens the
// batch; the end state is checked against fixtures/expected-results.csv; everything is torn down, also on failure.
// Needs root (ip netns); not part of npm test.
//
// `--partition`: once the second worker has begun a chunk step, its link is cut silently (both ends of the veth
// pair down: no packet passes and no reset is sent, as when a cable is pulled): that worker must exit 1 saying it lost the database,
// and the others must finish the batch to the same end state.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { adminQuery } from './lib/bench-db.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const server = process.env.DATABASE_URL;
if (!server) throw new Error('netns-workers needs DATABASE_URL (a server it may create a database on)');
if (process.getuid?.() !== 0) throw new Error('netns-workers needs root: it creates network namespaces');

const say = (msg: string) => process.stderr.write(`netns: ${msg}\n`);
const partition = process.argv.includes('--partition');
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const LINKS = [1, 2].map((i) => ({ ns: `ddcn-w${i}`, host: `ddcn-h${i}`, peer: `ddcn-p${i}`, hostIp: `10.220.${i}.1`, peerIp: `10.220.${i}.2` }));
const DB = `ddcn_netns_${process.pid}`;
const dbUrl = (host: string, port: number) => {
  const u = new URL(server);
  u.hostname = host;
  u.port = String(port);
  u.pathname = `/${DB}`;
  return u.toString();
};
const pgTarget = new URL(server);

const children: ChildProcess[] = [];
const relays: Server[] = [];
function ddcn(args: string[], env: Record<string, string>, ns?: string): { child: ChildProcess; lines: string[]; done: Promise<number | null> } {
  const cmd = ns ? 'ip' : TSX;
  const argv = ns ? ['netns', 'exec', ns, TSX, 'src/cli/main.ts', ...args] : ['src/cli/main.ts', ...args];
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  return { child, lines, done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}
const waitFor = async (lines: string[], text: string, ms = 120_000) => {
  const until = Date.now() + ms;
  while (!lines.some((l) => l.includes(text))) {
    if (Date.now() > until) throw new Error(`timed out waiting for "${text}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const admin = (sql: string) => adminQuery(server, sql);

let failed = false;
try {
  for (const l of LINKS) {
    ip('netns', 'add', l.ns);
    ip('link', 'add', l.host, 'type', 'veth', 'peer', 'name', l.peer);
    ip('link', 'set', l.peer, 'netns', l.ns);
    ip('addr', 'add', `${l.hostIp}/24`, 'dev', l.host);
    ip('link', 'set', l.host, 'up');
    ip('netns', 'exec', l.ns, 'ip', 'addr', 'add', `${l.peerIp}/24`, 'dev', l.peer);
    ip('netns', 'exec', l.ns, 'ip', 'link', 'set', l.peer, 'up');
    ip('netns', 'exec', l.ns, 'ip', 'link', 'set', 'lo', 'up');
    // PostgreSQL listens on loopback: relay the veth address's port to it.
    const relay = createServer((socket) => {
      const upstream = connect(Number(pgTarget.port || 5432), pgTarget.hostname);
      socket.pipe(upstream).pipe(socket);
      const close = () => (socket.destroy(), upstream.destroy());
      socket.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(15432, l.hostIp, resolve));
    relays.push(relay);
    say(`namespace ${l.ns}: ${l.peerIp} ↔ host ${l.hostIp} (PostgreSQL relayed at ${l.hostIp}:15432)`);
  }
  await admin(`CREATE DATABASE ${DB}`);
  const hostUrl = dbUrl(pgTarget.hostname, Number(pgTarget.port || 5432));
  const imp = ddcn(['import', 'participants', 'fixtures/participants.csv', '--rejects', `/tmp/${DB}.rejects.csv`], { DATABASE_URL: hostUrl });
  if ((await imp.done) !== 0) throw new Error(`import failed: ${imp.lines.join('\n')}`);

  // The mock registry listens on both links' host addresses (0.0.0.0 would reach beyond them); one per link.
  const registries = LINKS.map((l) => {
    const r = ddcn(['registry', 'serve', '--data', 'fixtures/registry.csv', '--host', l.hostIp, '--port', '18080', '--latency-ms', '50'], { DDCN_LOG_LEVEL: 'warn' });
    return r;
  });
  const urls = await Promise.all(registries.map((r) => new Promise<string>((resolve) => createInterface({ input: r.child.stdout! }).once('line', (l) => resolve(l.trim())))));
  say(`mock registries at ${urls.join(', ')}`);

  const flags = ['--batch-size', '10', '--concurrency', '2'];
  const workers = LINKS.map((l, i) =>
    ddcn(['worker', '--registry', 'http', '--registry-url', urls[i]!, ...flags], { DATABASE_URL: dbUrl(l.hostIp, 15432), DDCN_LOG_LEVEL: partition ? 'debug' : 'info' }, l.ns),
  );
  await Promise.all(workers.map((w) => waitFor(w.lines, 'worker started'))).catch((err: unknown) => {
    for (const w of workers) say(`worker said: ${w.lines.slice(-5).join(' | ').slice(0, 1500)}`);
    throw err;
  });
  say('both workers started inside their namespaces');
  const runStart = Date.now();
  const run = ddcn(['run', '--registry', 'http', '--registry-url', urls[0]!, ...flags, '--chunk-size', '20', '--workers', '1'], { DATABASE_URL: hostUrl, DDCN_LOG_LEVEL: 'info' });
  let cut: { at: number; exited: Promise<{ code: number | null; after: number }> } | null = null;
  if (partition) {
    const [, w2] = workers;
    const l2 = LINKS[1]!;
    await waitFor(w2!.lines, 'chunk step started');
    // Both ends of the link down: no packet passes and nobody is told (no reset), as when a cable is pulled.
    ip('netns', 'exec', l2.ns, 'ip', 'link', 'set', l2.peer, 'down');
    ip('link', 'set', l2.host, 'down');
    const at = Date.now();
    say(`cut ${l2.ns}'s link silently while its worker was in a chunk step`);
    cut = { at, exited: w2!.done.then((code) => ({ code, after: Date.now() - at })) };
  }
  const runCode = await run.done;
  say(`ddcn run exited ${runCode} after ${((Date.now() - runStart) / 1000).toFixed(1)} s: ${run.lines.find((l) => l.startsWith('batch '))}`);
  let cutWorker: { code: number | null; after: number; said: string | undefined } | null = null;
  if (cut) {
    const ended = await Promise.race([cut.exited, new Promise<null>((r) => setTimeout(() => r(null), 600_000))]);
    const said = workers[1]!.lines.find((l) => /lost the database/.test(l));
    cutWorker = ended ? { ...ended, said } : { code: null, after: Date.now() - cut.at, said };
    say(ended ? `the cut worker exited ${ended.code} ${(ended.after / 1000).toFixed(1)} s after the cut: ${said?.slice(0, 400)}` : 'the cut worker has not exited 10 min after the cut');
  }
  for (const w of cut ? workers.slice(0, 1) : workers) {
    const pid = /"pid":(\d+)/.exec(w.lines.find((l) => l.includes('"pid":'))!)![1];
    process.kill(Number(pid), 'SIGTERM');
  }
  const workerCodes = await Promise.all((cut ? workers.slice(0, 1) : workers).map((w) => w.done));
  say(`workers exited ${workerCodes.join(', ')}`);

  const c = new pg.Client({ connectionString: hostUrl });
  await c.connect();
  try {
    const byWorker = await c.query<{ worker: string; steps: number }>(
      `SELECT w AS worker, count(*)::int AS steps FROM batch_chunk, unnest(ARRAY[verified_by, written_by, shared_by]) AS w GROUP BY w ORDER BY w`,
    );
    say(`chunk steps by worker: ${byWorker.rows.map((r) => `${r.worker} ${r.steps}`).join(' · ')}`);
    const got = await c.query<{ ma_so_bhxh: string; status: string; fields: string }>(
      `SELECT ma_so_bhxh, status, array_to_string(status_fields, ';') AS fields FROM participant ORDER BY 1`,
    );
    const expected = (await readFile(path.join(ROOT, 'fixtures/expected-results.csv'), 'utf8')).trim().split('\n').slice(1);
    const actual = got.rows.map((r) => `${r.ma_so_bhxh},${r.status},${r.fields}`);
    const differences = expected.filter((line, i) => actual[i] !== line).length + Math.abs(expected.length - actual.length);
    const shares = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM share_record')).rows[0]!.n;
    const dupHistory = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT ma_so_bhxh FROM number_history GROUP BY 1 HAVING count(*) > 1) d')).rows[0]!.n;
    const inNs = byWorker.rows.filter((r) => workers.some((w) => w.lines.some((l) => l.includes(`"worker":"${r.worker}"`)))).length;
    say(`end state: ${actual.length} participants, ${differences} differences from expected-results.csv, ${shares} shares, ${dupHistory} duplicate history rows`);
    failed = runCode !== 0 || workerCodes.some((x) => x !== 0) || differences > 0 || shares !== 291 || dupHistory > 0 || inNs === 0 ||
      (cutWorker !== null && (cutWorker.code !== 1 || !cutWorker.said));
    say(failed ? 'FAILED' : `OK: ${inNs} worker(s) in namespaces did chunk steps over the veth links; end state as expected`);
  } finally {
    await c.end();
  }
} catch (err) {
  failed = true;
  say(`FAILED: ${(err as Error).message}`);
} finally {
  for (const ch of children) if (ch.exitCode === null) ch.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
  for (const r of relays) r.close();
  for (const l of LINKS) {
    try { ip('link', 'del', l.host); } catch { /* gone with its namespace */ }
    try { ip('netns', 'del', l.ns); } catch { /* never made */ }
  }
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
  say('torn down: namespaces, veth pairs, relays, processes, database');
}
process.exit(failed ? 1 : 0);
