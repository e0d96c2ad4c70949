// Plan I.4 through the real pipeline: a person's insurance information counts as shared only when the registry
// acknowledged it; whatever it did not acknowledge is reported as not shared and sent again by the next run.
import { describe, expect, it } from 'vitest';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, exportedResults, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';
import { capturedLog } from '../helpers/log.js';

const database = databasePerFile();

const CODES = ['0100000001', '0100000002', '0100000003', '0100000004'];
const PEOPLE: ParticipantInput[] = CODES.map((code, k) => ({
  ma_so_bhxh: code, ho_ten: `Nguyễn Văn Số ${k + 1}`, ngay_sinh: `0${k + 1}/01/1990`, gioi_tinh: 'Nam',
  so_giay_to: `01234567${k + 1}`, ma_don_vi: 'TA0001A', ma_tinh: '01', vssid: k % 2 === 0 ? '1' : '0',
}));
const REGISTRY: RegistryInput[] = PEOPLE.map((p, k) => ({
  so_ddcn: `00109000000${k + 1}`, so_cmnd: p.so_giay_to, ho_ten: p.ho_ten!, ngay_sinh: p.ngay_sinh!, gioi_tinh: 'Nam',
}));

/** A registry that verifies normally but acknowledges only the shares `acks` lets through; records what it got. */
class PickyRegistry implements RegistryAdapter {
  readonly kind = 'mock';
  readonly sent: ShareRecord[][] = [];
  constructor(
    private readonly inner: RegistryAdapter,
    private readonly acks: (code: string) => boolean,
  ) {}
  verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    return this.inner.verify(batch);
  }
  async share(records: ShareRecord[]): Promise<string[]> {
    this.sent.push(records);
    await this.inner.share(records);
    return records.filter((r) => this.acks(r.maSoBhxh)).map((r) => r.requestId);
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

async function setUp() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  return { db, dir, registryFile: await writeRegistry(dir, REGISTRY) };
}

const CONFIG = { chunkSize: 10, batchSize: 2, concurrency: 2 };

describe('share: only acknowledged records count', () => {
  it('records the 2 of 4 the registry acknowledged, reports 2 not shared, and shares the other 2 on the next run', async () => {
    const { db, dir, registryFile } = await setUp();
    const first = new PickyRegistry(await mockRegistry(registryFile), (code) => code === '0100000001' || code === '0100000003');
    const { lines, log } = capturedLog('debug');
    const r1 = await runBatch({ ...runDeps(db, first, CONFIG), log }, { province: null });
    expect(r1.counts).toMatchObject({ read: 4, matched: 4, pending: 0 });
    // Each chunk's debug line counts what it recorded and what failed: 2 and 2 in all.
    const chunks = lines.filter((l) => l.msg === 'insurance information shared');
    expect([chunks.reduce((n, l) => n + (l.shared as number), 0), chunks.reduce((n, l) => n + (l.failed as number), 0)]).toEqual([2, 2]);
    expect(first.sent.flat().map((s) => s.maSoBhxh).sort()).toEqual(CODES);
    expect(r1.shared).toBe(2);
    expect(r1.shareFailed).toBe(2);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_ddcn, batch_id::int AS batch FROM share_record ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', so_ddcn: '001090000001', batch: r1.batchId },
      { ma_so_bhxh: '0100000003', so_ddcn: '001090000003', batch: r1.batchId },
    ]);
    expect(await rows(db, 'SELECT shared FROM batch WHERE id = $1::bigint', [r1.batchId])).toEqual([{ shared: 2 }]);
    // Verification itself is done: everyone is MATCHED with the ĐDCN on file.
    expect([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, r.status, r.so_ddcn])).toEqual(
      CODES.map((c, k) => [c, 'MATCHED', `00109000000${k + 1}`]),
    );

    // The next run verifies nobody again but sends exactly the two that were not acknowledged, with their data.
    const second = new PickyRegistry(await mockRegistry(registryFile), () => true);
    const r2 = await runBatch(runDeps(db, second, CONFIG), { province: null });
    expect(r2.batchId).not.toBeNull();
    expect(r2.batchId).not.toBe(r1.batchId);
    expect(r2.counts).toMatchObject({ read: 0 });
    expect(second.sent.flat().sort((a, b) => a.maSoBhxh.localeCompare(b.maSoBhxh))).toEqual([
      { requestId: '0100000002', maSoBhxh: '0100000002', soDdcn: '001090000002', vssid: false },
      { requestId: '0100000004', maSoBhxh: '0100000004', soDdcn: '001090000004', vssid: false },
    ]);
    expect(r2).toMatchObject({ shared: 2, shareFailed: 0 });
    expect(await rows(db, 'SELECT ma_so_bhxh, batch_id::int AS batch FROM share_record ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', batch: r1.batchId },
      { ma_so_bhxh: '0100000002', batch: r2.batchId },
      { ma_so_bhxh: '0100000003', batch: r1.batchId },
      { ma_so_bhxh: '0100000004', batch: r2.batchId },
    ]);

    // Everyone shared: a third run has nothing to do and asks the registry nothing.
    const third = new PickyRegistry(await mockRegistry(registryFile), () => true);
    const r3 = await runBatch(runDeps(db, third, CONFIG), { province: null });
    expect(r3.batchId).toBeNull();
    expect(third.sent).toEqual([]);
  });

  it('records nothing and reports everyone not shared when the share request fails', async () => {
    const { db, registryFile } = await setUp();
    const failing = new PickyRegistry(await mockRegistry(registryFile), () => true);
    failing.share = async (records) => {
      failing.sent.push(records);
      throw new Error('registry unavailable (ECONNRESET)');
    };
    const { lines, log } = capturedLog('info');
    const r1 = await runBatch({ ...runDeps(db, failing, CONFIG), log }, { province: null });
    expect(failing.sent.flat()).toHaveLength(4);
    expect(r1).toMatchObject({ shared: 0, shareFailed: 4 });
    // The operator reads why, and how many wait for the next run (batchSize 2: two requests of two).
    // One line for the step, not one per request.
    const warnings = lines.filter((l) => l.msg === 'share requests failed; the next run shares these again');
    expect(warnings.map((w) => [w.level, w.stage, w.batch, w.requests, w.people, (w.err as { message: string }).message])).toEqual([
      [40, 'share', r1.batchId, 2, 4, 'registry unavailable (ECONNRESET)'],
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh FROM share_record')).toEqual([]);

    const working = new PickyRegistry(await mockRegistry(registryFile), () => true);
    const r2 = await runBatch(runDeps(db, working, CONFIG), { province: null });
    expect(r2).toMatchObject({ shared: 4, shareFailed: 0 });
    expect(working.sent.flat().map((s) => s.maSoBhxh).sort()).toEqual(CODES);
  });
});

describe('share: acknowledged records written a few at a time', () => {
  it('records every acknowledged person once when the records are written after each request', async () => {
    const { db, registryFile } = await setUp();
    const all = new PickyRegistry(await mockRegistry(registryFile), () => true);
    // Two requests of two, each acknowledged whole: the records are written twice, two at a time.
    const r = await runBatch(runDeps(db, all, { ...CONFIG, concurrency: 1, recordSharesEvery: 1 }), { province: null });
    expect(r).toMatchObject({ shared: 4, shareFailed: 0 });
    expect(all.sent.map((part) => part.length)).toEqual([2, 2]);
    expect(await rows(db, 'SELECT ma_so_bhxh, batch_id::int AS batch FROM share_record ORDER BY 1')).toEqual(
      CODES.map((c) => ({ ma_so_bhxh: c, batch: r.batchId })),
    );
    expect(await rows(db, 'SELECT shared FROM batch WHERE id = $1::bigint', [r.batchId])).toEqual([{ shared: 4 }]);
  });

  it('keeps at most --concurrency share requests in flight', async () => {
    const { db, registryFile } = await setUp();
    const slow = new PickyRegistry(await mockRegistry(registryFile), () => true);
    let inFlight = 0;
    let most = 0;
    const share = slow.share.bind(slow);
    slow.share = async (records) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return share(records);
    };
    const r = await runBatch(runDeps(db, slow, { chunkSize: 10, batchSize: 1, concurrency: 2 }), { province: null });
    expect(r).toMatchObject({ shared: 4, shareFailed: 0 });
    expect(slow.sent).toHaveLength(4);
    expect(most).toBe(2);
  });
});

describe('share: each person once, and only the batch\'s own', () => {
  it('sends each person once in a batch of many chunks, even when the registry acknowledges nobody', async () => {
    const { db, registryFile } = await setUp();
    const deaf = new PickyRegistry(await mockRegistry(registryFile), () => false);
    const r = await runBatch(runDeps(db, deaf, { chunkSize: 1, batchSize: 1, concurrency: 1 }), { province: null });
    expect(r).toMatchObject({ shared: 0, shareFailed: 4 });
    expect(deaf.sent.flat().map((s) => s.maSoBhxh).sort()).toEqual(CODES);
  });

  it('leaves another province\'s people still to share to that province\'s batch', async () => {
    const { db, dir } = await setUp();
    const south: ParticipantInput[] = ['7900000001', '7900000002'].map((code, k) => ({
      ma_so_bhxh: code, ho_ten: `Trần Thị Nam ${k + 1}`, ngay_sinh: '1991', gioi_tinh: 'Nữ', so_giay_to: `07934567${k + 1}`, ma_don_vi: 'SG0001A', ma_tinh: '79',
    }));
    const late: ParticipantInput = { ...PEOPLE[0]!, ma_so_bhxh: '0100000005', ho_ten: 'Nguyễn Văn Số 5', so_giay_to: '012345675' };
    const registry = await writeRegistry(dir, [
      ...REGISTRY,
      ...south.map((p, k) => ({ so_ddcn: `07919100000${k + 1}`, so_cmnd: p.so_giay_to, ho_ten: p.ho_ten!, ngay_sinh: '1991', gioi_tinh: 'Nữ' as const })),
      { so_ddcn: '001090000005', so_cmnd: '012345675', ho_ten: 'Nguyễn Văn Số 5', ngay_sinh: PEOPLE[0]!.ngay_sinh!, gioi_tinh: 'Nam' },
    ], 'registry-all.csv');
    await importParticipants(deps(db), await writeParticipants(dir, [...PEOPLE, ...south], 'all.csv'));
    // Everyone verified; the registry acknowledges the shares of Hà Nội (01) only: the south's wait.
    const first = new PickyRegistry(await mockRegistry(registry), (code) => code.startsWith('01'));
    expect(await runBatch(runDeps(db, first, CONFIG), { province: null })).toMatchObject({ shared: 4, shareFailed: 2 });
    // A newcomer in Hà Nội, and a batch for Hà Nội: it shares the newcomer, not the south's people.
    await importParticipants(deps(db), await writeParticipants(dir, [...PEOPLE, ...south, late], 'all-2.csv'));
    const hanoi = new PickyRegistry(await mockRegistry(registry), () => true);
    expect(await runBatch(runDeps(db, hanoi, CONFIG), { province: '01' })).toMatchObject({ shared: 1, shareFailed: 0 });
    expect(hanoi.sent.flat().map((s) => s.maSoBhxh)).toEqual(['0100000005']);
  });
});
