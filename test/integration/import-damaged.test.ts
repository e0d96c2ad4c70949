// A workbook damaged half-way (its compressed sheet scrambled after thousands of rows, as a broken copy or download
// leaves it) is refused whole, with a message that says so: the rows before the damage are not imported as if they
// were the file.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, rows, useTempDir } from '../helpers/pipeline.js';

const database = databasePerFile();

/** A workbook as Excel would save it, with `n` people on its one sheet. */
async function workbook(file: string, n: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false });
  const ws = wb.addWorksheet('Danh sach');
  ws.addRow(['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to']).commit();
  // Names that differ row to row, so that the compressed sheet has no long repeats.
  for (let i = 1; i <= n; i++) ws.addRow([`01${String(i).padStart(8, '0')}`, `Nguyen Van ${(i * 7919).toString(36)}`]).commit();
  ws.commit();
  await wb.commit();
}

/** Where the compressed data of `name` lies in the zip `buf`, from its central directory entry. */
function entryData(buf: Buffer, name: string): { start: number; size: number } {
  const CENTRAL = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let p = buf.indexOf(CENTRAL); p >= 0; p = buf.indexOf(CENTRAL, p + 4)) {
    const nameLen = buf.readUInt16LE(p + 28);
    if (buf.toString('utf8', p + 46, p + 46 + nameLen) !== name) continue;
    const local = buf.readUInt32LE(p + 42);
    return { start: local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28), size: buf.readUInt32LE(p + 20) };
  }
  throw new Error(`${name} is not in the workbook`);
}

describe('import participants from a damaged .xlsx', () => {
  it('fails the whole file and imports nobody when the sheet cannot be read to its end', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'hong.xlsx');
    await workbook(file, 20_000);
    const whole = await readFile(file);
    // Scramble a stretch of the compressed sheet three quarters of the way in: the rows before it read well.
    const sheet = entryData(whole, 'xl/worksheets/sheet1.xml');
    const damaged = Buffer.from(whole);
    const at = sheet.start + Math.floor(sheet.size * 0.75);
    for (let k = at; k < at + 64; k++) damaged[k] = damaged[k]! ^ 0x5a;
    await writeFile(file, damaged);
    const err = await importParticipants(deps(db), file, path.join(dir, 'rejects.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/is not a readable \.xlsx workbook \(.*\); open it in Excel and save it again, or save it as CSV UTF-8$/);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    // The same workbook whole imports every row.
    await writeFile(file, whole);
    expect(await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'))).toMatchObject({ rowsRead: 20_000, inserted: 20_000 });
  }, 60_000);
});
