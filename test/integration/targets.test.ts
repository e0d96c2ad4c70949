import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetsAsOf } from '../../src/db/targets.js';
import { UserError } from '../../src/errors.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { importTargets } from '../../src/pipeline/targets.js';
import { databasePerFile, deps, parseCsv, rows, useTempDir } from '../helpers/pipeline.js';

const database = databasePerFile();
const at = (iso: string) => ({ ...deps(database().db), now: () => new Date(iso) });
/** A row of counts as countsAsOf gives it: nobody verified yet, some VssID accounts. */
const group = (key: string, total: number, vssid: number) => ({ key, total, matched: 0, mismatched: 0, missing: 0, conflict: 0, pending: total, vssid, corrected: 0, rematched: 0, escalated: 0 });

describe('import targets', () => {
  it('stores VssID targets per province and district, and rejects rows it cannot read, with the reason', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 'chi-tieu.csv');
    await writeFile(file, 'ma_tinh,chi_tieu_vssid,ma_huyen\n079,1.250.000,\n1,"980,000",\n79,400 000,760\n,5,\n048,nhiều,\n079,3,\n999,10,\n100,1,\n');
    const r = await importTargets(at('2024-06-03T02:00:00Z'), file);
    expect(r).toMatchObject({ rowsRead: 8, imported: 3, rejected: 5 });
    // 79 is 079, and 1 (a number cell) is 001: kept in the 3-digit form. 100 is no province's code.
    expect(await rows(database().db, 'SELECT ma_tinh, ma_huyen, chi_tieu_vssid FROM vssid_target ORDER BY 1, 2')).toEqual([
      { ma_tinh: '001', ma_huyen: '', chi_tieu_vssid: 980_000 },
      { ma_tinh: '079', ma_huyen: '', chi_tieu_vssid: 1_250_000 },
      { ma_tinh: '079', ma_huyen: '760', chi_tieu_vssid: 400_000 },
    ]);
    const [, ...rejected] = await parseCsv(await readFile(`${file}.rejects.csv`, 'utf8'));
    expect(rejected.map((x) => [x[0], x[1]])).toEqual([
      ['5', 'ma_tinh is empty'],
      ['6', 'chi_tieu_vssid must be a whole number of accounts, got "nhiều"'],
      ['7', 'duplicate ma_tinh/ma_huyen: already on line 2 of this file'],
      ['8', 'no province 999: ma_tinh is a province\'s code, 01 to 96 (or 001 to 096)'],
      ['9', 'no province 100: ma_tinh is a province\'s code, 01 to 96 (or 001 to 096)'],
    ]);
    // Written as the social-insurance offices write it (01), a target of 001 is that province's.
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n01,990000\n');
    expect(await importTargets(at('2024-06-04T02:00:00Z'), file)).toMatchObject({ imported: 1, rejected: 0 });
    expect(await rows(database().db, `SELECT ma_tinh FROM vssid_target WHERE chi_tieu_vssid = 990000`)).toEqual([{ ma_tinh: '001' }]);
  });

  it('keeps every import: a date uses the targets known then, and the first targets before they were imported', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n079,10\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n079,20\n');
    await importTargets(at('2024-06-12T02:00:00Z'), file);
    const q = database().db;
    expect(await targetsAsOf(q, new Date('2024-06-01T00:00:00Z'))).toEqual([{ maTinh: '079', maHuyen: '', chiTieu: 10 }]);
    expect(await targetsAsOf(q, new Date('2024-06-10T00:00:00Z'))).toEqual([{ maTinh: '079', maHuyen: '', chiTieu: 10 }]);
    expect(await targetsAsOf(q, new Date('2024-06-13T00:00:00Z'))).toEqual([{ maTinh: '079', maHuyen: '', chiTieu: 20 }]);
  });

  it('holds one target per province in either form of its code, the latest, also one an older ddcn stored as written', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 'hai-dang.csv');
    const q = database().db;
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n001,1\n');
    const first = await importTargets(at('2024-05-01T00:00:00Z'), file);
    // What an older ddcn stored for a file that wrote 79.
    await q.query(`INSERT INTO vssid_target (ma_tinh, ma_huyen, chi_tieu_vssid, valid_from, import_id) VALUES ('79', '', 5, '2024-06-01T00:00:00Z', $1::bigint)`, [first.importId]);
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n079,7\n');
    await importTargets(at('2024-06-10T00:00:00Z'), file);
    expect((await targetsAsOf(q, new Date('2024-06-05T00:00:00Z'))).filter((t) => t.maTinh === '079')).toEqual([{ maTinh: '079', maHuyen: '', chiTieu: 5 }]);
    expect((await targetsAsOf(q, new Date('2024-06-11T00:00:00Z'))).filter((t) => t.maTinh === '079')).toEqual([{ maTinh: '079', maHuyen: '', chiTieu: 7 }]);
  });

  it("counts a province's target once in the national total, also when its participants write its code both ways", async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n079,1000\n001,500\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    const r = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null },
      async () => [group('079', 600, 100), group('79', 400, 50), group('001', 10, 1)]);
    expect(r.rows.map((x) => [x.label, x.target])).toEqual([['Hà Nội (001)', 500], ['Hồ Chí Minh (079)', 1000], ['Hồ Chí Minh (79)', null]]);
    expect(r.total.target).toBe(1500);
  });

  it("gives a province without a target of its own its districts' sum only when every district with people has one", async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,790,300\n079,791,300\n001,,500\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    // HCMC's people are in four districts, two of them with targets: 781 VssID accounts against 600 would read 130 %.
    const byDistrict = [group('790', 500, 200), group('791', 500, 200), group('792', 300, 200), group('793', 300, 181)];
    const counts = async (_q: unknown, args: { province: string | null }) =>
      args.province === '079' ? byDistrict : args.province === null ? [group('001', 10, 1), group('079', 1600, 781)] : [];
    const nation = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null }, counts);
    expect(nation.rows.map((x) => [x.label, x.target, x.vssidRate])).toEqual([['Hà Nội (001)', 500, 0.002], ['Hồ Chí Minh (079)', null, null]]);
    expect([nation.total.target, nation.total.vssidRate]).toEqual([null, null]); // not known for the whole country either
    const province = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: '079' }, counts);
    expect(province.rows.map((x) => x.target)).toEqual([300, 300, null, null]);
    expect([province.total.target, province.total.vssidRate]).toEqual([null, null]);
    // Every district with people has its target: their sum is the province's.
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,790,300\n079,791,300\n079,792,200\n079,793,200\n001,,500\n');
    await importTargets(at('2024-06-04T02:00:00Z'), file);
    const covered = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null }, counts);
    expect(covered.rows.map((x) => x.target)).toEqual([500, 1000]);
    expect(covered.total.target).toBe(1500);
  });

  it('gives a province with a target and nobody yet its row of zeros, so that the total target is the same every day', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n001,,500\n048,,300\n079,,1000\n079,790,600\n079,791,400\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    const counts = async (_q: unknown, args: { province: string | null }) => (args.province === '79' ? [group('790', 10, 5)] : [group('001', 10, 1), group('79', 10, 5)]);
    const nation = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null }, counts);
    // 048 has nobody; HCMC's people write 79, its target 079: one row each.
    expect(nation.rows.map((x) => [x.label, x.total, x.target])).toEqual([['Hà Nội (001)', 10, 500], ['Đà Nẵng (048)', 0, 300], ['Hồ Chí Minh (79)', 10, 1000]]);
    expect(nation.total.target).toBe(1800);
    const province = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: '79' }, counts);
    expect(province.rows.map((x) => [x.total, x.target])).toEqual([[10, 600], [0, 400]]);
  });

  it('refuses a file without the target columns', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 'x.csv');
    await writeFile(file, 'tinh,so\n079,10\n');
    await expect(importTargets(at('2024-06-03T02:00:00Z'), file)).rejects.toThrow(UserError);
    await expect(importTargets(at('2024-06-03T02:00:00Z'), file)).rejects.toThrow(/ma_tinh,chi_tieu_vssid/);
  });
});
