// `ddcn report progress` (Mẫu 03): figures per province or district, from the stored history, for any past date.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { MockRegistry } from '../../src/adapters/mock.js';
import type { RegistryAdapter } from '../../src/adapters/types.js';
import type { Db } from '../../src/db/pool.js';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { rateDown } from '../../src/domain/rates.js';
import { progressReport } from '../../src/pipeline/progress-report.js';
import { runBatch } from '../../src/pipeline/run.js';
import { importTargets } from '../../src/pipeline/targets.js';
import type { CalendarDate } from '../../src/reports/vn-date.js';
import {
  databasePerFile, deps, exportedResults, mockRegistry, SMALL_RUN, useTempDir, writeParticipants, writeRegistry, type ParticipantInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const Q1 = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '079', ma_huyen: '760' };
const Q3 = { ma_don_vi: 'DV0790002', ten_don_vi: 'Công ty Bình Minh', ma_tinh: '079', ma_huyen: '770' };
const HN = { ma_don_vi: 'DV0010001', ten_don_vi: 'Trường Chu Văn An', ma_tinh: '001', ma_huyen: '001' };
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', vssid: '1', ...Q1 },
  { ma_so_bhxh: '0790000002', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...Q1 },
  { ma_so_bhxh: '0790000003', ho_ten: 'Phạm Văn Hùng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam', so_giay_to: '023456785', ...Q1 },
  { ma_so_bhxh: '0790000004', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...Q3 },
  { ma_so_bhxh: '0790000005', ho_ten: 'Võ Văn Ba', ngay_sinh: '07/1971', gioi_tinh: 'Nam', so_giay_to: '023456783', vssid: '1', ...Q3 },
  { ma_so_bhxh: '0010000001', ho_ten: 'Lý Thị Chín', ngay_sinh: '09/09/1999', gioi_tinh: 'Nữ', so_giay_to: '001199000001', ...HN },
  { ma_so_bhxh: '0010000002', ho_ten: 'Bùi Văn Hai', ngay_sinh: '1977', gioi_tinh: 'Nam', so_giay_to: '099999999', ...HN },
];
const REGISTRY = [
  { so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  { so_ddcn: '079080000005', so_cmnd: '023456785', ho_ten: 'Phạm Văn Hưng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam' },
  { so_ddcn: '079071000003', so_cmnd: '023456783', ho_ten: 'Võ Văn Ba', ngay_sinh: '15/07/1971', gioi_tinh: 'Nam' },
  { so_ddcn: '001199000001', ho_ten: 'Lý Thị Chín', ngay_sinh: '09/09/1999', gioi_tinh: 'Nữ' },
];

// Vietnam is UTC+7: 02:00Z is 09:00 there.
const DAY1 = '2024-06-03T02:00:00Z'; // Monday
const DAY10 = '2024-06-12T02:00:00Z'; // Wednesday of the next week
const JULY = '2024-07-02T02:00:00Z';
const at = (db: Db, iso: string) => ({ ...deps(db), now: () => new Date(iso) });
const runAt = (db: Db, registry: MockRegistry, iso: string) =>
  runBatch({ ...at(db, iso), registry, config: SMALL_RUN }, { province: null });
const day = (s: string): CalendarDate => {
  const [year, month, d] = s.split('-').map(Number) as [number, number, number];
  return { year, month, day: d };
};

/**
 * Day 1: imported and verified. Day 10: a VssID account more; the unit's correction matches one person.
 * July: a second correction that still does not match (escalated).
 */
async function history() {
  const { db } = database();
  const dir = await useTempDir();
  const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
  const targets = path.join(dir, 'chi-tieu.csv');
  await writeFile(targets, 'ma_tinh,chi_tieu_vssid,ma_huyen\n079,10,\n001,4,\n079,6,760\n');
  await importTargets(at(db, DAY1), targets);
  await importParticipants(at(db, DAY1), await writeParticipants(dir, PEOPLE, 'day1.csv'));
  await runAt(db, registry, DAY1);

  await importParticipants(at(db, DAY10), await writeParticipants(dir, PEOPLE.map((p) => (p.ma_so_bhxh === '0010000001' ? { ...p, vssid: '1' } : p)), 'day10.csv'));
  await writeFile(targets, 'ma_tinh,chi_tieu_vssid\n079,20\n');
  await importTargets(at(db, DAY10), targets);
  const lists = path.join(dir, 'lists');
  await generateLists(at(db, DAY10), { out: lists, province: null, unit: null, workers: 0 });
  await importCorrections(at(db, DAY10), await fill(path.join(lists, '079/DV0790001/mau02.xlsx'), dir, { '0790000002': { 11: '12/03/1965' } }));
  await runAt(db, registry, DAY10);

  await generateLists(at(db, JULY), { out: lists, province: null, unit: null, workers: 0 });
  await importCorrections(at(db, JULY), await fill(path.join(lists, '079/DV0790001/mau02.xlsx'), dir, { '0790000003': { 10: 'Phạm Văn Hừng' } }));
  await runAt(db, registry, JULY);
  return { db, dir };
}

async function fill(file: string, dir: string, values: Record<string, Record<number, string>>): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  wb.worksheets[0]!.eachRow((row) => {
    for (const [col, v] of Object.entries(values[String(row.getCell(2).value)] ?? {})) row.getCell(Number(col)).value = v;
  });
  const out = path.join(dir, `returned-${Math.random().toString(36).slice(2)}.xlsx`);
  await wb.xlsx.writeFile(out);
  return out;
}

interface Mau03Row {
  label: string;
  values: Array<number | null>; // columns (3) … (17)
  assessment: string;
  fill: string | undefined;
}

async function readMau03(file: string) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0]!;
  let numbered = 0;
  ws.eachRow((row, n) => {
    if (row.getCell(1).value === '(1)') numbered = n;
  });
  const rows: Mau03Row[] = [];
  let total: Mau03Row | undefined;
  for (let n = numbered + 1; ; n++) {
    const row = ws.getRow(n);
    const label = row.getCell(2).text;
    if (!label) break;
    const r: Mau03Row = {
      label,
      values: Array.from({ length: 15 }, (_, i) => row.getCell(i + 3).value as number | null),
      assessment: row.getCell(18).text,
      fill: (row.getCell(18).fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb,
    };
    if (label === 'Tổng cộng') {
      total = r;
      break;
    }
    rows.push(r);
  }
  return { ws, rows, total: total!, text: (ref: string) => ws.getCell(ref).text };
}

// Column (3) … (17) by name, as indexes into Mau03Row.values.
const C = { total: 0, matched: 1, rate: 2, increase: 3, mismatched: 4, missing: 5, conflict: 6, pending: 7, corrected: 8, rematched: 9, escalated: 10, target: 11, vssid: 12, vssidRate: 13, vssidIncrease: 14 };

describe('report progress (Mẫu 03)', () => {
  it('has totals equal to the sum of the rows that agree with the results export', async () => {
    const { db, dir } = await history();
    const out = path.join(dir, 'mau03.xlsx');
    await progressReport(at(db, JULY), { out, period: 'month', asOf: null, province: null });
    const { rows, total, text, ws } = await readMau03(out);

    expect(rows.map((r) => r.label)).toEqual(['Hà Nội (001)', 'Hồ Chí Minh (079)']);
    for (const col of [C.total, C.matched, C.increase, C.mismatched, C.missing, C.conflict, C.pending, C.corrected, C.rematched, C.escalated, C.target, C.vssid, C.vssidIncrease]) {
      expect(total.values[col], `column (${col + 3})`).toBe(rows.reduce((s, r) => s + (r.values[col] ?? 0), 0));
    }
    const results = [...(await exportedResults(deps(db), dir)).rows.values()];
    const count = (status: string) => results.filter((r) => r.status === status).length;
    expect([C.total, C.matched, C.mismatched, C.missing, C.conflict, C.pending].map((c) => total.values[c])).toEqual([
      results.length, count('MATCHED'), count('MISMATCHED'), count('MISSING_ID'), count('CONFLICT'), count('PENDING'),
    ]);
    expect(total.values[C.rate]).toBe(rateDown(count('MATCHED') / results.length)); // as shown: rounded down to a tenth of a per cent
    expect(total.values.slice(C.corrected, C.escalated + 1)).toEqual([2, 1, 1]); // corrected, matched again, escalated

    expect(text('P1')).toBe('Mẫu số 03');
    expect(text('A5')).toBe('BÁO CÁO TIẾN ĐỘ CẬP NHẬT SỐ ĐDCN/CCCD VÀ CÀI ĐẶT, PHÊ DUYỆT, SỬ DỤNG ỨNG DỤNG VssID');
    expect(text('A6')).toBe('Kỳ báo cáo: tháng 07/2024 (từ ngày 01/07/2024 đến ngày 02/07/2024)');
    expect(ws.getCell('E14').numFmt).toBe('0.0%');
    // percentage columns carry data bars
    const bars = (ws as unknown as { conditionalFormattings: Array<{ ref: string; rules: Array<{ type: string }> }> }).conditionalFormattings;
    expect(bars.map((b) => [b.ref, b.rules[0]!.type])).toEqual([['E14:E15', 'dataBar'], ['P14:P15', 'dataBar']]);
  });

  it('gives the figures of a past date, however much has changed since', async () => {
    const { db, dir } = await history();
    const report = async (asOf: string, period: 'week' | 'month', province: string | null = null) => {
      const out = path.join(dir, `mau03-${asOf}-${period}-${province}.xlsx`);
      await progressReport(at(db, JULY), { out, period, asOf: day(asOf), province });
      return readMau03(out);
    };

    // Day 1 (a Monday): 3 of 7 matched, the week started that day, targets of day 1.
    const d1 = await report('2024-06-03', 'week');
    expect(d1.text('A6')).toBe('Kỳ báo cáo: tuần từ ngày 03/06/2024 đến ngày 03/06/2024');
    expect(d1.total.values.slice(C.total, C.pending + 1)).toEqual([7, 3, rateDown(3 / 7), 3, 3, 1, 0, 0]);
    expect(d1.rows.map((r) => [r.label, r.values[C.matched], r.values[C.target], r.values[C.vssid], r.values[C.vssidRate]])).toEqual([
      ['Hà Nội (001)', 1, 4, 0, 0],
      ['Hồ Chí Minh (079)', 2, 10, 2, 0.2],
    ]);
    expect(d1.total.assessment).toBe('Đang thực hiện: cần đạt 60% trước 30/06/2024');
    expect(d1.total.fill).toBe('FFFFEB9C');

    // The Sunday after: nothing happened in between, so the same figures.
    const sunday = await report('2024-06-09', 'week');
    expect(sunday.total.values.slice(C.total, C.pending + 1)).toEqual(d1.total.values.slice(C.total, C.pending + 1));
    expect(sunday.total.values[C.increase]).toBe(3);

    // Day 10: one correction matched, one more VssID account, the targets imported that day; the week from Monday 10/06.
    const d10 = await report('2024-06-12', 'week');
    expect(d10.text('A6')).toBe('Kỳ báo cáo: tuần từ ngày 10/06/2024 đến ngày 12/06/2024');
    expect(d10.total.values.slice(C.total, C.pending + 1)).toEqual([7, 4, rateDown(4 / 7), 1, 2, 1, 0, 0]);
    expect(d10.total.values.slice(C.corrected, C.escalated + 1)).toEqual([1, 1, 0]);
    expect(d10.rows.map((r) => [r.label, r.values[C.target], r.values[C.vssid], r.values[C.vssidIncrease]])).toEqual([
      ['Hà Nội (001)', 4, 1, 1],
      ['Hồ Chí Minh (079)', 20, 2, 0],
    ]);

    // July, after the 30/06 milestone was missed; the second correction did not match: escalated.
    const july = await report('2024-07-02', 'week');
    expect(july.total.values.slice(C.corrected, C.escalated + 1)).toEqual([2, 1, 1]);
    expect(july.total.assessment).toBe('Chậm tiến độ: chưa đạt mốc 60% (hạn 30/06)');
    expect(july.total.fill).toBe('FFFFC7CE');

    // A province report: one row per district, with the district targets.
    const hcm = await report('2024-06-03', 'month', '079');
    expect(hcm.rows.map((r) => [r.label, r.values[C.total], r.values[C.matched], r.values[C.target]])).toEqual([
      ['Quận 1 (760)', 3, 1, 6],
      ['Quận 3 (770)', 2, 1, '–'], // no target of its own: a dash, not an empty cell
    ]);
    expect(hcm.total.values[C.target]).toBe(10);
    expect(hcm.text('A2')).toBe('BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH');
  });

  it("assesses column (18) against the campaign year's milestones, and keeps a province short of 100 % behind after its 31/12", async () => {
    const { db, dir } = await history(); // participants first imported in June 2024; 4 of 7 matched since day 10
    const report = async (asOf: string, planYear?: number) => {
      const out = path.join(dir, `mau03-${asOf}-${planYear}.xlsx`);
      await progressReport({ ...at(db, '2025-08-01T02:00:00Z'), planYear }, { out, period: 'week', asOf: day(asOf), province: null });
      return readMau03(out);
    };
    // As of 31/12, made once that day was over: the day's milestone, 100 %, is due (as the next day's report says).
    expect((await report('2024-12-31')).total.assessment).toBe('Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12)');
    // 1 January does not start the milestones again: 100 % was due on 31/12/2024, the year of the first import.
    for (const asOf of ['2025-01-01', '2025-07-15']) {
      const r = await report(asOf);
      expect([r.total.assessment, r.total.fill]).toEqual(['Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)', 'FFFFC7CE']);
      expect(r.rows.map((x) => x.assessment)).toEqual([
        'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)', // Hà Nội: 1 of 2
        'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)', // Hồ Chí Minh: 3 of 5
      ]);
    }
    // A campaign of 2025 (DDCN_PLAN_YEAR): its own milestones, and 2024's dates ahead of them.
    expect((await report('2025-01-01', 2025)).total.assessment).toBe('Đang thực hiện: cần đạt 60% trước 30/06/2025');
    expect((await report('2025-07-15', 2025)).total.assessment).toBe('Chậm tiến độ: chưa đạt mốc 60% (hạn 30/06)');
    expect((await report('2024-07-02', 2025)).total.assessment).toBe('Đang thực hiện: cần đạt 60% trước 30/06/2025');
    // The first load made in December (data made ready for the next campaign), and a first try that failed before
    // it: the campaign is the next year's, its milestones still ahead.
    await db.query(`UPDATE import_run SET started_at = '2024-12-10T03:00:00Z' WHERE id = (SELECT min(id) FROM import_run WHERE kind = 'participants')`);
    await db.query(`INSERT INTO import_run (kind, file_name, started_at) VALUES ('participants', 'failed.csv', '2024-01-05T03:00:00Z')`);
    expect((await report('2025-01-01')).total.assessment).toBe('Đang thực hiện: cần đạt 60% trước 30/06/2025');
  });

  it('does not count an outcome for data that changed while it was being verified', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    await importParticipants(at(db, DAY1), await writeParticipants(dir, PEOPLE, 'day1.csv'));
    // The unit's new file is imported while the registry is answering for Lan: her date of birth changes.
    const LAN = '0790000001';
    const changed = await writeParticipants(dir, PEOPLE.map((p) => (p.ma_so_bhxh === LAN ? { ...p, ngay_sinh: '13/03/1985' } : p)), 'day1b.csv');
    let imported = false;
    const racing: RegistryAdapter = {
      kind: 'mock',
      async verify(batch) {
        if (!imported && batch.some((r) => r.requestId === LAN)) {
          imported = true;
          await importParticipants(at(db, DAY1), changed);
        }
        return registry.verify(batch);
      },
      share: (records) => registry.share(records),
      close: async () => undefined,
    };
    await runBatch({ ...at(db, DAY1), registry: racing, config: SMALL_RUN }, { province: null });
    expect(imported).toBe(true);

    const report = async (asOf: string) => {
      const out = path.join(dir, `mau03-${asOf}.xlsx`);
      await progressReport(at(db, JULY), { out, period: 'week', asOf: day(asOf), province: null });
      return readMau03(out);
    };
    // The registry matched the old data, which was no longer on file: Lan is still waiting, on Mẫu 03 as in the results.
    expect((await exportedResults(deps(db), dir)).rows.get(LAN)).toMatchObject({ status: 'PENDING', so_ddcn: '' });
    const d1 = await report('2024-06-03');
    expect(d1.total.values.slice(C.total, C.pending + 1)).toEqual([7, 2, rateDown(2 / 7), 2, 3, 1, 0, 1]);

    // The next run verifies the new date of birth, which the registry does not have.
    await runAt(db, registry, DAY10);
    expect((await exportedResults(deps(db), dir)).rows.get(LAN)).toMatchObject({ status: 'MISMATCHED' });
    expect((await report('2024-06-12')).total.values.slice(C.total, C.pending + 1)).toEqual([7, 2, rateDown(2 / 7), 0, 4, 1, 0, 0]);
    expect((await report('2024-06-03')).total.values.slice(C.total, C.pending + 1)).toEqual(d1.total.values.slice(C.total, C.pending + 1));
  });

  it('counts as not verified someone whose data the source changed after the registry confirmed it, on no list until the next run', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    await importParticipants(at(db, DAY1), await writeParticipants(dir, PEOPLE, 'day1.csv'));
    await runAt(db, registry, DAY1);
    // Day 10: the export gives Lan (MATCHED) another name, and Bốn (MISMATCHED on his date of birth) another date.
    const LAN = '0790000001';
    const BON = '0790000002';
    const next = PEOPLE.map((p) => (p.ma_so_bhxh === LAN ? { ...p, ho_ten: 'Trần Thị Lan Anh' } : p.ma_so_bhxh === BON ? { ...p, ngay_sinh: '1967' } : p));
    await importParticipants(at(db, DAY10), await writeParticipants(dir, next, 'day10.csv'));
    const results = (await exportedResults(deps(db), dir)).rows;
    expect([results.get(LAN)?.status, results.get(BON)?.status]).toEqual(['PENDING', 'PENDING']);
    const lists = path.join(dir, 'lists');
    await generateLists(at(db, DAY10), { out: lists, province: null, unit: null, workers: 0 });
    const codes = async (f: string) => {
      const wb = new ExcelJS.Workbook();
      if (!existsSync(path.join(lists, f))) return []; // nobody of the unit on that form
      await wb.xlsx.readFile(path.join(lists, f));
      const found: string[] = [];
      wb.worksheets[0]!.eachRow((row) => {
        const v = row.getCell(2).value;
        if (typeof v === 'string' && /^\d{10}$/.test(v)) found.push(v);
      });
      return found;
    };
    // Mẫu 01 no longer tells Lan that her new, unchecked name is synchronised; Bốn's Mẫu 02 line compared other data.
    expect(await codes('079/DV0790001/mau01.xlsx')).not.toContain(LAN);
    expect(await codes('079/DV0790002/mau01.xlsx')).toEqual(['0790000005']); // the others are as they were
    expect(await codes('079/DV0790001/mau02.xlsx')).not.toContain(BON);
    const report = async (asOf: string) => {
      const out = path.join(dir, `mau03-${asOf}.xlsx`);
      await progressReport(at(db, JULY), { out, period: 'week', asOf: day(asOf), province: null });
      return readMau03(out);
    };
    // Mẫu 03 agrees, as of day 10; as of day 1 it still has what was so that day.
    const [total, matched, , , mismatched, missing, conflict, pending] = (await report('2024-06-12')).total.values.slice(C.total, C.pending + 1);
    const [, matched1, , , mismatched1, , , pending1] = (await report('2024-06-03')).total.values.slice(C.total, C.pending + 1);
    expect([total, matched, mismatched, missing, conflict, pending]).toEqual([7, matched1! - 1, mismatched1! - 1, 1, 0, pending1! + 2]);
    // The next run verifies the new data.
    await runAt(db, registry, JULY);
    expect((await exportedResults(deps(db), dir)).rows.get(LAN)?.status).toBe('MISMATCHED'); // the registry has the old name
  });

  it('keeps the outcome of a name the export only writes in capitals (the registry compares it the same)', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    await importParticipants(at(db, DAY1), await writeParticipants(dir, PEOPLE, 'day1.csv'));
    await runAt(db, registry, DAY1);
    const before = [...(await exportedResults(deps(db), dir)).rows.values()];
    await importParticipants(at(db, DAY10), await writeParticipants(dir, PEOPLE.map((p) => ({ ...p, ho_ten: p.ho_ten!.toUpperCase() })), 'upper.csv'));
    expect([...(await exportedResults(deps(db), dir)).rows.values()]).toEqual(before);
  });

  it('takes a corrected person out of (12) and (13) once the export changes their data again, and a correction writes no state row', async () => {
    const { db, dir } = await history(); // by July: 0790000002 matched again after a correction, 0790000003 escalated
    const report = async (asOf: string) => {
      const out = path.join(dir, `mau03-${asOf}-${Math.random()}.xlsx`);
      await progressReport(at(db, '2024-07-20T02:00:00Z'), { out, period: 'week', asOf: day(asOf), province: null });
      return (await readMau03(out)).total.values;
    };
    const july = await report('2024-07-05');
    expect(july.slice(C.corrected, C.escalated + 1)).toEqual([2, 1, 1]);
    // The two corrections left no mark of an import change (nor moved the dashboards' fingerprint: figures-cache.ts).
    const marks = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM participant_state WHERE changed_version IS NOT NULL')).rows[0]!.n;
    expect(await marks()).toBe(0);
    // The next export changes both: Hùng's date of birth, Bốn's sex. Neither is verified now, nor on any list.
    const changed = PEOPLE.map((p) => (p.ma_so_bhxh === '0790000003' ? { ...p, ngay_sinh: '02/01/1980' } : p.ma_so_bhxh === '0790000002' ? { ...p, gioi_tinh: 'Nữ' } : p));
    await importParticipants(at(db, '2024-07-10T02:00:00Z'), await writeParticipants(dir, changed, 'july10.csv'));
    expect(await marks()).toBe(2);
    const after = await report('2024-07-12');
    expect(after.slice(C.corrected, C.escalated + 1)).toEqual([2, 0, 0]);
    expect(after[C.pending]).toBe(july[C.pending]! + 2);
    expect(after[C.total]).toBe(after[C.matched]! + after[C.mismatched]! + after[C.missing]! + after[C.conflict]! + after[C.pending]!);
    expect(await report('2024-07-05')).toEqual(july); // the day before stays as it was
  });

  it('counts nobody before the first import', async () => {
    const { db, dir } = await history();
    const out = path.join(dir, 'before.xlsx');
    const r = await progressReport(at(db, JULY), { out, period: 'week', asOf: day('2024-05-31'), province: null });
    // One row per province with a target (the first targets count before they were imported), nobody in it yet.
    expect(r.rows.map((x) => [x.label, x.total, x.target, x.assessment.level])).toEqual([['Hà Nội (001)', 0, 4, 'none'], ['Hồ Chí Minh (079)', 0, 10, 'none']]);
    expect(r.total).toMatchObject({ total: 0, matched: 0, matchedRate: null, target: 14, assessment: { level: 'none' } });
    expect((await readMau03(out)).total.values[C.total]).toBe(0);
  });
});
