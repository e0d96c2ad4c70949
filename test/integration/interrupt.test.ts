// Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends it) and SIGTERM during `ddcn run`:
// one line, exit 130, every chunk either written whole or not at all, and the next run resumes the batch.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { rows } from '../helpers/pipeline.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importFixtures, startBin, startDdcn, startRegistryServer } from './http-harness.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  // Slow answers, small chunks: the run is still busy when the signal comes.
  server = await startRegistryServer(['--latency-ms', '150']);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all(databases.map((d) => d.drop()));
});

const runArgs = () => ['run', '--registry', 'http', '--registry-url', server.url, '--chunk-size', '40', '--batch-size', '10', '--concurrency', '1'];

async function interruptedRun(signal: NodeJS.Signals) {
  const t = await createTestDatabase();
  databases.push(t);
  await importFixtures(t.db);
  const p = startBin(runArgs(), { DATABASE_URL: t.url });
  for await (const line of p.stderrLines) if (line.includes('"msg":"batch started"')) break;
  await sleep(1500);
  p.kill(signal);
  return { t, ran: await p.done };
}

describe.each(['SIGINT', 'SIGTERM'] as const)('%s during ddcn run', (signal) => {
  it('says at once what it finishes, then what the next run does, exits 130, leaves every chunk whole, and the next run resumes the batch', async () => {
    const { t, ran } = await interruptedRun(signal);
    expect(ran.code, ran.stderr).toBe(130);
    const human = ran.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    expect(human).toEqual([
      `ddcn: stopping (${signal}): the chunk steps in hand finish first, within 30 s; a second Ctrl-C stops at once (the next run then does them again)`,
      'ddcn: interrupted; the next ddcn run resumes batch 1',
    ]);
    expect(ran.stderr).not.toMatch(/57P01|Unhandled|\n\s+at /);

    const chunks = await rows<{ chunk_no: number; done: boolean; written: number }>(
      t.db,
      `SELECT c.chunk_no, c.verified_at IS NOT NULL AS done,
              (SELECT count(*)::int FROM verification v WHERE v.batch_id = c.batch_id AND v.chunk_no = c.chunk_no) AS written
         FROM batch_chunk c WHERE c.batch_id = 1 ORDER BY c.chunk_no`,
    );
    // Stopped part-way: some chunks written, some not; a chunk not marked done has nothing written.
    expect(chunks.some((c) => c.done)).toBe(true);
    expect(chunks.some((c) => !c.done)).toBe(true);
    for (const c of chunks) if (!c.done) expect(c, 'an unfinished chunk has no outcomes').toMatchObject({ written: 0 });
    expect(await rows(t.db, 'SELECT phase FROM batch')).toEqual([{ phase: 'verify' }]);

    const again = await startDdcn(runArgs(), { DATABASE_URL: t.url, DDCN_LOG_LEVEL: 'warn' }).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('1\n');
    expect(await rows(t.db, 'SELECT phase FROM batch')).toEqual([{ phase: 'done' }]);
    expect(await rows(t.db, `SELECT count(*)::int AS n FROM participant WHERE status = 'PENDING'`)).toEqual([{ n: 0 }]);
  }, 120_000);
});

describe('a second Ctrl-C during ddcn run', () => {
  it('still says what the next run does, and exits 130 at once', async () => {
    // Answers slow enough that the chunk in hand is far from done when the second signal comes.
    const slow = await startRegistryServer(['--latency-ms', '2000']);
    onTestFinished(() => slow.stop().then(() => undefined));
    const t = await createTestDatabase();
    databases.push(t);
    await importFixtures(t.db);
    const args = ['run', '--registry', 'http', '--registry-url', slow.url, '--chunk-size', '40', '--batch-size', '10', '--concurrency', '1'];
    const p = startBin(args, { DATABASE_URL: t.url });
    for await (const line of p.stderrLines) if (line.includes('"msg":"batch started"')) break;
    await sleep(500);
    p.kill('SIGINT');
    await sleep(1500); // more than a second later: "stop now", not a copy of the same Ctrl-C
    p.kill('SIGINT');
    const ran = await p.done;
    expect(ran.code, ran.stderr).toBe(130);
    const human = ran.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    expect(human).toEqual([
      'ddcn: stopping (SIGINT): the chunk steps in hand finish first, within 30 s; a second Ctrl-C stops at once (the next run then does them again)',
      'ddcn: interrupted; the next ddcn run resumes batch 1 (stopped at once by a second SIGINT)',
    ]);
  }, 120_000);
});

describe('Ctrl-C while the last step of the batch is in hand, the registry having failed for some', () => {
  it('reports the batch done and the people left PENDING (exit 1), not "the next ddcn run resumes batch N" (130)', async () => {
    // Every third request or so fails and is not retried: some people are left PENDING; slow answers keep the
    // share step (the batch's last) in hand when the signal comes.
    const flaky = await startRegistryServer(['--latency-ms', '1500', '--fail-rate', '0.25', '--seed', '11']);
    onTestFinished(() => flaky.stop().then(() => undefined));
    const t = await createTestDatabase();
    databases.push(t);
    await importFixtures(t.db);
    const args = ['run', '--registry', 'http', '--registry-url', flaky.url, '--registry-retries', '0', '--chunk-size', '400', '--batch-size', '50', '--concurrency', '1'];
    const p = startBin(args, { DATABASE_URL: t.url, DDCN_LOG_LEVEL: 'debug' });
    for await (const line of p.stderrLines) if (line.includes('"stage":"share"') && line.includes('"msg":"chunk step started"')) break;
    await sleep(500);
    p.kill('SIGINT');
    const ran = await p.done;
    expect(await rows(t.db, 'SELECT phase FROM batch')).toEqual([{ phase: 'done' }]);
    expect(ran.stderr).toMatch(/^batch 1 done in .* [1-9][0-9]* PENDING/m);
    expect(ran.stderr).not.toContain('resumes batch');
    expect(ran.stderr).toMatch(/^ddcn: the registry is unavailable .*could not be verified/m);
    expect(ran.code, ran.stderr).toBe(1);
  }, 120_000);
});

/** 300 000 rows (~4 s to import here): still being read when the signal comes, right after the reading began. */
function bigFile(): string {
  const lines = ['ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to,ma_don_vi,ma_tinh'];
  for (let i = 0; i < 300_000; i++) lines.push(`01${String(i).padStart(8, '0')},Nguyễn Văn Hùng,1990,Nam,0231${String(i % 100_000).padStart(5, '0')},TA0001A,01`);
  return lines.join('\n') + '\n';
}

describe('Ctrl-C during a command that stops where it is (import)', () => {
  it('says so in one line and exits 130, nothing of the import kept', async () => {
    const t = await createTestDatabase();
    databases.push(t);
    const dir = await mkdtemp(path.join(tmpdir(), 'ddcn-interrupt-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true })); // an 18 MB file
    const file = path.join(dir, 'participants.csv');
    await writeFile(file, bigFile());
    const p = startBin(['import', 'participants', file], { DATABASE_URL: t.url });
    for await (const line of p.stderrLines) if (line.includes('columns missing')) break;
    p.kill('SIGINT');
    const ran = await p.done;
    expect(ran.code, ran.stderr).toBe(130);
    const human = ran.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    expect(human).toEqual(['ddcn: interrupted (SIGINT) before the command finished; what it had written whole stays, the rest was not kept: run it again']);
    expect(ran.stdout).toBe('');
    // The first load of a database is one transaction: nothing of it was kept.
    expect(await rows(t.db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('stops the embedded server it started before it exits', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ddcn-interrupt-home-'));
    const file = path.join(dir, 'participants.csv');
    await writeFile(file, bigFile());
    const home = path.join(dir, 'home');
    const p = startBin(['import', 'participants', file], { DDCN_HOME: home, DATABASE_URL: '' });
    for await (const line of p.stderrLines) if (line.includes('columns missing')) break;
    // A little into the load, when the server is busy with the import's statements (which then fail as it stops).
    await sleep(600);
    p.kill('SIGINT');
    const ran = await p.done;
    // The data folder is under DDCN_HOME, or where pg.location says (run as root, postgres cannot enter /root).
    const location = path.join(home, 'pg.location');
    const dataDir = existsSync(location) ? (await readFile(location, 'utf8')).trim() : path.join(home, 'pg');
    onTestFinished(() => Promise.all([rm(dir, { recursive: true, force: true }), rm(existsSync(location) ? path.dirname(dataDir) : dataDir, { recursive: true, force: true })]).then(() => undefined));
    expect(ran.code, ran.stderr).toBe(130);
    // One line about it (the new database's lines come before it), and no "failed" from the queries cut off.
    const said = ran.stderr.split('\n').filter((l) => /interrupted|failed/.test(l) && !l.startsWith('{'));
    expect(said).toEqual(['ddcn: interrupted (SIGINT) before the command finished; what it had written whole stays, the rest was not kept: run it again']);
    expect(existsSync(path.join(dataDir, 'PG_VERSION')), dataDir).toBe(true);
    expect(existsSync(path.join(dataDir, 'postmaster.pid')), 'the server is still running').toBe(false);
  }, 120_000);
});

describe('Ctrl-C while ddcn is still starting', () => {
  it('says that nothing was done, and exits 130', async () => {
    // The modules take about a second to load; the signal must come after node itself has started the bin (a
    // process that got it even earlier died of it, and the test tries again a little later).
    for (const delay of [400, 250, 600]) {
      const p = startBin(['lists', '--out', path.join(tmpdir(), 'never')], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      await sleep(delay);
      p.kill('SIGINT');
      const ran = await p.done;
      if (ran.signal === 'SIGINT') continue;
      expect(ran.code, ran.stderr).toBe(130);
      expect(ran.stderr.trim().split('\n').filter((l) => !l.startsWith('{'))).toHaveLength(1);
      expect(ran.stderr).toMatch(/^ddcn: interrupted \(SIGINT\) (while starting; nothing was done|before the command finished)/m);
      return;
    }
    throw new Error('every attempt was killed before node ran the bin');
  }, 60_000);
});
