import { describe, expect, it } from 'vitest';
import { stillFailed } from '../../src/db/batches.js';
import { lookupNumber } from '../../src/db/results.js';
import type { Db, Session } from '../../src/db/pool.js';
import { RegistryGateError } from '../../src/adapters/shared-cap.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { capturedLog } from '../helpers/log.js';
import {
  deps, exportedResults, mockRegistry, rows, runDeps, SpyRegistry, databasePerFile, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001081000003', so_cmnd: '023456780', ho_ten: 'Lê Văn Hưng', ngay_sinh: '14/07/1981', gioi_tinh: 'Nam' },
  { so_ddcn: '001075000006', so_cmnd: '034567891', ho_ten: 'Phạm Văn Đức', ngay_sinh: '1975', gioi_tinh: 'Nam' },
  { so_ddcn: '079090000009', so_cmnd: '290000009', ho_ten: 'Trần Văn Chín', ngay_sinh: '09/09/1990', gioi_tinh: 'Nam' },
];

const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01', ma_huyen: '001' };
const PEOPLE: ParticipantInput[] = [
  // registry knows the old CMND: confirmed, ĐDCN written in its place
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012 345 678', vssid: '1', ...unit },
  // already an ĐDCN; old tone placement and lower case still match
  { ma_so_bhxh: '0100000002', ho_ten: 'trần thị thuỷ', ngay_sinh: '1985-12-25', gioi_tinh: 'nu', so_giay_to: '079185000002', ...unit },
  // three fields wrong
  { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Hùng', ngay_sinh: '14/07/1980', gioi_tinh: 'Nữ', so_giay_to: '023456780', ...unit },
  // a number the registry does not know
  { ma_so_bhxh: '0100000004', ho_ten: 'Hoàng Văn Nam', ngay_sinh: '1970', gioi_tinh: 'Nam', so_giay_to: '099999999', ...unit },
  // no usable number: not sent
  { ma_so_bhxh: '0100000005', ho_ten: 'Đỗ Thị Mai', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...unit },
  // two codes, one person: neither gets the number
  { ma_so_bhxh: '0100000006', ho_ten: 'Phạm Văn Đức', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '034567891', ...unit },
  { ma_so_bhxh: '0100000007', ho_ten: 'Phạm Văn Đức', ngay_sinh: '1975', gioi_tinh: 'M', so_giay_to: '001075000006', ...unit },
  { ma_so_bhxh: '0100000008', ho_ten: 'Vũ Văn Tám', ngay_sinh: '1988', gioi_tinh: 'Nam', so_giay_to: 'không có', ...unit },
];

const EXPECTED_RESULTS = [
  ['0100000001', 'MATCHED', '', '001090000001'],
  ['0100000002', 'MATCHED', '', '079185000002'],
  ['0100000003', 'MISMATCHED', 'dob;name;sex', ''],
  ['0100000004', 'MISMATCHED', 'id_number', ''],
  ['0100000005', 'MISSING_ID', '', ''],
  ['0100000006', 'CONFLICT', '', ''],
  ['0100000007', 'CONFLICT', '', ''],
  ['0100000008', 'MISSING_ID', '', ''],
];
const asRows = (r: Awaited<ReturnType<typeof exportedResults>>) => [...r.rows.values()].map((x) => [x.ma_so_bhxh, x.status, x.fields, x.so_ddcn]);

async function setup() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const mock = await mockRegistry(await writeRegistry(dir, REGISTRY), { keepShared: true });
  const spy = new SpyRegistry(mock);
  return { db, dir, mock, spy };
}

describe('run: one batch against the mock registry', () => {
  it('stops on a database failure taking a registry slot, as on any database failure, instead of leaving people PENDING under a registry failure', { timeout: 30_000 }, async () => {
    const { db, dir, spy } = await setup();
    let failures = 2;
    const fail = (text: string) =>
      text.includes('pg_try_advisory_lock') && failures-- > 0 ? Promise.reject(new Error('canceling statement due to statement timeout')) : undefined;
    const flaky = {
      ...db,
      withSession: <T>(fn: (session: Session) => Promise<T>) =>
        db.withSession((session) => fn({ ...session, query: (text: string, values?: unknown[]) => fail(text) ?? session.query(text, values) } as Session)),
    } as Db;
    const { log, lines } = capturedLog('debug');
    // The run stops with the database's failure (the batch stays open); nothing was stored as the registry's.
    await expect(runBatch({ ...runDeps(flaky, spy), log }, { province: null, maxInFlight: 2 })).rejects.toBeInstanceOf(RegistryGateError);
    expect(await rows(db, `SELECT count(*)::int AS n FROM verification WHERE status = 'PENDING'`)).toEqual([{ n: 0 }]);
    // The next run resumes the batch and settles everyone.
    const result = await runBatch({ ...runDeps(flaky, spy), log }, { province: null, maxInFlight: 2 });
    expect(result).toMatchObject({ resumed: true, counts: { pending: 0, errors: 0 } });
    expect(asRows(await exportedResults(deps(db), dir))).toEqual(EXPECTED_RESULTS);
    expect(lines.filter((l) => /registry requests failed/.test(String(l.msg)))).toEqual([]);
  });

  it('gives every participant its outcome in the results export', async () => {
    const { db, dir, spy } = await setup();
    const result = await runBatch(runDeps(db, spy), { province: null });

    expect(result.batchId).toEqual(expect.any(Number));
    expect(result.resumed).toBe(false);
    expect(result.counts).toMatchObject({ read: 8, matched: 2, mismatched: 2, missing: 2, conflict: 2, pending: 0, errors: 0 });

    const current = await exportedResults(deps(db), dir);
    expect(current.header).toEqual(['ma_so_bhxh', 'status', 'fields', 'so_ddcn']);
    expect(asRows(current)).toEqual(EXPECTED_RESULTS);
    const ofBatch = await exportedResults(deps(db), dir, result.batchId);
    expect(ofBatch.header).toEqual(['ma_so_bhxh', 'status', 'fields', 'so_ddcn']);
    expect(asRows(ofBatch)).toEqual(EXPECTED_RESULTS);
  });

  it('writes the ĐDCN in place of the old CMND and keeps the CMND as a former number', async () => {
    const { db, spy } = await setup();
    await runBatch(runDeps(db, spy), { province: null });

    const [p1] = await rows(db, `SELECT so_giay_to, so_ddcn FROM participant WHERE ma_so_bhxh = '0100000001'`);
    expect(p1).toEqual({ so_giay_to: '001090000001', so_ddcn: '001090000001' });
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source FROM number_history ORDER BY ma_so_bhxh')).toEqual([
      { ma_so_bhxh: '0100000001', so_cu: '012345678', so_moi: '001090000001', source: 'registry' },
    ]);
  });

  it('does not send participants without a usable number to the registry', async () => {
    const { db, spy } = await setup();
    await runBatch(runDeps(db, spy), { province: null });
    expect(spy.sentCodes).toEqual(['0100000001', '0100000002', '0100000003', '0100000004', '0100000006', '0100000007']);
    // batchSize 2: no request larger, and the six people did go out in requests (an empty list proves nothing)
    const sizes = spy.verifyRequests.map((batch) => batch.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...sizes)).toBe(2);
  });

  it('writes nothing for two codes that resolve to the same registry person in one batch', async () => {
    const { db, spy } = await setup();
    const { lines, log } = capturedLog('info');
    await runBatch({ ...runDeps(db, spy), log }, { province: null });
    // The operator is told how many people the batch's conflicts hold back.
    expect(lines.filter((l) => l.msg === 'conflicts settled over the batch: nobody gets a number two people claim').map((l) => l.parties)).toEqual([2]);
    expect(
      await rows(db, `SELECT ma_so_bhxh, status, so_giay_to, so_ddcn FROM participant WHERE ma_so_bhxh IN ('0100000006', '0100000007') ORDER BY 1`),
    ).toEqual([
      { ma_so_bhxh: '0100000006', status: 'CONFLICT', so_giay_to: '034567891', so_ddcn: null },
      { ma_so_bhxh: '0100000007', status: 'CONFLICT', so_giay_to: '001075000006', so_ddcn: null },
    ]);
    expect(await rows(db, `SELECT 1 FROM number_history WHERE ma_so_bhxh IN ('0100000006', '0100000007')`)).toEqual([]);
    expect(await rows(db, `SELECT 1 FROM share_record WHERE ma_so_bhxh IN ('0100000006', '0100000007')`)).toEqual([]);
  });

  it('finds a participant by the replaced old CMND and by the new ĐDCN, with the former numbers', async () => {
    const { db, spy } = await setup();
    await runBatch(runDeps(db, spy), { province: null });
    const hung = [{ ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', so_ddcn: '001090000001', former_numbers: ['012345678'] }];
    expect(await lookupNumber(db, '012345678')).toEqual(hung);
    expect(await lookupNumber(db, '001090000001')).toEqual(hung);
    expect(await lookupNumber(db, '023456780')).toEqual([
      { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Hùng', so_ddcn: null, former_numbers: [] },
    ]);
    expect(await lookupNumber(db, '111111111')).toEqual([]);
  });

  it('shares matched people with the registry once, and a rerun shares nothing again', async () => {
    const { db, mock, spy } = await setup();
    const first = await runBatch(runDeps(db, spy), { province: null });
    expect(first.shared).toBe(2);
    expect([...mock.shared.values()].sort((a, b) => a.maSoBhxh.localeCompare(b.maSoBhxh))).toEqual([
      { requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true },
      { requestId: '0100000002', maSoBhxh: '0100000002', soDdcn: '079185000002', vssid: false },
    ]);
    const recorded = await rows(db, 'SELECT ma_so_bhxh, so_ddcn, batch_id FROM share_record ORDER BY ma_so_bhxh');
    expect(recorded).toEqual([
      { ma_so_bhxh: '0100000001', so_ddcn: '001090000001', batch_id: first.batchId },
      { ma_so_bhxh: '0100000002', so_ddcn: '079185000002', batch_id: first.batchId },
    ]);

    const second = await runBatch(runDeps(db, spy), { province: null });
    expect(second.batchId).toBeNull();
    expect(mock.sharedCount).toBe(2);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_ddcn, batch_id FROM share_record ORDER BY ma_so_bhxh')).toEqual(recorded);
  });

  it('changes nothing when run again after a successful batch', async () => {
    const { db, dir, spy } = await setup();
    await runBatch(runDeps(db, spy), { province: null });
    const before = await exportedResults(deps(db), dir);
    const batches = await rows(db, 'SELECT * FROM batch ORDER BY id');
    const requests = spy.verifyRequests.length;

    const again = await runBatch(runDeps(db, spy), { province: null });
    expect(again.batchId).toBeNull();
    expect(spy.verifyRequests.length).toBe(requests);
    expect(await rows(db, 'SELECT * FROM batch ORDER BY id')).toEqual(batches);
    expect((await exportedResults(deps(db), dir)).text).toBe(before.text);
  });

  it('verifies only the province asked for', async () => {
    const { db, dir, spy } = await setup();
    await importParticipants(
      deps(db),
      await writeParticipants(dir, [{ ma_so_bhxh: '7900000001', ho_ten: 'Trần Văn Chín', ngay_sinh: '09/09/1990', gioi_tinh: 'Nam', so_giay_to: '290000009', ma_don_vi: 'YN0001Z', ma_tinh: '79' }], 'hcm.csv'),
    );
    const result = await runBatch(runDeps(db, spy), { province: '79' });
    expect(spy.sentCodes).toEqual(['7900000001']);
    expect(result.counts.read).toBe(1);
    const current = await exportedResults(deps(db), dir);
    expect(current.rows.get('7900000001')?.status).toBe('MATCHED');
    expect(current.rows.get('0100000001')?.status).toBe('PENDING');
  });
});

describe('run: conflicts with numbers already on file', () => {
  const hung = { ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ...unit };
  /**
   * Hùng verified as 0100000001, then a second code with his data: both CONFLICT. `both` writes the two codes' lines
   * of a later export.
   */
  async function twoCodesInConflict() {
    const { db } = database();
    const dir = await useTempDir();
    const mock = await mockRegistry(await writeRegistry(dir, REGISTRY), { keepShared: true });
    const both = (first: typeof hung, second: typeof hung) => [{ ma_so_bhxh: '0100000001', ...first }, { ma_so_bhxh: '0200000009', ...second }];
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...hung }], 'first.csv'));
    await runBatch(runDeps(db, mock), { province: null });
    await importParticipants(deps(db), await writeParticipants(dir, both(hung, hung), 'second.csv'));
    await runBatch(runDeps(db, mock), { province: null });
    return { db, dir, mock, both };
  }

  it('marks CONFLICT an earlier holder that is not in the batch at all: its confirmation withdrawn, the number on file left', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY), { keepShared: true });
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...hung }], 'first.csv'));
    await runBatch(runDeps(db, registry), { province: null });
    // Only the new code comes in the next file: the holder is unchanged, so it is not in the next batch.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: '0200000009', ...hung }], 'second.csv'));
    const second = await runBatch(runDeps(db, registry), { province: null });
    expect([...(await exportedResults(deps(db), dir, second.batchId)).rows.keys()]).toEqual(['0100000001', '0200000009']);
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status])).toEqual([
      ['0100000001', 'CONFLICT'], ['0200000009', 'CONFLICT'],
    ]);
    expect(await rows(db, `SELECT ma_so_bhxh, so_giay_to, so_ddcn FROM participant ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '001090000001', so_ddcn: null },
      { ma_so_bhxh: '0200000009', so_giay_to: '012345678', so_ddcn: null },
    ]);
  });

  it('verifies the earlier holder again once the other code no longer claims the number (the duplicate resolved at the source)', async () => {
    const { db, dir, mock: registry, both } = await twoCodesInConflict();
    const status = async () => [...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status, r.so_ddcn]);
    expect(await status()).toEqual([['0100000001', 'CONFLICT', ''], ['0200000009', 'CONFLICT', '']]);
    // A rerun with nothing changed finds nobody: the conflict stands.
    expect((await runBatch(runDeps(db, registry), { province: null })).counts.read).toBe(0);

    // The office resolves it: the second code now carries another person's number, which the registry does not know.
    await importParticipants(deps(db), await writeParticipants(dir, both(hung, { ...hung, so_giay_to: '001090777777' }), 'third.csv'));
    const third = await runBatch(runDeps(db, registry), { province: null });
    // The holder, whose own data did not change, is asked again with it: nobody else claims its number now.
    expect(third.counts).toMatchObject({ read: 2, matched: 1, mismatched: 1, conflict: 0 });
    expect(await status()).toEqual([['0100000001', 'MATCHED', '001090000001'], ['0200000009', 'MISMATCHED', '']]);
    expect((await runBatch(runDeps(db, registry), { province: null })).counts.read).toBe(0);
  });

  it('keeps the earlier holder CONFLICT, and counts it not verified, when the registry fails for it once the other code gave the number up', async () => {
    const { db, dir, mock, both } = await twoCodesInConflict();
    await importParticipants(deps(db), await writeParticipants(dir, both(hung, { ...hung, so_giay_to: '001090777777' }), 'third.csv'));
    const broken = new SpyRegistry(mock);
    broken.failVerify = (batch) => batch.some((r) => r.requestId === '0100000001');
    const failed = await runBatch(runDeps(db, broken, { chunkSize: 10, batchSize: 1, concurrency: 1 }), { province: null });
    expect(failed.counts).toMatchObject({ read: 2, mismatched: 1, pending: 1, errors: 1 });
    // The registry decided nothing: the holder keeps its outcome (and its place on Mẫu 02), and is counted among
    // the people the next run asks again.
    expect((await exportedResults(deps(db), dir)).rows.get('0100000001')).toMatchObject({ status: 'CONFLICT' });
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 1, kept: 1 });
    const next = await runBatch(runDeps(db, mock), { province: null });
    expect(next.counts).toMatchObject({ read: 1, matched: 1 });
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 0, kept: 0 });
  });

  it('does not count as keeping its outcome a holder a later batch verified, once the other code gives the number up', async () => {
    const { db, dir, mock, both } = await twoCodesInConflict();
    // The holder's name written in capitals (a new data version, the same for the registry); the registry fails.
    await importParticipants(deps(db), await writeParticipants(dir, both({ ...hung, ho_ten: 'NGUYỄN VĂN HÙNG' }, hung), 'third.csv'));
    const broken = new SpyRegistry(mock);
    broken.failVerify = () => true;
    const failed = await runBatch(runDeps(db, broken), { province: null });
    // Both asked (the other code because the holder changed), both keep their CONFLICT.
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 2, kept: 2 });
    // The next run verifies both on that data: the conflict stands, and nobody of the failed batch is unverified.
    expect((await runBatch(runDeps(db, mock), { province: null })).counts).toMatchObject({ read: 2, conflict: 2 });
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 0, kept: 0 });
    // The other code gives the number up: the holder is asked again by the next run, but the failed batch's request
    // was decided on by the run after it, and its count (ddcn batch status) stays as it was.
    await importParticipants(deps(db), await writeParticipants(dir, both({ ...hung, ho_ten: 'NGUYỄN VĂN HÙNG' }, { ...hung, so_giay_to: '001090777777' }), 'fourth.csv'));
    expect(await stillFailed(db, [failed.batchId!])).toEqual({ people: 0, kept: 0 });
    expect((await runBatch(runDeps(db, mock), { province: null })).counts).toMatchObject({ read: 2, matched: 1, mismatched: 1 });
  });

  it('marks both the new code and the earlier holder CONFLICT and writes nothing', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY), { keepShared: true });
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...hung }], 'first.csv'));
    const first = await runBatch(runDeps(db, registry), { province: null });
    expect((await exportedResults(deps(db), dir)).rows.get('0100000001')).toMatchObject({ status: 'MATCHED', so_ddcn: '001090000001' });

    // The same person registered again under a second code, with the old CMND.
    await importParticipants(
      deps(db),
      await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...hung }, { ma_so_bhxh: '0200000009', ...hung }], 'second.csv'),
    );
    const second = await runBatch(runDeps(db, registry), { province: null });
    expect(second.batchId).not.toBe(first.batchId);

    const current = await exportedResults(deps(db), dir);
    expect([...current.rows.values()]).toEqual([
      { ma_so_bhxh: '0100000001', status: 'CONFLICT', fields: '', so_ddcn: '' },
      { ma_so_bhxh: '0200000009', status: 'CONFLICT', fields: '', so_ddcn: '' },
    ]);
    const ofBatch = await exportedResults(deps(db), dir, second.batchId);
    expect([...ofBatch.rows.keys()]).toEqual(['0100000001', '0200000009']);

    // Nothing written for the new code: its number stays, no history, nothing shared for it.
    expect(await rows(db, `SELECT so_giay_to, so_ddcn FROM participant WHERE ma_so_bhxh = '0200000009'`)).toEqual([
      { so_giay_to: '012345678', so_ddcn: null },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu FROM number_history ORDER BY 1')).toEqual([{ ma_so_bhxh: '0100000001', so_cu: '012345678' }]);
    expect(await rows(db, 'SELECT ma_so_bhxh FROM share_record')).toEqual([{ ma_so_bhxh: '0100000001' }]);
    // Both are found by the old number, for review.
    expect((await lookupNumber(db, '012345678')).map((r) => r.ma_so_bhxh)).toEqual(['0100000001', '0200000009']);
  });
});
