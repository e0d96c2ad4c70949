// `ddcn lists` with unit codes that are not safe folder names: every person on exactly one list, no unit's file
// overwritten by another's, and a file that cannot be written named while all the others are written.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { runBatch } from '../../src/pipeline/run.js';
import { FolderClaims } from '../../src/reports/list-paths.js';
import { ddcn } from '../helpers/cli.js';
import {
  databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const LONG = `DV${'9'.repeat(298)}`; // 300 characters
const CODES = ['a/b', 'a_b', 'a b', 'a\\b', 'A/B', 'dv01', 'DV01', 'CON', 'x.', 'Đơn vị 1', LONG, '../..', 'BLOCKED', 'BLOCKED2'];

/** Per unit: one person the registry confirms (Mẫu 01) and one without a number (Mẫu 02). */
function people(): { participants: ParticipantInput[]; registry: RegistryInput[]; unitOf: Map<string, string> } {
  const participants: ParticipantInput[] = [];
  const registry: RegistryInput[] = [];
  const unitOf = new Map<string, string>();
  CODES.forEach((code, i) => {
    const matched = `079${String(i).padStart(3, '0')}0001`;
    const missing = `079${String(i).padStart(3, '0')}0002`;
    const number = `0790850${String(i).padStart(5, '0')}`;
    participants.push(
      { ma_so_bhxh: matched, ho_ten: 'Trần Thị Lan', ngay_sinh: '1985', gioi_tinh: 'Nữ', so_giay_to: number, ma_don_vi: code, ma_tinh: '079' },
      { ma_so_bhxh: missing, ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '', ma_don_vi: code, ma_tinh: '079' },
    );
    registry.push({ so_ddcn: number, ho_ten: 'Trần Thị Lan', ngay_sinh: '1985', gioi_tinh: 'Nữ' });
    unitOf.set(matched, code).set(missing, code);
  });
  return { participants, registry, unitOf };
}

async function verified() {
  const { db, url } = database();
  const dir = await useTempDir();
  const { participants, registry, unitOf } = people();
  // The import refuses a unit code over 50 characters; a database filled before that limit may still hold one.
  const long = participants.filter((p) => p.ma_don_vi === LONG);
  for (const p of long) p.ma_don_vi = 'LONGCODE';
  await importParticipants(deps(db), await writeParticipants(dir, participants));
  await db.query(`UPDATE unit SET ma_don_vi = $1::text WHERE ma_don_vi = 'LONGCODE'`, [LONG]);
  await db.query(`UPDATE participant SET ma_don_vi = $1::text WHERE ma_don_vi = 'LONGCODE'`, [LONG]);
  for (const p of long) p.ma_don_vi = LONG;
  await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, registry))), { province: null });
  return { db, url, dir, out: path.join(dir, 'lists'), unitOf };
}

/** Every person on every list file under `out`, with the unit its header names: what a clerk would find. */
async function listed(out: string): Promise<Array<{ file: string; unit: string; code: string }>> {
  const found: Array<{ file: string; unit: string; code: string }> = [];
  for (const e of await readdir(out, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/^mau0[12]\.xlsx$/.test(e.name)) continue;
    const file = path.join(e.parentPath, e.name);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.worksheets[0]!;
    let unit = '';
    ws.eachRow((row) => {
      row.eachCell((c, col) => {
        const m = /^Mã đơn vị:\s?(.*)$/s.exec(c.text);
        if (m) unit = m[1]!;
        if (col === 2 && /^\d{10}$/.test(c.text)) found.push({ file: path.relative(out, file), unit, code: c.text });
      });
    });
  }
  return found;
}

describe('ddcn lists folder names', () => {
  it.each([0, 2])('puts every person on exactly one list under their own unit, whatever the codes (workers: %i)', async (workers) => {
    const { db, out, unitOf } = await verified();
    // In the way of two units' files: a plain file where BLOCKED's folder goes, a folder where BLOCKED2's Mẫu 02 goes.
    await mkdir(path.join(out, '079', 'BLOCKED2', 'mau02.xlsx'), { recursive: true });
    await writeFile(path.join(out, '079', 'BLOCKED'), 'not a folder');

    const r = await generateLists(deps(db), { out, province: null, unit: null, workers });

    const failed = r.failed.map((f) => [f.spec.unit.maDonVi, f.spec.form]).sort();
    expect(failed).toEqual([['BLOCKED', 'mau01'], ['BLOCKED', 'mau02'], ['BLOCKED2', 'mau02']]);
    const seen = await listed(out);
    const expected = [...unitOf].filter(([code, unit]) => !(unit === 'BLOCKED' || (unit === 'BLOCKED2' && code.endsWith('2'))));
    expect(seen.map((s) => s.code).sort()).toEqual(expected.map(([code]) => code).sort()); // each exactly once
    for (const s of seen) expect(s.unit, s.file).toBe(unitOf.get(s.code));
    expect(r.files.mau01 + r.files.mau02).toBe(CODES.length * 2 - 3);
    // Ordinary codes keep their folder; the others are encoded, short enough for any file system.
    const dirs = new Set(seen.map((s) => path.dirname(s.file)));
    expect(dirs.has('079/DV01')).toBe(true);
    expect(dirs.size).toBe(CODES.length - 1);
    for (const d of dirs) expect(path.basename(d).length).toBeLessThanOrEqual(64);
    expect([...dirs].filter((d) => d.toLowerCase() === '079/dv01')).toEqual(['079/DV01']);
  });

  it('refuses a second unit for a folder already given, as a case-insensitive file system compares', () => {
    const claims = new FolderClaims();
    expect(claims.claim('/out/079/AB', 'unit "AB"')).toBeNull();
    expect(claims.claim('/out/079/AB', 'unit "AB"')).toBeNull();
    expect(claims.claim('/out/079/ab', 'unit "ab"')).toBe('unit "AB"');
    // Refused, the second unit gets nothing: the folder stays the first one's, for its next file too.
    expect(claims.claim('/out/079/ab', 'unit "ab"')).toBe('unit "AB"');
    expect(claims.claim('/out/079/AB', 'unit "AB"')).toBeNull();
  });

  it('exits 1 naming the unit whose file could not be written, after writing the others', async () => {
    const { url, dir, out } = await verified();
    await writeFile(path.join(out, '..', 'placeholder'), '');
    await mkdir(path.join(out, '079'), { recursive: true });
    await writeFile(path.join(out, '079', 'BLOCKED'), 'not a folder');
    const ran = await ddcn(['lists', '--out', out], { DATABASE_URL: url, DDCN_HOME: path.join(dir, 'home') });
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.stderr).toContain('2 list files could not be written; every other file was');
    expect(ran.stderr).toMatch(/mau01\.xlsx of unit "BLOCKED" of province "079": E\w+/);
    expect(ran.stderr).toMatch(/mau02\.xlsx of unit "BLOCKED" of province "079": E\w+/);
    expect((await listed(out)).length).toBe(CODES.length * 2 - 2);
  });
});
