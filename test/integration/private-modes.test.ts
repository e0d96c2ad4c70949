// Files that hold names and ID numbers are not for every user of the machine: the lists (and their folders) and the
// rejects file are made readable by owner and group only under the everyday umask 022, which made them 0644 / 0755
// (the runbook's umask 027 did the same, when it was set). A stricter umask still applies.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportResults } from '../../src/pipeline/export-results.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { runBatch } from '../../src/pipeline/run.js';
import { underUmask } from '../helpers/umask.js';
import { databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';

const database = databasePerFile();
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;
let restore: () => void = () => undefined;
afterEach(() => restore());

const PEOPLE = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ma_don_vi: 'DV0790001', ma_tinh: '079' },
  { ma_so_bhxh: '0790000002', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '023456785', ma_don_vi: 'DV0790001', ma_tinh: '079' },
  { ma_so_bhxh: '12345', ho_ten: 'Lê Văn Chín', ngay_sinh: '1979', gioi_tinh: 'Nam', so_giay_to: '', ma_don_vi: 'DV0790001', ma_tinh: '079' },
];

describe('files with personal data', () => {
  it('are made owner-and-group only under the umask 022, and owner only under 077: lists, their folders, the rejects file', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const usual = underUmask(0o022);
    restore = usual.restore;
    const mode = (m: number) => m & ~usual.inEffect;
    const rejects = path.join(dir, 'rejects.csv');
    expect(await importParticipants(deps(db), await writeParticipants(dir, PEOPLE), rejects)).toMatchObject({ rejected: 1 });
    expect(await modeOf(rejects)).toBe(mode(0o640));
    const registry = await writeRegistry(dir, [{ so_ddcn: '079066000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam' }]);
    await runBatch(runDeps(db, await mockRegistry(registry)), { province: null });
    const out = path.join(dir, 'lists');
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect(await Promise.all([out, path.join(out, '079'), path.join(out, '079/DV0790001')].map(modeOf))).toEqual([mode(0o750), mode(0o750), mode(0o750)]);
    expect(await Promise.all(['mau01.xlsx', 'mau02.xlsx'].map((f) => modeOf(path.join(out, '079/DV0790001', f))))).toEqual([mode(0o640), mode(0o640)]);

    usual.restore();
    const stricter = underUmask(0o077);
    restore = stricter.restore;
    const strict = path.join(dir, 'strict');
    await generateLists(deps(db), { out: strict, province: null, unit: null, workers: 0 });
    expect(await modeOf(path.join(strict, '079/DV0790001'))).toBe(0o750 & ~stricter.inEffect);
    expect(await modeOf(path.join(strict, '079/DV0790001/mau02.xlsx'))).toBe(0o640 & ~stricter.inEffect);
  });

  it('make the folders they are put in owner-and-group only too: the rejects file\'s and the exported results\'', async () => {
    // `--rejects /srv/ddcn/out/2026-12-08/participants.rejects.csv` and `export results --out …/results.csv` made
    // their folders 0755 under the umask 022, as the lists' folders were before.
    const { db } = database();
    const dir = await useTempDir();
    const usual = underUmask(0o022);
    restore = usual.restore;
    const mode = (m: number) => m & ~usual.inEffect;
    const rejects = path.join(dir, 'night', 'rejects', 'participants.rejects.csv');
    await importParticipants(deps(db), await writeParticipants(dir, PEOPLE), rejects);
    expect(await Promise.all([path.join(dir, 'night'), path.dirname(rejects)].map(modeOf))).toEqual([mode(0o750), mode(0o750)]);
    const results = path.join(dir, 'export', 'today', 'results.csv');
    await exportResults(deps(db), results, null);
    expect(await Promise.all([path.join(dir, 'export'), path.dirname(results), results].map(modeOf))).toEqual([mode(0o750), mode(0o750), mode(0o640)]);
  });
});
