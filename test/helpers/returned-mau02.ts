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
