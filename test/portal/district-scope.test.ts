// A unit whose people live in two districts: a district office sees, and downloads, only its own district's
// people of that unit. (The unit page and the Mẫu 02 download once filtered by province only.)
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { startImportRun } from '../../src/db/import-runs.js';
import { insertTargets } from '../../src/db/targets.js';
import { insertUser } from '../../src/db/portal-users.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import type { Portal } from '../../src/portal/app.js';
import { hashPassword } from '../../src/portal/passwords.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deps, mockRegistry, runDeps, writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { fillMau02 } from './fill-mau02.js';
import { PASSWORD, portal, signedIn, xlsxText } from './harness.js';

const UNIT = { ma_don_vi: 'HN0019999', ten_don_vi: 'Công ty Hai Huyện', ma_tinh: '001' };
const HERE = { ma_so_bhxh: '0010009001', ho_ten: 'Ngô Thị Ở Đây', ngay_sinh: '05/03/1990', gioi_tinh: 'Nữ', so_giay_to: '012349001', ...UNIT, ma_huyen: '005' };
const THERE = { ma_so_bhxh: '0010009002', ho_ten: 'Lý Văn Ở Kia', ngay_sinh: '06/04/1991', gioi_tinh: 'Nam', so_giay_to: '012349002', ...UNIT, ma_huyen: '006' };
/** One of the unit's people whom another province manages (first in the file: the unit keeps its office in 001). */
const ELSEWHERE = { ma_so_bhxh: '0790009003', ho_ten: 'Võ Văn Ở Xa', ngay_sinh: '07/05/1992', gioi_tinh: 'Nam', so_giay_to: '012349003', ...UNIT, ma_tinh: '079', ma_huyen: '760' };

let t: TestDatabase;
let app: Portal;
let dir: string;
let here: typeof HERE;
let there: typeof HERE;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-district-'));
  await importParticipants(deps(t.db), await writeParticipants(dir, [ELSEWHERE, HERE, THERE]));
  // The registry knows neither number: both are on the unit's Mẫu 02.
  const registryFile = await writeRegistry(dir, [{ so_ddcn: '001090000001', ho_ten: 'Người Khác', ngay_sinh: '1990', gioi_tinh: 'Nam' }]);
  await runBatch(runDeps(t.db, await mockRegistry(registryFile)), { province: null });
  const passwordHash = await hashPassword(PASSWORD);
  // The unit belongs to the district office that manages it (one of the two); its people of the other district
  // are not that office's.
  const { rows } = await t.db.query<{ ma_huyen: string }>('SELECT ma_huyen FROM unit WHERE ma_don_vi = $1::text', [UNIT.ma_don_vi]);
  const managing = rows[0]!.ma_huyen;
  [here, there] = managing === HERE.ma_huyen ? [HERE, THERE] : [THERE, HERE];
  await insertUser(t.db, { login: 'huyen', scope: { role: 'district', maTinh: '001', maHuyen: managing }, passwordHash, now: new Date() });
  await insertUser(t.db, { login: 'huyen-khac', scope: { role: 'district', maTinh: '001', maHuyen: there.ma_huyen }, passwordHash, now: new Date() });
  await insertUser(t.db, { login: 'tinh-001', scope: { role: 'province', maTinh: '001' }, passwordHash, now: new Date() });
  await insertUser(t.db, { login: 'dv', scope: { role: 'unit', maDonVi: UNIT.ma_don_vi }, passwordHash, now: new Date() });
  app = await portal(t.db);
});

afterAll(async () => {
  await app?.app.close();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

describe('a unit spread over two districts', () => {
  it('shows a district office only the people of its district, on the page and in the Mẫu 02 it downloads', async () => {
    const district = await signedIn(app.app, 'huyen');
    const page = await district.get(`/units/${UNIT.ma_don_vi}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(here.ma_so_bhxh);
    expect(page.body).not.toContain(there.ma_so_bhxh);
    expect(page.body).not.toContain(there.ho_ten);
    const file = await district.get(`/units/${UNIT.ma_don_vi}/mau02.xlsx`);
    expect(file.status).toBe(200);
    const text = await xlsxText(file.raw);
    expect(text).toContain(here.ma_so_bhxh);
    expect(text).not.toContain(there.ma_so_bhxh);
    expect(await district.get(`/units/${UNIT.ma_don_vi}/people/${there.ma_so_bhxh}`).then((r) => r.status)).toBe(404);
  });

  it("lets a district office's upload correct only its district's people of the unit, as if the others did not exist", async () => {
    // The province's sheet has both people; the district office fills in both rows and sends it.
    const province = await signedIn(app.app, 'tinh-001');
    const sheet = (await province.get(`/units/${UNIT.ma_don_vi}/mau02.xlsx`)).raw;
    const filled = await fillMau02(sheet, { [here.ma_so_bhxh]: { 10: 'Ngô Thị Đã Sửa' }, [there.ma_so_bhxh]: { 10: 'Lý Văn Đã Sửa' } });
    const district = await signedIn(app.app, 'huyen');
    await district.get(`/units/${UNIT.ma_don_vi}`);
    const res = await district.upload(`/units/${UNIT.ma_don_vi}/corrections`, { name: 'mau02.xlsx', body: filled });
    expect(res.status).toBe(200);
    const changed = await t.db.query<{ ma_so_bhxh: string; ho_ten: string }>(
      `SELECT ma_so_bhxh, ho_ten FROM participant WHERE ma_don_vi = $1::text AND ma_tinh = '001' ORDER BY 1`, [UNIT.ma_don_vi],
    );
    expect(Object.fromEntries(changed.rows.map((r) => [r.ma_so_bhxh, r.ho_ten]))).toEqual({ [here.ma_so_bhxh]: 'Ngô Thị Đã Sửa', [there.ma_so_bhxh]: there.ho_ten });
    const rejects = /href="([^"]*rejects\.csv)"/.exec(res.body)![1]!;
    const csv = (await district.get(rejects)).body;
    expect(csv).toContain(`Không có người tham gia mã số BHXH ${there.ma_so_bhxh}`);
  });

  it("gives a district office its own district's VssID target on its Mẫu 03, in its row and its total, never the province's", async () => {
    const now = new Date();
    const importId = await startImportRun(t.db, 'targets', 'chi-tieu.csv', now);
    const other = here.ma_huyen === '005' ? '006' : '005';
    await insertTargets(t.db, { importId, now, targets: [
      { maTinh: '001', maHuyen: '', chiTieu: 1000 }, { maTinh: '001', maHuyen: here.ma_huyen, chiTieu: 10 }, { maTinh: '001', maHuyen: other, chiTieu: 990 },
    ] });
    const office = await signedIn(app.app, 'huyen');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await office.get('/report/mau03.xlsx')).raw as unknown as ArrayBuffer);
    const targets: Record<string, string> = {};
    wb.worksheets[0]!.eachRow((r) => {
      const label = r.getCell(2).text;
      if (label) targets[label] = r.getCell(14).text;
    });
    expect(targets['Tổng cộng']).toBe('10');
    expect(Object.values(targets)).not.toContain('1000');
  });

  it('shows the province office both', async () => {
    const province = await signedIn(app.app, 'tinh-001');
    const text = await xlsxText((await province.get(`/units/${UNIT.ma_don_vi}/mau02.xlsx`)).raw);
    expect(text).toContain(HERE.ma_so_bhxh);
    expect(text).toContain(THERE.ma_so_bhxh);
    expect(text).not.toContain(ELSEWHERE.ma_so_bhxh); // another province's
  });

  it('gives the unit itself, in its download as on its page, its people of every province', async () => {
    const unit = await signedIn(app.app, 'dv');
    const page = await unit.get(`/units/${UNIT.ma_don_vi}`);
    const text = await xlsxText((await unit.get(`/units/${UNIT.ma_don_vi}/mau02.xlsx`)).raw);
    for (const p of [HERE, THERE, ELSEWHERE]) {
      expect(page.body).toContain(p.ma_so_bhxh);
      expect(text).toContain(p.ma_so_bhxh);
    }
  });

  it('finds in a look-up the people of its district of a unit another office manages, without a link to that unit’s page (a 404 for it)', async () => {
    const other = await signedIn(app.app, 'huyen-khac');
    await other.get('/lookup');
    const found = await other.post('/lookup', { number: there.so_giay_to });
    expect(found.status).toBe(200);
    expect(found.body).toContain(there.ma_so_bhxh);
    expect(found.body).toContain(`<td data-label="Đơn vị">${UNIT.ma_don_vi}</td>`);
    expect(found.body).not.toContain(`href="/units/${UNIT.ma_don_vi}"`);
    expect((await other.get(`/units/${UNIT.ma_don_vi}`)).status).toBe(404);
    // The office that manages the unit gets the link.
    const managing = await signedIn(app.app, 'huyen');
    await managing.get('/lookup');
    expect((await managing.post('/lookup', { number: here.so_giay_to })).body).toContain(`href="/units/${UNIT.ma_don_vi}"`);
  });
});
