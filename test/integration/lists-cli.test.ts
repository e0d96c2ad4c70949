// The new commands as an operator runs them: a real process, DATABASE_URL, files in and out, exit codes.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ddcn, type Ran } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { vnDate } from '../../src/reports/vn-date.js';


const thisYear = vnDate(new Date()).year;
const unit = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '079', ma_huyen: '760' };
let t: TestDatabase;
let dir: string;
const ran: Record<string, Ran> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-lists-cli-'));
  const env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
  const participants = await writeParticipants(dir, [
    { ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', vssid: '1', ...unit },
    { ma_so_bhxh: '0790000002', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...unit },
  ]);
  const registry = await writeRegistry(dir, [
    { so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
    { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  ]);
  await writeFile(path.join(dir, 'targets.csv'), 'ma_tinh,chi_tieu_vssid\n079,10\n');
  const inOrder = async () => {
    await ddcn(['import', 'participants', participants], env);
    await ddcn(['run', '--registry', 'mock', '--registry-data', registry], env);
    ran.targets = await ddcn(['import', 'targets', path.join(dir, 'targets.csv')], env);
    ran.lists = await ddcn(['lists', '--out', path.join(dir, 'lists')], env);
    ran.corrections = await ddcn(['import', 'corrections', path.join(dir, 'lists/079/DV0790001/mau02.xlsx')], env);
    // The same sheet with its people's codes wiped: a table read empty.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(dir, 'lists/079/DV0790001/mau02.xlsx'));
    wb.worksheets[0]!.eachRow((r) => {
      if (/^\d{10}$/.test(r.getCell(2).text)) r.getCell(2).value = null;
    });
    await wb.xlsx.writeFile(path.join(dir, 'no-codes.xlsx'));
    ran.noCodes = await ddcn(['import', 'corrections', path.join(dir, 'no-codes.xlsx')], env);
    // The form filled in with a day that does not exist: its one filled row refused, nothing applied.
    const refused = new ExcelJS.Workbook();
    await refused.xlsx.readFile(path.join(dir, 'lists/079/DV0790001/mau02.xlsx'));
    refused.worksheets[0]!.eachRow((r) => {
      if (/^\d{10}$/.test(r.getCell(2).text)) r.getCell(11).value = '31/02/1965';
    });
    await refused.xlsx.writeFile(path.join(dir, 'refused.xlsx'));
    ran.refused = await ddcn(['import', 'corrections', path.join(dir, 'refused.xlsx')], env);
    ran.report = await ddcn(['report', 'progress', '--out', path.join(dir, 'mau03.xlsx'), '--period', 'month', '--province', '079'], env);
    // A campaign of last year: its 31/12 is past.
    ran.planYear = await ddcn(['report', 'progress', '--out', path.join(dir, 'mau03-plan.xlsx')], { ...env, DDCN_PLAN_YEAR: String(thisYear - 1) });
  };
  const alongside = async () => {
    [ran.help, ran.badDate, ran.earlyDate, ran.notXlsx, ran.badPlanYear] = await Promise.all([
      ddcn(['report', 'progress', '--help'], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'x.xlsx'), '--as-of', '2024-02-30'], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'x.xlsx'), '--as-of', '0024-06-30'], env),
      ddcn(['import', 'corrections', participants], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'y.xlsx')], { ...env, DDCN_PLAN_YEAR: '226' }),
    ]);
  };
  await Promise.all([inOrder(), alongside()]);
}, 120_000);

afterAll(async () => {
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ddcn lists, import corrections/targets, report progress on the command line', () => {
  it('imports targets and writes the lists, reporting counts on stderr and nothing on stdout', async () => {
    expect(ran.targets!.code, ran.targets!.stderr).toBe(0);
    expect(ran.targets!.stderr).toContain('1 rows read · 1 imported · 0 rejected');
    expect(ran.lists!.code, ran.lists!.stderr).toBe(0);
    expect(ran.lists!.stdout).toBe('');
    expect(ran.lists!.stderr).toMatch(/wrote 2 files for 1 unit .*: 1 Mẫu 01 · 1 Mẫu 02 · 0 đề nghị hỗ trợ · 2 rows/);
    expect((await readdir(path.join(dir, 'lists/079/DV0790001'))).filter((f) => f.endsWith('.xlsx')).sort()).toEqual(['mau01.xlsx', 'mau02.xlsx']);
  });

  it('reads back a Mẫu 02 nobody filled in: recognised, nothing applied', () => {
    expect(ran.corrections!.code, ran.corrections!.stderr).toBe(0);
    expect(ran.corrections!.stderr).toMatch(/\(unit DV0790001\).*1 rows read · 0 people corrected \(0 values\) · 0 unchanged · 1 not filled in · 0 rejected/);
  });

  it('exits 1 for a Mẫu 02 whose every row filled in was refused, so that the nightly script does not file it as done', () => {
    expect(ran.refused!.code, ran.refused!.stderr).toBe(1);
    expect(ran.refused!.stderr).toMatch(/1 rows read · 0 people corrected \(0 values\) · 0 unchanged · 0 not filled in · 1 rejected/);
    expect(ran.refused!.stderr).toContain('nothing from ' + path.join(dir, 'refused.xlsx') + ' was applied: all 1 rows filled in were refused');
  });

  it('exits 1 on a Mẫu 02 whose table holds nobody: not a night to file the sheet as done', () => {
    expect(ran.noCodes!.code, ran.noCodes!.stderr).toBe(1);
    expect(ran.noCodes!.stderr).toMatch(/0 rows read · 0 people corrected/);
    expect(ran.noCodes!.stderr).toContain("no person's row was read from");
  });

  it('writes Mẫu 03 for a province', async () => {
    expect(ran.report!.code, ran.report!.stderr).toBe(0);
    expect(ran.report!.stderr).toMatch(/wrote Mẫu 03 .*: 1 district, .*: 2 participants · 1 matched \(50\.0 %\) · 1 VssID/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(dir, 'mau03.xlsx'));
    expect(wb.worksheets[0]!.getCell('B14').text).toBe('Quận 1 (760)');
  });

  it('assesses Mẫu 03 against the milestones of DDCN_PLAN_YEAR, and refuses a year that cannot be the campaign\'s', async () => {
    expect(ran.planYear!.code, ran.planYear!.stderr).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(dir, 'mau03-plan.xlsx'));
    const assessments: Record<string, string> = {};
    wb.worksheets[0]!.eachRow((r) => {
      assessments[r.getCell(2).text] = r.getCell(18).text;
    });
    expect(assessments['Tổng cộng']).toBe(`Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/${thisYear - 1})`); // 1 of 2 matched
    expect(ran.badPlanYear!.code).toBe(2);
    expect(ran.badPlanYear!.stderr).toContain('DDCN_PLAN_YEAR must be the year of the milestones of Mẫu 03');
  });

  it('exits 2 on a bad date and 1 on a file that is not a Mẫu 02, saying what to do', () => {
    expect(ran.help!.code).toBe(0);
    expect(ran.help!.stdout).toContain('--as-of <date>');
    expect(ran.badDate!.code).toBe(2);
    expect(ran.badDate!.stderr).toContain('--as-of 2024-02-30 is not a day of the calendar');
    expect(ran.earlyDate!.code).toBe(2);
    expect(ran.earlyDate!.stderr).toContain('--as-of 0024-06-30 is before 2000, before any figures were kept: check the year');
    expect(ran.notXlsx!.code).toBe(1);
    expect(ran.notXlsx!.stderr).toContain('is not an .xlsx workbook');
  });
});
