// A unit's Mẫu 02 as `ddcn lists` sends it out, and as the clerk sends it back: opened, edited cell by cell, saved
// under a new name. Shared by the correction tests.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  deps, mockRegistry, parseCsv, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput, type RegistryInput,
} from './pipeline.js';

/** The correction tests' unit and its four people on Mẫu 02: a date, a name, no number, an unknown number. */
export const SAO_MAI = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty TNHH Sao Mai', ma_tinh: '079', ma_huyen: '760' };
export const SAO_MAI_PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...SAO_MAI },
  { ma_so_bhxh: '0790000002', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...SAO_MAI },
  { ma_so_bhxh: '0790000003', ho_ten: 'Phạm Văn Hùng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam', so_giay_to: '023456785', ...SAO_MAI },
  { ma_so_bhxh: '0790000005', ho_ten: 'Vũ Văn Năm', ngay_sinh: '1970', gioi_tinh: 'Nam', so_giay_to: '099999999', ...SAO_MAI },
];
export const SAO_MAI_REGISTRY: RegistryInput[] = [
  { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  { so_ddcn: '079080000005', so_cmnd: '023456785', ho_ten: 'Phạm Văn Hưng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam' },
];

/** Imported, verified once, lists written: the Mẫu 02 of `unit` (province 079) is ready to go out. */
export async function listsOut(db: Db, people: ParticipantInput[], registry: RegistryInput[], unit: string) {
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, people));
  await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, registry))), { province: null });
  const out = path.join(dir, 'lists');
  await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
  return { dir, mau02: path.join(out, `079/${unit}/mau02.xlsx`) };
}

/** Opens the list as a clerk would, lets `edit` change it (rows by the code in column 2), saves it under a new name. */
export async function returned(
  file: string, dir: string, edit: (ws: ExcelJS.Worksheet, row: (code: string) => ExcelJS.Row) => void,
): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0]!;
  const byCode = new Map<string, ExcelJS.Row>();
  ws.eachRow((r) => {
    const v = r.getCell(2).value;
    if (typeof v === 'string' && /^\d{10}$/.test(v)) byCode.set(v, r);
  });
  edit(ws, (code) => {
    const row = byCode.get(code);
    if (!row) throw new Error(`no row for ${code} on the list`);
    return row;
  });
  const saveAs = path.join(dir, `tra-ve-${Math.random().toString(36).slice(2)}.xlsx`);
  await wb.xlsx.writeFile(saveAs);
  return saveAs;
}

/** The rejects file of an import of corrections: reason by the code in column (2). */
export async function rejectsByCode(file: string): Promise<Map<string, string>> {
  const [, ...lines] = await parseCsv((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  return new Map(lines.map((l) => [l[2]!, l[1]!]));
}
