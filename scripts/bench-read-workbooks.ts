// What reading a workbook whole costs its thread (src/reports/xlsx/read-thread.ts), the time to read and the smallest
// heap the reading thread succeeds with:
// - a returned Mẫu 02 of several sizes, as ddcn writes it and as a spreadsheet saves it again after a clerk filled in
//   columns (10)–(13) (the limits in read-mau02.ts and the portal's come from here);
// - a participants workbook at the size read whole (read-table.ts, XLSX_SMALL: 24 MB unpacked).
//
//   npx tsx scripts/bench-read-workbooks.ts [--people 5000,40000] [--participants 120000]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { ListFileWriter } from '../src/reports/list-file.js';
import type { ListRow } from '../src/reports/list-row.js';
import { PARTICIPANT_COLUMNS } from '../src/pipeline/participant-row.js';
import type { SmallWorkbook } from '../src/pipeline/read-xlsx.js';
import { openReturnedMau02 } from '../src/reports/read-mau02.js';
import { readInThread } from '../src/reports/xlsx/read-thread.js';
import { xlsxPartSizes } from '../src/reports/xlsx/part-sizes.js';

const arg = process.argv.indexOf('--people');
const sizes = (arg > 0 ? process.argv[arg + 1]! : '5000,40000').split(',').map(Number).filter((n) => n > 0);
const parg = process.argv.indexOf('--participants');
const participants = parg > 0 ? Number(process.argv[parg + 1]) : 120_000;
const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };
const person = (i: number): ListRow => ({
  maSoBhxh: String(7_900_000_000 + i).padStart(10, '0'), hoTen: `Nguyễn Thị Phương Thảo ${i}`, ngaySinh: '1990-03-05', gioiTinh: 'F',
  soGiayTo: '012345678', soDdcn: null, vssid: false, email: null, status: 'MISMATCHED', fields: ['dob', 'name'], findings: [],
  detail: { registry: { ngaySinh: '1990-03-06', hoTen: `Nguyễn Thị Phương Thao ${i}` } },
});

async function rowsRead(file: string, heapMb: number, timeoutMs = 600_000): Promise<number | Error> {
  if (file.includes('participants')) {
    const read = await readInThread<SmallWorkbook>(new URL('../src/pipeline/read-xlsx.ts', import.meta.url), 'readSmallXlsx', file, { heapMb, timeoutMs, maxResultBytes: 2 ** 30 });
    return read.ok ? read.value.rows.length : new Error(JSON.stringify(read));
  }
  try {
    const form = await openReturnedMau02(file, { heapMb, timeoutMs });
    let n = 0;
    for await (const _ of form.rows) n += 1;
    return n;
  } catch (err) {
    return err as Error;
  }
}

/** The smallest heap (MB, to 8 MB) the thread reads the file with. */
async function smallestHeap(file: string): Promise<number> {
  let lo = 8;
  let hi = 4096;
  while (hi - lo > 8) {
    const mid = Math.round((lo + hi) / 2);
    if (typeof (await rowsRead(file, mid)) === 'number') hi = mid;
    else lo = mid;
  }
  return hi;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-bench-mau02-'));
try {
  for (const n of sizes) {
    const sent = path.join(dir, `sent-${n}.xlsx`);
    const w = ListFileWriter.open({ path: sent, form: 'mau02', unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
    for (let i = 0; i < n; i += 1000) w.add(Array.from({ length: Math.min(1000, n - i) }, (_, k) => person(i + k)));
    await w.close();
    // Filled in and saved again by a spreadsheet (exceljs here): shared strings, styles of its own.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(sent);
    const ws = wb.worksheets[0]!;
    for (let r = 15; r < 15 + n; r++) {
      ws.getCell(r, 10).value = `Nguyễn Thị Phương Thảo ${r}`;
      ws.getCell(r, 11).value = '06/03/1990';
    }
    const filled = path.join(dir, `filled-${n}.xlsx`);
    await wb.xlsx.writeFile(filled);
    for (const [kind, file] of [['as written', sent], ['filled, re-saved', filled]] as const) {
      const t0 = performance.now();
      const read = await rowsRead(file, 2048);
      const ms = performance.now() - t0;
      if (typeof read !== 'number') throw read;
      const heap = await smallestHeap(file);
      console.log(`${n} people, ${kind}: ${((await stat(file)).size / 1024).toFixed(0)} KB, ${read} rows read in ${(ms / 1000).toFixed(2)} s; smallest heap ${heap} MB`);
    }
  }
  if (participants > 0) {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sach');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    for (let i = 0; i < participants; i++) {
      ws.addRow([String(100_000_000 + i).padStart(10, '0'), `Nguyễn Thị Phương Thảo ${i}`, '05/03/1990', 'Nữ', `0010900${String(i).padStart(5, '0')}`,
        `TA${i % 5000}`, `Công ty TNHH Sao Mai ${i % 5000}`, 'Số 12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh', '79', '', 'thao@example.vn', '']);
    }
    const file = path.join(dir, `participants-${participants}.xlsx`);
    await wb.xlsx.writeFile(file);
    const unpacked = [...(await xlsxPartSizes(file))!.values()].reduce((a, b) => a + b, 0);
    const t0 = performance.now();
    const read = await rowsRead(file, 4096);
    const ms = performance.now() - t0;
    if (typeof read !== 'number') throw read;
    const heap = await smallestHeap(file);
    console.log(`participants workbook, ${participants} rows: ${((await stat(file)).size / 1024 / 1024).toFixed(1)} MB, ${(unpacked / 1024 / 1024).toFixed(1)} MB unpacked, ` +
      `${read} rows read in ${(ms / 1000).toFixed(2)} s; smallest heap ${heap} MB`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
