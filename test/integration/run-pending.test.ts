import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  deps, exportedResults, mockRegistry, rows, runDeps, SpyRegistry, databasePerFile, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const people: ParticipantInput[] = [1, 2, 3, 4].map((i) => ({
  ma_so_bhxh: `010000000${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `0${i}/01/1990`, gioi_tinh: 'Nam', so_giay_to: `01234567${i}`,
  ma_don_vi: 'TA0001A', ma_tinh: '01',
}));
const registry: RegistryInput[] = [1, 2, 3, 4].map((i) => ({
  so_ddcn: `00109000000${i}`, so_cmnd: `01234567${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `0${i}/01/1990`, gioi_tinh: 'Nam',
}));

describe('run: registry failures', () => {
  it('leaves the people of a failed registry request PENDING, and a later run with a working registry resolves them', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [...people, { ma_so_bhxh: '0100000009', ho_ten: 'Không Số', so_giay_to: '' }]));
    const registryFile = await writeRegistry(dir, registry);

    const broken = new SpyRegistry(await mockRegistry(registryFile, { keepShared: true }));
    broken.failVerify = (batch) => batch.some((r) => r.requestId === '0100000002' || r.requestId === '0100000003');
    const first = await runBatch(runDeps(db, broken, { chunkSize: 10, batchSize: 1, concurrency: 2 }), { province: null });
    expect(first.counts).toMatchObject({ read: 5, matched: 2, missing: 1, pending: 2, errors: 2 });

    const afterFirst = await exportedResults(deps(db), dir);
    expect([...afterFirst.rows.values()]).toEqual([
      { ma_so_bhxh: '0100000001', status: 'MATCHED', fields: '', so_ddcn: '001090000001' },
      { ma_so_bhxh: '0100000002', status: 'PENDING', fields: '', so_ddcn: '' },
      { ma_so_bhxh: '0100000003', status: 'PENDING', fields: '', so_ddcn: '' },
      { ma_so_bhxh: '0100000004', status: 'MATCHED', fields: '', so_ddcn: '001090000004' },
      { ma_so_bhxh: '0100000009', status: 'MISSING_ID', fields: '', so_ddcn: '' },
    ]);
    // Nothing guessed for the PENDING people: numbers untouched, nothing shared.
    expect(await rows(db, `SELECT so_giay_to FROM participant WHERE ma_so_bhxh IN ('0100000002', '0100000003') ORDER BY 1`)).toEqual([
      { so_giay_to: '012345672' },
      { so_giay_to: '012345673' },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh FROM share_record ORDER BY 1')).toEqual([{ ma_so_bhxh: '0100000001' }, { ma_so_bhxh: '0100000004' }]);

    const working = new SpyRegistry(await mockRegistry(registryFile, { keepShared: true }));
    const second = await runBatch(runDeps(db, working, { chunkSize: 10, batchSize: 1, concurrency: 2 }), { province: null });
    expect(second.batchId).not.toBe(first.batchId);
    expect(working.sentCodes).toEqual(['0100000002', '0100000003']);
    expect(second.counts).toMatchObject({ read: 2, matched: 2, pending: 0, errors: 0 });

    const afterSecond = await exportedResults(deps(db), dir);
    expect(afterSecond.rows.get('0100000002')).toMatchObject({ status: 'MATCHED', so_ddcn: '001090000002' });
    expect(afterSecond.rows.get('0100000003')).toMatchObject({ status: 'MATCHED', so_ddcn: '001090000003' });
    expect(await rows(db, 'SELECT ma_so_bhxh, so_ddcn FROM share_record ORDER BY 1')).toHaveLength(4);
    expect([...working.shareRequests.flat()].map((s) => s.maSoBhxh).sort()).toEqual(['0100000002', '0100000003']);
  });

  it('still decides MISSING_ID when the registry is down for everyone', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [people[0]!, { ma_so_bhxh: '0100000009', ho_ten: 'Không Số', so_giay_to: '' }]));
    const down = new SpyRegistry(await mockRegistry(await writeRegistry(dir, registry)));
    down.failVerify = () => true;
    const result = await runBatch(runDeps(db, down), { province: null });
    expect(result.counts).toMatchObject({ pending: 1, missing: 1, errors: 1 });
    const out = await exportedResults(deps(db), dir);
    expect(out.rows.get('0100000001')?.status).toBe('PENDING');
    expect(out.rows.get('0100000009')?.status).toBe('MISSING_ID');
  });
});
