import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetsAsOf } from '../../src/db/targets.js';
import { UserError } from '../../src/errors.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { importTargets } from '../../src/pipeline/targets.js';
import { databasePerFile, deps, parseCsv, rows, useTempDir, writeParticipants } from '../helpers/pipeline.js';

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

  it("puts back a district code's leading zeros, so that 1 is Ba Đình (001) and 001 and 1 are one district", async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 'so.csv');
    // What a spreadsheet's number cells give for 001,001,7 and 001,002,9; and 001 twice.
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n1,1,7\n1,2,9\n001,001,8\n01,03,4\n');
    expect(await importTargets(at('2024-06-03T02:00:00Z'), file)).toMatchObject({ rowsRead: 4, imported: 3, rejected: 1 });
    expect(await rows(database().db, 'SELECT ma_tinh, ma_huyen, chi_tieu_vssid FROM vssid_target ORDER BY 1, 2')).toEqual([
      { ma_tinh: '001', ma_huyen: '001', chi_tieu_vssid: 7 },
      { ma_tinh: '001', ma_huyen: '002', chi_tieu_vssid: 9 },
      { ma_tinh: '001', ma_huyen: '003', chi_tieu_vssid: 4 },
    ]);
    const [, ...rejected] = await parseCsv(await readFile(`${file}.rejects.csv`, 'utf8'));
    expect(rejected.map((x) => [x[0], x[1]])).toEqual([['4', 'duplicate ma_tinh/ma_huyen: already on line 2 of this file']]);
    // Mẫu 03 of Hà Nội: Ba Đình with its target, no row "Quận, huyện mã 1".
    const counts = async () => [group('001', 10, 5), group('002', 10, 5), group('003', 10, 1)];
    const r = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: '001' }, counts);
    expect(r.rows.map((x) => [x.label, x.target])).toEqual([['Quận Ba Đình (001)', 7], ['Quận Hoàn Kiếm (002)', 9], ['Quận Tây Hồ (003)', 4]]);
    expect(r.total.target).toBe(20);
  });

  it("counts a participant whose district lost its leading zeros (5, a number cell) in that district (005), with its target", async () => {
    const dir = await useTempDir();
    // Hà Nội's target is its districts' sum; one participant's file wrote Cầu Giấy (005) as 5.
    await importParticipants(at('2024-06-03T03:00:00Z'), await writeParticipants(dir, [
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn An', ngay_sinh: '01/01/1990', gioi_tinh: 'Nam', ma_don_vi: 'DV1', ma_tinh: '001', ma_huyen: '001', vssid: '1' },
      { ma_so_bhxh: '0100000002', ho_ten: 'Nguyễn Văn Bình', ngay_sinh: '01/01/1990', gioi_tinh: 'Nam', ma_don_vi: 'DV1', ma_tinh: '001', ma_huyen: '005', vssid: '1' },
      { ma_so_bhxh: '0100000003', ho_ten: 'Nguyễn Văn Cường', ngay_sinh: '01/01/1990', gioi_tinh: 'Nam', ma_don_vi: 'DV1', ma_tinh: '001', ma_huyen: '5', vssid: '0' },
    ]));
    // Stored with its zeros put back, in the history too.
    expect(await rows(database().db, `SELECT DISTINCT ma_huyen FROM participant_state WHERE ma_so_bhxh = '0100000003'`)).toEqual([{ ma_huyen: '005' }]);
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n001,001,10\n001,005,20\n');
    expect(await importTargets(at('2024-06-03T04:00:00Z'), file)).toMatchObject({ imported: 2, rejected: 0 });
    const province = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: '001' });
    expect(province.rows.map((x) => [x.label, x.total, x.target])).toEqual([['Quận Ba Đình (001)', 1, 10], ['Quận Cầu Giấy (005)', 2, 20]]);
    expect(province.total.target).toBe(30);
    const nation = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null });
    expect(nation.rows.map((x) => [x.label, x.total, x.target])).toEqual([['Hà Nội (001)', 3, 30]]);
    expect(nation.total.target).toBe(30);
  });

  it("refuses a district that is not the province's, naming the province it is of, and takes a newer one its people are in", async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 'huyen.csv');
    // 500 is no district of any province in the list; 001 is Ba Đình, of Hà Nội; 790 is no district of HCMC in the
    // list of 2019, but the demo data's people are recorded in it (as in a district made since).
    const content = 'ma_tinh,ma_huyen,chi_tieu_vssid\n79,500,1\n079,001,5\n079,760,6\n079,790,8\n079,Q1,2\n';
    await writeFile(file, content);
    expect(await importTargets(at('2024-06-03T02:00:00Z'), file)).toMatchObject({ rowsRead: 5, imported: 1, rejected: 4 });
    const reasons = async () => (await parseCsv(await readFile(`${file}.rejects.csv`, 'utf8'))).slice(1).map((x) => [x[0], x[1]]);
    const newer = (code: string) =>
      `no district ${code} in province 079: ma_huyen is the 3-digit code of one of its districts in reference/don-vi-hanh-chinh.csv, or of a newer one its participants are recorded in (import them first)`;
    expect(await reasons()).toEqual([
      ['2', newer('500')],
      ['3', 'district 001 is not of province 079 but of 001 (Hà Nội): check ma_tinh and ma_huyen'],
      ['5', newer('790')],
      ['6', newer('Q1')],
    ]);
    // Once someone of HCMC (written 79, as the social-insurance software does) is recorded in 790, its target is taken.
    await importParticipants(at('2024-06-03T03:00:00Z'), await writeParticipants(dir, [{
      ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781',
      ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '79', ma_huyen: '790',
    }]));
    expect(await importTargets(at('2024-06-03T04:00:00Z'), file)).toMatchObject({ imported: 2, rejected: 3 });
    expect((await reasons()).map(([line]) => line)).toEqual(['2', '3', '6']);
    expect(await targetsAsOf(database().db, new Date('2024-06-04T00:00:00Z'))).toEqual([
      { maTinh: '079', maHuyen: '760', chiTieu: 6 },
      { maTinh: '079', maHuyen: '790', chiTieu: 8 },
    ]);
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

  it('takes each file as the whole assignment of the provinces it names: their older rows no longer count, the others keep theirs', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    const q = database().db;
    const on = async (iso: string, content: string) => {
      await writeFile(file, content);
      await importTargets(at(iso), file);
    };
    await on('2024-06-03T02:00:00Z', 'ma_tinh,chi_tieu_vssid\n079,10\n001,4\n');
    // HCMC's target is now given per district; Hà Nội is not in the file.
    await on('2024-06-10T02:00:00Z', 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,760,6\n079,770,9\n');
    // Later still, Quận 3 is dropped.
    await on('2024-06-20T02:00:00Z', 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,760,7\n');
    const asOf = async (iso: string) => (await targetsAsOf(q, new Date(iso))).map((t) => [t.maTinh, t.maHuyen, t.chiTieu]);
    expect(await asOf('2024-06-05T00:00:00Z')).toEqual([['001', '', 4], ['079', '', 10]]);
    expect(await asOf('2024-06-12T00:00:00Z')).toEqual([['001', '', 4], ['079', '760', 6], ['079', '770', 9]]);
    expect(await asOf('2024-06-21T00:00:00Z')).toEqual([['001', '', 4], ['079', '760', 7]]);
    // A province row again: the districts' are gone with it. Before the first import, the first.
    await on('2024-06-25T02:00:00Z', 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,,30\n');
    expect(await asOf('2024-06-26T00:00:00Z')).toEqual([['001', '', 4], ['079', '', 30]]);
    expect(await asOf('2024-06-01T00:00:00Z')).toEqual([['001', '', 4], ['079', '', 10]]);
    expect(await asOf('2024-06-12T00:00:00Z')).toEqual([['001', '', 4], ['079', '760', 6], ['079', '770', 9]]); // as it was

    // Mẫu 03 of HCMC on 12/06: the districts' targets and their sum, not the province's old 10.
    const counts = async () => [group('760', 10, 3), group('770', 10, 3)];
    const r = await progressFigures(at('2024-06-12T03:00:00Z'), { period: 'week', asOf: null, province: '079' }, counts);
    expect([...r.rows.map((x) => [x.label, x.target]), ['total', r.total.target]]).toEqual([['Quận 1 (760)', 6], ['Quận 3 (770)', 9], ['total', 15]]);
  });

  it("reads a district an older ddcn stored as the file wrote it (1) as the district it is (001)", async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    const q = database().db;
    await writeFile(file, 'ma_tinh,chi_tieu_vssid\n001,20\n');
    const first = await importTargets(at('2024-06-03T02:00:00Z'), file);
    await q.query(
      `INSERT INTO vssid_target (ma_tinh, ma_huyen, chi_tieu_vssid, valid_from, import_id) VALUES ('1', '1', 7, '2024-06-04T00:00:00Z', $1::bigint), ('1', '2', 9, '2024-06-04T00:00:00Z', $1::bigint)`,
      [first.importId],
    );
    expect(await targetsAsOf(q, new Date('2024-06-05T00:00:00Z'))).toEqual([
      { maTinh: '001', maHuyen: '001', chiTieu: 7 },
      { maTinh: '001', maHuyen: '002', chiTieu: 9 },
    ]);
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
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,760,300\n079,761,300\n001,,500\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    // HCMC's people are in four districts, two of them with targets: 781 VssID accounts against 600 would read 130 %.
    const byDistrict = [group('760', 500, 200), group('761', 500, 200), group('764', 300, 200), group('765', 300, 181)];
    const counts = async (_q: unknown, args: { province: string | null }) =>
      args.province === '079' ? byDistrict : args.province === null ? [group('001', 10, 1), group('079', 1600, 781)] : [];
    const nation = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null }, counts);
    expect(nation.rows.map((x) => [x.label, x.target, x.vssidRate])).toEqual([['Hà Nội (001)', 500, 0.002], ['Hồ Chí Minh (079)', null, null]]);
    expect([nation.total.target, nation.total.vssidRate]).toEqual([null, null]); // not known for the whole country either
    const province = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: '079' }, counts);
    expect(province.rows.map((x) => x.target)).toEqual([300, 300, null, null]);
    expect([province.total.target, province.total.vssidRate]).toEqual([null, null]);
    // Every district with people has its target: their sum is the province's.
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n079,760,300\n079,761,300\n079,764,200\n079,765,200\n001,,500\n');
    await importTargets(at('2024-06-04T02:00:00Z'), file);
    const covered = await progressFigures(at('2024-06-05T02:00:00Z'), { period: 'week', asOf: null, province: null }, counts);
    expect(covered.rows.map((x) => x.target)).toEqual([500, 1000]);
    expect(covered.total.target).toBe(1500);
  });

  it('gives a province with a target and nobody yet its row of zeros, so that the total target is the same every day', async () => {
    const dir = await useTempDir();
    const file = path.join(dir, 't.csv');
    await writeFile(file, 'ma_tinh,ma_huyen,chi_tieu_vssid\n001,,500\n048,,300\n079,,1000\n079,760,600\n079,761,400\n');
    await importTargets(at('2024-06-03T02:00:00Z'), file);
    const counts = async (_q: unknown, args: { province: string | null }) => (args.province === '79' ? [group('760', 10, 5)] : [group('001', 10, 1), group('79', 10, 5)]);
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
