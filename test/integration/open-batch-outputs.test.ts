// `ddcn lists` while a batch is open (its run at work, or killed): the lists are as of now, partly the batch's.
// `ddcn export results --batch ID` of a batch still verifying (its run still at work, or killed): the file holds the
// outcomes of the chunks verified so far, before the batch's conflicts are settled. Said, rather than a bare
// "exported N results of batch ID" a script archiving the batch takes for its result.
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ddcn } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { deps, writeParticipants } from '../helpers/pipeline.js';
import { LISTS_FOLDER_LOCK_CLASS } from '../../src/pipeline/lists.js';

const SLOW = 120_000;
let dir: string;
let t: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-export-open-'));
  t = await createTestDatabase();
  env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
  const unit = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '079', ma_huyen: '760' };
  await importParticipants(deps(t.db), await writeParticipants(dir, [
    { ma_so_bhxh: '0790000001', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...unit },
    { ma_so_bhxh: '0790000002', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '023456785', ...unit },
  ]));
  // A batch of two chunks, the first verified: its run was killed, or is still at work.
  await t.db.query(
    `INSERT INTO batch (registry, chunk_size, phase, chunks, chunks_verified, people, started_at) VALUES ('mock', 1, 'verify', 2, 1, 2, now())`,
  );
  await t.db.query(
    `INSERT INTO verification (batch_id, ma_so_bhxh, chunk_no, data_version, so_giay_to, status, fields, so_ddcn, verified_at)
     VALUES (1, '0790000001', 1, 1, '023456784', 'MATCHED', '{}', '079066000001', now())`,
  );
}, SLOW);

afterAll(async () => {
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('export results of a batch still verifying', () => {
  it('writes its outcomes so far and says that the batch is not finished, and what to do', async () => {
    const out = path.join(dir, 'batch-1.csv');
    const r = await ddcn(['export', 'results', '--batch', '1', '--out', out], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('ma_so_bhxh,status,fields,so_ddcn\n0790000001,MATCHED,,079066000001\n');
    expect(r.stderr).toContain(`exported 1 result of batch 1 to ${out}\n`);
    expect(r.stderr).toContain('batch 1 is not finished (1 of 2 chunks verified): these are its outcomes so far');
    expect(r.stderr).toContain('run `ddcn run` again with the registry flags it was started with');
  }, SLOW);

  it('says so too of an export of the current state while the batch is open, and nothing once it is done', async () => {
    const out = path.join(dir, 'now.csv');
    const r = await ddcn(['export', 'results', '--out', out], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`exported 2 results to ${out}\n`);
    expect(r.stderr).toContain('batch 1 is not finished (verify: 1 of 2 chunks verified, 0 written): the people it has not written yet have their earlier outcome');
    await t.db.query(`UPDATE batch SET phase = 'done', finished_at = now() WHERE id = 1`);
    const done = await ddcn(['export', 'results', '--out', out], env, SLOW - 10_000);
    expect(done.stderr).toBe(`exported 2 results to ${out}\n`);
    await t.db.query(`UPDATE batch SET phase = 'verify', finished_at = NULL WHERE id = 1`);
  }, SLOW);

  it('says nothing more once every chunk is verified (its outcomes are final, whatever is left to write)', async () => {
    await t.db.query(`UPDATE batch SET phase = 'write', chunks_verified = 2 WHERE id = 1`);
    const out = path.join(dir, 'batch-1-written.csv');
    const r = await ddcn(['export', 'results', '--batch', '1', '--out', out], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`exported 1 result of batch 1 to ${out}\n`);
  }, SLOW);
});

describe('lists while a batch is open', () => {
  it('with nobody verified yet, says the batch at work on them rather than "Run ddcn run", which would start another', async () => {
    await t.db.query(`UPDATE batch SET phase = 'verify', chunks_verified = 1 WHERE id = 1`);
    const r = await ddcn(['lists', '--out', path.join(dir, 'lists-none')], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'no lists: nobody on file is verified yet — 2 participants wait for verification (PENDING).\n' +
        'batch 1 is not finished (verify: 1 of 2 chunks verified, 0 written): its people go on Mẫu 01 or Mẫu 02 as it writes their outcomes. ' +
        'Let it finish (a killed run: run `ddcn run` again with the registry flags it was started with), then run ddcn lists again.\n',
    );
  }, SLOW);

  it('writes the lists and says that the batch is not finished, and what to do', async () => {
    await t.db.query(`UPDATE batch SET phase = 'verify', chunks_verified = 1 WHERE id = 1`);
    // Someone verified by an earlier batch: on Mẫu 01.
    await t.db.query(`UPDATE participant SET status = 'MATCHED', so_ddcn = '079092000002', so_giay_to = '079092000002', verified_version = data_version
                       WHERE ma_so_bhxh = '0790000002'`);
    const out = path.join(dir, 'lists');
    const r = await ddcn(['lists', '--out', out], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^wrote 1 file for 1 unit to .* 1 Mẫu 01 · 0 Mẫu 02 · 0 đề nghị hỗ trợ · 1 row\n/);
    expect(r.stderr).toContain('batch 1 is not finished (verify: 1 of 2 chunks verified, 0 written): the people it has not written yet');
    await t.db.query(`UPDATE batch SET phase = 'done', finished_at = now() WHERE id = 1`);
    const again = await ddcn(['lists', '--out', out], env, SLOW - 10_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('not finished');
  }, SLOW);

  it("says nothing of a province's batch to the lists of a unit that has nobody in that province", async () => {
    await t.db.query(`INSERT INTO batch (registry, province, chunk_size, phase, chunks, chunks_verified, people, started_at)
                      VALUES ('mock', '001', 1, 'verify', 2, 1, 2, now())`);
    const out = path.join(dir, 'lists-unit');
    const r = await ddcn(['lists', '--out', out, '--unit', 'DV0790001'], env, SLOW - 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('not finished');
    // The country's lists have that province's people on them: said.
    const all = await ddcn(['lists', '--out', path.join(dir, 'lists-all')], env, SLOW - 10_000);
    expect(all.stderr).toContain('batch 2 is not finished');
  }, SLOW);

  it('says what is open when its turn comes, not what was open when it began waiting for another lists into the folder', async () => {
    const out = path.join(dir, 'lists-turn');
    await mkdir(out);
    // Another ddcn lists is writing into the same folder (its lock held here) while batches 1 and 2 are open.
    await t.db.query(`UPDATE batch SET phase = 'verify', finished_at = NULL`);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const lock = [LISTS_FOLDER_LOCK_CLASS, await realpath(out)];
    const other = t.db.withSession(async (s) => {
      await s.query('SELECT pg_advisory_lock($1::int, hashtext($2::text))', lock);
      locked();
      await held;
      await s.query('SELECT pg_advisory_unlock($1::int, hashtext($2::text))', lock);
    });
    await isLocked;
    const waiting = ddcn(['lists', '--out', out], env, SLOW - 10_000);
    while (!(await t.db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The batches end while it waits: the lists it then writes hold their outcomes whole.
    await t.db.query(`UPDATE batch SET phase = 'done', finished_at = now()`);
    release();
    await other;
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('another ddcn lists is writing into the same folder: this one waits for it to end');
    expect(r.stderr).toMatch(/wrote 1 file for 1 unit/);
    expect(r.stderr).not.toContain('not finished');
  }, SLOW);
});
