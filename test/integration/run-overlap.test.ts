// Two chunk transactions are open at once during a run: the next one stores its outcomes while the one before is
// applied. These tests hold that to what a strictly one-after-the-other run would do.
import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Db, Queryable } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import type { RunConfig } from '../../src/pipeline/deps.js';
import {
  deps, exportedResults, mockRegistry, resetDatabase, rows, runDeps, databasePerFile, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();
const CONFIG: RunConfig = { chunkSize: 2, batchSize: 2, concurrency: 2 };
const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01', ma_huyen: '001' };

const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001081000003', so_cmnd: '023456780', ho_ten: 'Lê Văn Hưng', ngay_sinh: '14/07/1981', gioi_tinh: 'Nam' },
  { so_ddcn: '001075000006', so_cmnd: '034567891', ho_ten: 'Phạm Văn Đức', ngay_sinh: '1975', gioi_tinh: 'Nam' },
];
const hung = { ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', ...unit };
// Chunks of two: [01, 02] [03, 04] [05, 06]. Hùng is registered twice with his old CMND, in the first and the
// second chunk: nobody holds his ĐDCN until the first chunk is applied, so the second chunk's claim can only be
// found from what the first one put on file.
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0100000001', ...hung, so_giay_to: '012345678' },
  { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ', so_giay_to: '079185000002', ...unit },
  { ma_so_bhxh: '0100000003', ...hung, so_giay_to: '012345678' },
  { ma_so_bhxh: '0100000004', ho_ten: 'Lê Văn Hưng', ngay_sinh: '14/07/1981', gioi_tinh: 'Nam', so_giay_to: '023456780', ...unit },
  { ma_so_bhxh: '0100000005', ho_ten: 'Phạm Văn Đức', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '034567891', ...unit },
  { ma_so_bhxh: '0100000006', ho_ten: 'Đỗ Thị Mai', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...unit },
];

// The oracle, worked out by hand from PEOPLE and REGISTRY: Hùng's two codes are a conflict (nothing written for
// either), Thủy holds her ĐDCN already (shared, no history), Hưng and Đức get theirs in place of the CMND, Mai has
// no number.
const ORACLE = {
  results: [
    ['0100000001', 'CONFLICT', '', ''], ['0100000002', 'MATCHED', '', '079185000002'], ['0100000003', 'CONFLICT', '', ''],
    ['0100000004', 'MATCHED', '', '001081000003'], ['0100000005', 'MATCHED', '', '001075000006'], ['0100000006', 'MISSING_ID', '', ''],
  ].map(([ma_so_bhxh, status, fields, so_ddcn]) => ({ ma_so_bhxh, status, fields, so_ddcn })),
  history: [
    { ma_so_bhxh: '0100000004', so_cu: '023456780', so_moi: '001081000003' },
    { ma_so_bhxh: '0100000005', so_cu: '034567891', so_moi: '001075000006' },
  ],
  shares: [
    { ma_so_bhxh: '0100000002', so_ddcn: '079185000002' },
    { ma_so_bhxh: '0100000004', so_ddcn: '001081000003' },
    { ma_so_bhxh: '0100000005', so_ddcn: '001075000006' },
  ],
};

function expectOracle(state: Awaited<ReturnType<typeof endState>>) {
  expect(state.results).toEqual(ORACLE.results);
  expect(state.history).toEqual(ORACLE.history);
  expect(state.shares).toEqual(ORACLE.shares);
}

async function setUp(db: Db, people = PEOPLE) {
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, people));
  return { dir, registryFile: await writeRegistry(dir, REGISTRY) };
}

async function endState(db: Db, dir: string) {
  return {
    results: [...(await exportedResults(deps(db), dir)).rows.values()],
    numbers: await rows(db, 'SELECT ma_so_bhxh, so_giay_to, so_ddcn, status FROM participant ORDER BY 1'),
    history: await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi FROM number_history ORDER BY 1, 2'),
    shares: await rows(db, 'SELECT ma_so_bhxh, so_ddcn FROM share_record ORDER BY 1'),
    verifications: await rows(db, 'SELECT ma_so_bhxh, chunk_no, status, so_ddcn, detail FROM verification ORDER BY 1'),
    chunks: await rows(db, 'SELECT chunk_no, n_read, n_matched, n_conflict FROM batch_chunk ORDER BY 1'),
  };
}

/** Fails the apply statement of the n-th transaction as a deadlock victim would fail, once. */
function deadlockingDb(db: Db, n: number): { db: Db; fired: () => boolean } {
  let started = 0;
  let fired = false;
  const wrapped: Db = {
    ...db,
    withTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const mine = ++started;
      return db.withTransaction((tx) =>
        fn({
          ...tx,
          query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
            if (mine === n && !fired && text.trimStart().startsWith('WITH updated AS')) {
              fired = true;
              return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
            }
            return tx.query<R>(text, values);
          },
        }),
      );
    },
  };
  return { db: wrapped, fired: () => fired };
}

describe('run: two chunks written at once', () => {
  it('finds a conflict between a chunk and the one still being applied before it', async () => {
    const { db } = database();
    const { dir, registryFile } = await setUp(db);
    const result = await runBatch(runDeps(db, await mockRegistry(registryFile), CONFIG), { province: null });
    expect(result.counts).toMatchObject({ read: 6, matched: 3, conflict: 2, missing: 1 });

    const state = await endState(db, dir);
    expect(state.numbers.filter((p) => ['0100000001', '0100000003'].includes(String(p.ma_so_bhxh)))).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '012345678', so_ddcn: null, status: 'CONFLICT' },
      { ma_so_bhxh: '0100000003', so_giay_to: '012345678', so_ddcn: null, status: 'CONFLICT' },
    ]);
    // The number given to the first code while its chunk was applied was taken back: no history, nothing shared.
    expect(state.history).toEqual([
      { ma_so_bhxh: '0100000004', so_cu: '023456780', so_moi: '001081000003' },
      { ma_so_bhxh: '0100000005', so_cu: '034567891', so_moi: '001075000006' },
    ]);
    expect(state.shares.map((s) => s.ma_so_bhxh)).toEqual(['0100000002', '0100000004', '0100000005']);
    expectOracle(state);
  });

  it.each([2, 3, 4])('redoes the chunks one at a time when the server ends transaction %i as a deadlock victim', async (n) => {
    const { db } = database();
    const reference = await setUp(db);
    await runBatch(runDeps(db, await mockRegistry(reference.registryFile), CONFIG), { province: null });
    const expected = await endState(db, reference.dir);

    await resetDatabase(db);
    const { dir, registryFile } = await setUp(db);
    const deadlocking = deadlockingDb(db, n);
    const result = await runBatch(runDeps(deadlocking.db, await mockRegistry(registryFile), CONFIG), { province: null });
    expect(deadlocking.fired()).toBe(true);
    expect(result.counts).toMatchObject({ read: 6, matched: 3, conflict: 2, missing: 1 });
    const state = await endState(db, dir);
    expect(state).toEqual(expected);
    expectOracle(state);
  });

  it('decides a conflict party that lies in the next chunk once, as a one-at-a-time run would', async () => {
    // Hùng's second code already holds his ĐDCN on file: the first chunk names it a party while the second chunk,
    // which has that code too, is storing its outcomes. The two wait for each other; the server ends one and both
    // are redone in turn.
    const people = PEOPLE.map((p) => (p.ma_so_bhxh === '0100000003' ? { ...p, so_giay_to: '001090000001' } : p));
    const { db } = database();
    const { dir, registryFile } = await setUp(db, people);
    const result = await runBatch(runDeps(db, await mockRegistry(registryFile), CONFIG), { province: null });
    expect(result.counts).toMatchObject({ read: 6, matched: 3, conflict: 2, missing: 1 });

    const state = await endState(db, dir);
    expect(state.numbers.filter((p) => ['0100000001', '0100000003'].includes(String(p.ma_so_bhxh)))).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '012345678', so_ddcn: null, status: 'CONFLICT' },
      { ma_so_bhxh: '0100000003', so_giay_to: '001090000001', so_ddcn: null, status: 'CONFLICT' },
    ]);
    // Decided by the first chunk, and left alone by the second.
    expect(state.verifications.filter((v) => v.ma_so_bhxh === '0100000003')).toEqual([
      { ma_so_bhxh: '0100000003', chunk_no: 0, status: 'CONFLICT', so_ddcn: '001090000001', detail: { conflictWith: ['0100000001'] } },
    ]);
    expect(state.chunks).toEqual([
      { chunk_no: 0, n_read: 2, n_matched: 1, n_conflict: 1 },
      { chunk_no: 1, n_read: 2, n_matched: 1, n_conflict: 0 },
      { chunk_no: 2, n_read: 2, n_matched: 1, n_conflict: 0 },
    ]);
  });
});
