// `ddcn batch status`: what an operator reads while a batch runs (from any machine) and after it ended. Half-way,
// the people line says how many of the batch's people are read, so that "0 PENDING" is not taken for "all done".
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { batchStatus, type BatchStatus } from '../../src/db/batch-status.js';
import { workingConnectionName } from '../../src/db/jobs.js';
import { createDb } from '../../src/db/pool.js';
import { formatStatus } from '../../src/cli/commands/batch.js';
import { runBatch } from '../../src/pipeline/run.js';
import { workOnChunk } from '../../src/pipeline/chunk-work.js';
import { ddcn } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deps, GatedRegistry, mockRegistry, runDeps, writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';

const people: ParticipantInput[] = [1, 2, 3, 4, 5, 6].map((i) => ({
  ma_so_bhxh: `010000000${i}`, ho_ten: `Phạm Văn Số ${i}`, ngay_sinh: '01/02/1980', gioi_tinh: 'Nam', so_giay_to: `01234567${i}`,
  ma_don_vi: 'TA0001A', ma_tinh: '01',
}));

let dir: string;
let t: TestDatabase;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-batch-status-'));
  t = await createTestDatabase();
  await importParticipants(deps(t.db), await writeParticipants(dir, people));
});
afterAll(async () => {
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('ddcn batch status', () => {
  it('half-way through the verify phase: chunks and people read of the whole batch; after it, the same batch done', async () => {
    const registryFile = await writeRegistry(dir, people.slice(0, 4).map((p, i) => ({
      so_ddcn: `00108000000${i + 1}`, so_cmnd: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: '01/02/1980', gioi_tinh: 'Nam',
    })));
    const registry = await mockRegistry(registryFile);
    const opened = await t.db.withTransaction((tx) =>
      openBatch(tx, { registry: 'mock', province: null, chunkSize: 3, maxInFlight: null, now: new Date() }),
    );
    const batchId = opened!.batch.id;
    // One worker did the first chunk's verify step and nothing more (the others wait in the queue).
    const work = { ...runDeps(t.db, registry, { chunkSize: 3, batchSize: 3, concurrency: 1 }), queue: { enqueue: async () => undefined }, worker: 'host-a:41' };
    expect(await workOnChunk(work, { batchId, step: 'verify', chunkNo: 0 })).toBe(3);

    const env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
    const [text, json] = await Promise.all([ddcn(['batch', 'status'], env), ddcn(['batch', 'status', String(batchId), '--json'], env)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`batch ${batchId}: verify (asking the registry)`);
    expect(text.stdout).toContain('chunks: 1/2 verified · 0/2 written · 0/2 shared');
    expect(text.stdout).toContain('people: 3 of 6 read · 3 MATCHED · 0 MISMATCHED · 0 MISSING_ID · 0 CONFLICT · 0 PENDING · 0 errors');
    // Not yet in effect: the participants are as they were (PENDING), and the status says so under its counts.
    expect(text.stdout).toContain(
      "\n  (the registry's answers so far: people take these outcomes, in export results, lists and Mẫu 03, only when their chunk is written: 0/2 written)\n",
    );
    // Times as the offices read them: Vietnam's (the JSON keeps ISO in UTC).
    expect(text.stdout).toMatch(/\nstarted \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\+7\)\n/);
    expect(text.stdout).toMatch(/workers \(chunk steps done, last seen\):\n {2}host-a:41 {2}1 {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\+7\)/);
    // Nobody is connected: the batch waits for someone, and the operator is told what to start.
    expect(text.stdout).toMatch(/\nlast chunk step finished \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\+7\), (\d+[dhms])+\d* ago\n/);
    expect(text.stdout).toContain(
      '\nat work now: nobody — the batch waits. Run ddcn run --registry mock (with the flags it was started with) to resume it, or start ddcn worker\n',
    );
    const status = JSON.parse(json.stdout) as { id: number; phase: string; people: number; counts: { read: number }; chunks: { verified: number } };
    expect(status).toMatchObject({ id: batchId, phase: 'verify', people: 6, counts: { read: 3 }, chunks: { verified: 1 } });

    // Not with another registry: a usage error, said before anything is done (the batch is not marked resumed).
    const attempts = (await t.db.query('SELECT attempts FROM batch WHERE id = $1::bigint', [batchId])).rows;
    const other = await ddcn(['run', '--registry', 'file', '--outbox', path.join(dir, 'out'), '--inbox', path.join(dir, 'in')], env);
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toContain(
      `ddcn: batch ${batchId} is open and was started with --registry mock, not file: run ddcn run with the registry flags it was started with`,
    );
    expect((await t.db.query('SELECT attempts FROM batch WHERE id = $1::bigint', [batchId])).rows).toEqual(attempts);
    // Nothing done means no exchange folders made either.
    expect(existsSync(path.join(dir, 'out')) || existsSync(path.join(dir, 'in'))).toBe(false);

    // Anyone may finish it: `ddcn run` joins the open batch and ends it.
    const done = await ddcn(['run', '--registry', 'mock', '--registry-data', registryFile], env);
    expect(done.code, done.stderr).toBe(0);
    const after = await ddcn(['batch', 'status'], env);
    expect(after.stdout).toContain(`batch ${batchId}: done`);
    expect(after.stdout).not.toContain('at work now');
    expect(after.stdout).not.toContain('answers so far');
    expect(after.stdout).toContain('people: 6 of 6 read · 4 MATCHED · 2 MISMATCHED · 0 MISSING_ID · 0 CONFLICT · 0 PENDING · 0 errors · 4 shared');
    // A batch made by an older ddcn kept no total: the count stands alone rather than "6 of 0".
    await t.db.query('UPDATE batch SET people = 0 WHERE id = $1::bigint', [batchId]);
    const older = await ddcn(['batch', 'status'], env);
    expect(older.stdout).toContain('people: 6 read · 4 MATCHED');
  }, 120_000);

  it('while a worker holds chunk steps: who is at work, on what, what is queued; a step held past the takeover time is said', async () => {
    const own = await createTestDatabase();
    onTestFinished(() => own.drop());
    await importParticipants(deps(own.db), await writeParticipants(dir, people));
    const registryFile = await writeRegistry(dir, []);
    // A `ddcn worker` on another machine, as the database sees it, whose registry does not answer yet.
    const worker = createDb(own.url, { applicationName: workingConnectionName('worker', 'host-b:77') });
    const gate = new GatedRegistry(await mockRegistry(registryFile));
    const running = runBatch(runDeps(worker, gate, { chunkSize: 2, batchSize: 2, concurrency: 1 }), { province: null });
    onTestFinished(async () => {
      gate.open();
      await running.catch(() => undefined);
      await worker.close();
    });
    await gate.asked;
    const env = { DATABASE_URL: own.url, DDCN_HOME: path.join(dir, 'home') };
    const [text, json] = await Promise.all([ddcn(['batch', 'status'], env), ddcn(['batch', 'status', '--json'], env)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('\nno chunk step finished yet (started ');
    expect(text.stdout).toContain('\nat work now: host-b:77 (ddcn worker)\n');
    expect(text.stdout).toMatch(/^batch \d+: verify \(asking the registry\) · registry mock · requests of 2 people\n/);
    expect(text.stdout).toMatch(/\nin hand: verify of chunk \d for \d+s(, verify of chunk \d for \d+s)? · queued: [01]\n/);
    const status = JSON.parse(json.stdout) as BatchStatus;
    // Three chunks: each is in hand or queued, none lost between the two.
    expect(status.now.inHand.length + status.now.queued).toBe(3);
    expect(status.now.processes).toEqual([{ worker: 'host-b:77', role: 'worker' }]);

    // A run resumed twice queued every job again: each step still counts once.
    await own.db.query(
      `INSERT INTO pgboss.job (name, data, state, expire_in, retry_limit)
       SELECT name, data, 'created', expire_in, retry_limit FROM pgboss.job WHERE (data->>'batchId')::bigint = $1::bigint`,
      [status.id],
    );
    const [jobs] = (await own.db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE (data->>'batchId')::bigint = $1::bigint AND state <> 'completed'`, [status.id])).rows;
    expect(jobs).toEqual({ n: 6 });
    const copies = await batchStatus(own.db, null, new Date());
    expect(copies!.now.inHand.length + copies!.now.queued).toBe(3);

    // The worker's machine went silent an hour ago, its step still in hand: said, with what happens next.
    await own.db.query(`UPDATE pgboss.job SET started_on = started_on - interval '1 hour' WHERE state = 'active'`);
    const stale = await batchStatus(own.db, null, new Date());
    expect(formatStatus(stale!)).toMatch(
      /\n {2}chunk \d's verify has been in hand longer than a step may take: its process is taken for dead \(killed, its machine lost\), and the step goes to the next worker that asks/,
    );
    // Nobody at work on a province's batch: the command that resumes it names the province (without it, a run would go
    // on to a batch of the whole country once this one is done).
    const alone = { ...stale!, province: '01', now: { ...stale!.now, processes: [] } };
    expect(formatStatus(alone)).toContain('at work now: nobody — the batch waits. Run ddcn run --registry mock --province 01 (with the flags');
  }, 120_000);

  it("names a run's connections as ddcn does whatever DATABASE_URL says, and keeps a long host's process id", async () => {
    const url = new URL(t.url);
    url.searchParams.set('application_name', 'ddcn-nightly');
    const named = createDb(url.toString(), { applicationName: workingConnectionName('run', 'host-c:9') });
    onTestFinished(() => named.close());
    expect((await named.query<{ name: string }>(`SELECT current_setting('application_name') AS name`)).rows[0]!.name).toBe('ddcn-run host-c:9');
    const long = workingConnectionName('worker', `${'a'.repeat(40)}.bhxh.gov.vn:123456`);
    expect([long.length, long.endsWith(':123456')]).toEqual([63, true]);
    expect(long.startsWith('ddcn-worker aaaa')).toBe(true);
  });

  it('no batch yet, or one that does not exist: exit 1 saying what to do', async () => {
    const empty = await createTestDatabase();
    try {
      const env = { DATABASE_URL: empty.url, DDCN_HOME: path.join(dir, 'home') };
      const [none, missing] = await Promise.all([ddcn(['batch', 'status'], env), ddcn(['batch', 'status', '99'], env)]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('no batch yet: start one with `ddcn run`');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no batch 99; `ddcn batch status` shows the latest');
    } finally {
      await empty.drop();
    }
  }, 60_000);
});
