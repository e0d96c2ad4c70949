// A unit's Mẫu 03 for a past day counts the people the unit had that day, not the people it has now: a worker who
// changed employer is counted by the unit they were in (migration 0029). The portal's unit accounts read these.
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const person = (i: number, unit: string): ParticipantInput => ({
  ma_so_bhxh: `00100000${i}0`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `0${i}/01/1990`, gioi_tinh: 'Nam',
  so_giay_to: `00109000000${i}`, ma_don_vi: unit, ten_don_vi: unit ? `Công ty ${unit}` : '', ma_tinh: '001', ma_huyen: '005',
});

describe('a unit’s figures of a past day', () => {
  it('count the people the unit had that day: a move to another unit, and back, changes only the days after it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const importAt = async (iso: string, units: string[]) =>
      importParticipants({ ...deps(db), now: () => new Date(iso) }, await writeParticipants(dir, units.map((u, i) => person(i + 1, u)), `${iso.slice(0, 10)}.csv`));
    // Week 1: 1 and 2 in DV0010001, 3 in DV0010002, 4 without a unit. Everyone is matched (the run is on 3 June).
    await importAt('2024-06-03T01:00:00Z', ['DV0010001', 'DV0010001', 'DV0010002', '']);
    const registry = await writeRegistry(dir, [1, 2, 3, 4].map((i) => ({ so_ddcn: `00109000000${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `0${i}/01/1990`, gioi_tinh: 'Nam' })));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    // Monday of week 2 (10 June, 09:00 in Vietnam): 2 moves to DV0010002, 4 joins DV0010001. Week 3: 2 comes back.
    await importAt('2024-06-10T02:00:00Z', ['DV0010001', 'DV0010002', 'DV0010002', 'DV0010001']);
    await importAt('2024-06-17T02:00:00Z', ['DV0010001', 'DV0010001', 'DV0010002', 'DV0010001']);

    const figures = async (unit: string, day: number) => {
      const r = await progressFigures(deps(db), { period: 'week', asOf: { year: 2024, month: 6, day }, province: null, unit });
      return { total: r.total.total, matched: r.total.matched, increase: r.total.matchedIncrease };
    };
    // Week 1, as it was: 1 and 2 in the first unit, 3 in the second.
    expect(await figures('DV0010001', 5)).toEqual({ total: 2, matched: 2, increase: 2 });
    expect(await figures('DV0010002', 5)).toEqual({ total: 1, matched: 1, increase: 1 });
    // Week 2: 2 left the first unit (its increase in the week is -1) and 4 joined it; the second unit gained 2.
    expect(await figures('DV0010001', 12)).toEqual({ total: 2, matched: 2, increase: 0 });
    expect(await figures('DV0010002', 12)).toEqual({ total: 2, matched: 2, increase: 1 });
    // Week 3: 2 is back.
    expect(await figures('DV0010001', 19)).toEqual({ total: 3, matched: 3, increase: 1 });
    expect(await figures('DV0010002', 19)).toEqual({ total: 1, matched: 1, increase: -1 });
    // The province's figures never depended on the units.
    const province = await progressFigures(deps(db), { period: 'week', asOf: { year: 2024, month: 6, day: 12 }, province: '001' });
    expect(province.total.total).toBe(4);
  });

  it('count a person whose name an import changed as not verified alike nationally, for the province and for the unit', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = [person(1, 'DV0010001'), person(2, 'DV0010001')];
    await importParticipants({ ...deps(db), now: () => new Date('2024-06-03T01:00:00Z') }, await writeParticipants(dir, people, 'a.csv'));
    const registry = await writeRegistry(dir, [1, 2].map((i) => ({ so_ddcn: `00109000000${i}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: `0${i}/01/1990`, gioi_tinh: 'Nam' })));
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    const renamed = [people[0]!, { ...people[1]!, ho_ten: 'Nguyễn Văn Đổi Tên' }];
    await importParticipants({ ...deps(db), now: () => new Date('2024-06-05T01:00:00Z') }, await writeParticipants(dir, renamed, 'b.csv'));
    const asOf = (day: number) => ({ period: 'week' as const, asOf: { year: 2024, month: 6, day } });
    for (const scope of [{ province: null }, { province: '001' }, { province: '001', district: '005' }, { province: null, unit: 'DV0010001' }]) {
      const before = await progressFigures(deps(db), { ...asOf(4), ...scope });
      const after = await progressFigures(deps(db), { ...asOf(6), ...scope });
      expect([JSON.stringify(scope), before.total.matched, after.total.matched, after.total.pending]).toEqual([JSON.stringify(scope), 2, 1, 1]);
    }
  });
});
