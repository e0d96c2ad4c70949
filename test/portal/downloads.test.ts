// A unit's Mẫu 01 and Mẫu 02 downloaded from the portal are the files `ddcn lists` writes for that unit at the same
// moment: the same writer on the same rows, byte for byte, for an office and for the unit itself.
import { readdir, readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLists } from '../../src/pipeline/lists.js';
import type { Portal } from '../../src/portal/app.js';
import type { Db } from '../../src/db/pool.js';
import { databasePerFile, deps, useTempDir } from '../helpers/pipeline.js';
import { portal, seed, signedIn, xlsxText } from './harness.js';

const database = databasePerFile();
const NOW = new Date('2024-06-05T03:00:00Z');
let open: Portal | undefined;
afterEach(async () => {
  await open?.app.close();
  open = undefined;
});

/** `n` more confirmed people of `unit` in province `maTinh` (null: none on file), made from the first seeded one. */
async function morePeople(db: Db, unit: string, maTinh: string | null, from: number, n: number): Promise<void> {
  await db.query(
    `INSERT INTO participant
     SELECT (jsonb_populate_record(NULL::participant, to_jsonb(p) || jsonb_build_object(
       'ma_so_bhxh', '9' || lpad(g::text, 9, '0'), 'ho_ten', 'Nguyễn Thị Thanh Hương ' || g, 'ma_don_vi', $1::text, 'ma_tinh', $2::text,
       'so_ddcn', '00119' || lpad(g::text, 7, '0'), 'so_giay_to', '00119' || lpad(g::text, 7, '0')))).*
       FROM participant p, generate_series($3::int, $3::int + $4::int - 1) g WHERE p.ma_so_bhxh = '0010000001'`,
    [unit, maTinh, from, n],
  );
}

/** Every file under `dir` whose path ends with `end`. */
async function filesEnding(dir: string, end: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true });
  return all.filter((f) => f.endsWith(end)).map((f) => path.join(dir, f));
}

/** The codes in column (2) of a list, in order. */
async function codesOn(file: Buffer): Promise<string[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(file as unknown as ArrayBuffer);
  const codes: string[] = [];
  wb.worksheets[0]!.eachRow((r) => void (/^\d{10}$/.test(r.getCell(2).text) && codes.push(r.getCell(2).text)));
  return codes;
}

describe('portal downloads', () => {
  it('are byte for byte the files of ddcn lists for the unit', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await seed(db, dir);
    const out = path.join(dir, 'lists');
    await generateLists({ ...deps(db), now: () => NOW }, { out, province: null, unit: null, workers: 0 });
    open = await portal(db, {}, () => NOW);
    const office = await signedIn(open.app, 'tinh-001');
    const unit = await signedIn(open.app, 'dv-hn1');
    const district = await signedIn(open.app, 'huyen-001-005');
    let compared = 0;
    for (const code of ['HN0010001', 'HN0010002']) {
      for (const form of ['mau01', 'mau02'] as const) {
        const written = await readFile(path.join(out, '001', code, `${form}.xlsx`)).catch(() => null);
        const asked = await office.get(`/units/${code}/${form}.xlsx`);
        if (!written) {
          expect(asked.status).toBe(404); // no rows on that form: no file either way
          continue;
        }
        expect(asked.status).toBe(200);
        expect(await xlsxText(asked.raw)).toContain(code);
        expect(asked.raw.equals(written)).toBe(true);
        if (code === 'HN0010001') {
          expect((await unit.get(`/units/${code}/${form}.xlsx`)).raw.equals(written)).toBe(true);
          // every one of Hoa Sen's people is of its district office (001/005): the same file for that office
          expect((await district.get(`/units/${code}/${form}.xlsx`)).raw.equals(written)).toBe(true);
          // which issues it, under the province's office (Hoa Sen is managed by 001/005, Quận Cầu Giấy)
          expect(await xlsxText(asked.raw)).toMatch(/^BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI\n(.*\n)*BẢO HIỂM XÃ HỘI QUẬN CẦU GIẤY\n/);
        }
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('read a large unit a page at a time and still give the file of ddcn lists; to the national account, a unit\'s people of every province', { timeout: 60_000 }, async () => {
    const { db } = database();
    const dir = await useTempDir();
    await seed(db, dir);
    await morePeople(db, 'HN0010001', '001', 1, 10_001); // three pages of 5 000
    // A unit with no province on file, its people in province 001 and without one: `ddcn lists` files them apart.
    await db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, dia_chi, updated_at) VALUES ('DVKHONGTINH', 'Công ty Không Tỉnh', '', now())`);
    await morePeople(db, 'DVKHONGTINH', '001', 20_001, 5_001);
    await morePeople(db, 'DVKHONGTINH', null, 30_001, 2_000);
    const out = path.join(dir, 'lists');
    await generateLists({ ...deps(db), now: () => NOW }, { out, province: null, unit: null, workers: 0 });
    open = await portal(db, {}, () => NOW);
    const national = await signedIn(open.app, 'tw');
    const big = await national.get('/units/HN0010001/mau01.xlsx');
    expect(big.status).toBe(200);
    expect(big.raw.equals(await readFile(path.join(out, '001', 'HN0010001', 'mau01.xlsx')))).toBe(true);
    // The national account, as the unit page lists them: every one, by province (001, then those without one).
    const all = await national.get('/units/DVKHONGTINH/mau01.xlsx');
    expect(all.status).toBe(200);
    const [inProvince, withoutProvince] = [
      ...(await filesEnding(out, path.join('DVKHONGTINH', 'mau01.xlsx'))).filter((f) => f.includes(`${path.sep}001${path.sep}`)),
      ...(await filesEnding(out, path.join('DVKHONGTINH', 'mau01.xlsx'))).filter((f) => !f.includes(`${path.sep}001${path.sep}`)),
    ];
    const fromLists = [...(await codesOn(await readFile(inProvince!))), ...(await codesOn(await readFile(withoutProvince!)))];
    expect(fromLists).toHaveLength(7_001);
    expect(await codesOn(all.raw)).toEqual(fromLists);
  });

  it('give Mẫu 03 again from the workbook already made while the figures are the same, and a new one once they move', async () => {
    const { db } = database();
    await seed(db, await useTempDir());
    let now = new Date('2024-06-05T03:00:00Z');
    open = await portal(db, {}, () => now);
    const office = await signedIn(open.app, 'tinh-001');
    const first = await office.get('/report/mau03.xlsx');
    expect(first.status).toBe(200);
    now = new Date('2024-06-05T03:20:00Z'); // later the same day, nothing changed
    const again = await office.get('/report/mau03.xlsx');
    expect(again.status).toBe(200);
    expect(again.raw.equals(first.raw)).toBe(true);
    const unit = await signedIn(open.app, 'dv-hn1');
    expect((await unit.post('/units/HN0010001/people/0010000003', { so_ddcn: '001079000003' })).status).toBeLessThan(400);
    const moved = await office.get('/report/mau03.xlsx');
    expect(moved.raw.equals(first.raw)).toBe(false);
    expect(await xlsxText(moved.raw)).not.toBe(await xlsxText(first.raw)); // the corrections received
    now = new Date('2024-06-06T04:00:00Z'); // the next day: issued that day
    const nextDay = await (await signedIn(open.app, 'tinh-001')).get('/report/mau03.xlsx');
    expect(nextDay.status).toBe(200);
    expect(await xlsxText(nextDay.raw)).toContain('06 tháng 6 năm 2024');
  });
});
