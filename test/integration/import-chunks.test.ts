// The import loads a file in chunks; a rule about the whole file (one row per ma_so_bhxh, the first one wins) must
// hold across chunk boundaries, not only inside one chunk. Small injected chunk sizes cross many boundaries with
// a small file; one file crosses the real 10 000-row boundary.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import {
  databasePerFile, deps, parseCsv, rows, useTempDir, writeParticipants, type ParticipantInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01' };
const person = (i: number, over: Partial<ParticipantInput> = {}): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam',
  so_giay_to: `0${String(i).padStart(8, '0')}`, ...unit, ...over,
});

async function rejectsOf(file: string): Promise<Array<{ line: number; reason: string; code: string; name: string }>> {
  const [header, ...data] = await parseCsv(await readFile(file, 'utf8'));
  const [iCode, iName] = [header!.indexOf('ma_so_bhxh'), header!.indexOf('ho_ten')];
  return data.map((r) => ({ line: Number(r[0]), reason: r[1]!, code: r[iCode]!, name: r[iName]! }));
}

describe('import participants: duplicates across chunks', () => {
  it.each([1, 2, 3, 4])('rejects a later row for the same ma_so_bhxh naming the first line, with chunks of %i rows', async (chunkSize) => {
    const { db } = database();
    const dir = await useTempDir();
    // Lines 2–11: people 1–9, then a second row for person 1 (line 11) and for person 3, twice (lines 12, 13).
    const input = [
      ...Array.from({ length: 9 }, (_, k) => person(k + 1)),
      person(1, { ho_ten: 'Người Khác Một', so_giay_to: '099999991' }),
      person(3, { ho_ten: 'Người Khác Ba' }),
      person(3, { ho_ten: 'Người Khác Ba Nữa' }),
    ];
    const file = await writeParticipants(dir, input);
    const result = await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'), { chunkSize });
    expect(result).toMatchObject({ rowsRead: 12, inserted: 9, updated: 0, rejected: 3 });
    expect(await rejectsOf(result.rejectsFile)).toEqual([
      { line: 11, reason: 'duplicate ma_so_bhxh: already on line 2 of this file', code: '0100000001', name: 'Người Khác Một' },
      { line: 12, reason: 'duplicate ma_so_bhxh: already on line 4 of this file', code: '0100000003', name: 'Người Khác Ba' },
      { line: 13, reason: 'duplicate ma_so_bhxh: already on line 4 of this file', code: '0100000003', name: 'Người Khác Ba Nữa' },
    ]);
    // The first row of each code is what was imported; the later ones changed nothing.
    expect(await rows(db, `SELECT ma_so_bhxh, ho_ten, so_giay_to FROM participant WHERE ma_so_bhxh IN ('0100000001', '0100000003') ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Số 1', so_giay_to: '000000001' },
      { ma_so_bhxh: '0100000003', ho_ten: 'Nguyễn Văn Số 3', so_giay_to: '000000003' },
    ]);
    expect(await rows(db, 'SELECT count(*)::int AS n, min(data_version)::int AS v FROM participant')).toEqual([{ n: 9, v: 1 }]);
  });

  it('rejects a duplicate on line 10 005 of a file, past the first 10 000-row chunk, and keeps the first row; tells the progress line every 10 000 rows', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const input = Array.from({ length: 10_003 }, (_, k) => person(k + 1));
    input.push(person(7, { ho_ten: 'Người Khác Bảy', so_giay_to: '099999997' })); // line 10 005
    const file = await writeParticipants(dir, input);
    // What the operator's progress line is told (src/progress.ts draws it): the stage, every 10 000 rows, the end.
    const told: unknown[][] = [];
    const progress = { start: (...a: unknown[]) => told.push(['start', ...a]), tick: (n: number) => told.push(['tick', n]), end: () => told.push(['end']) };
    const result = await importParticipants({ ...deps(db), progress }, file, path.join(dir, 'rejects.csv'));
    expect(result).toMatchObject({ rowsRead: 10_004, inserted: 10_003, rejected: 1 });
    expect(told).toEqual([['start', 'import', 0], ['tick', 10_000], ['tick', 10_004], ['end']]);
    expect(await rejectsOf(result.rejectsFile)).toEqual([
      { line: 10_005, reason: 'duplicate ma_so_bhxh: already on line 8 of this file', code: '0100000007', name: 'Người Khác Bảy' },
    ]);
    expect(await rows(db, `SELECT ho_ten, so_giay_to FROM participant WHERE ma_so_bhxh = '0100000007'`)).toEqual([
      { ho_ten: 'Nguyễn Văn Số 7', so_giay_to: '000000007' },
    ]);
  });

  it('counts every row of a multi-chunk re-import: unchanged, updated and inserted, each once', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const first = Array.from({ length: 7 }, (_, k) => person(k + 1));
    await importParticipants(deps(db), await writeParticipants(dir, first, 'first.csv'), path.join(dir, 'r1.csv'), { chunkSize: 2 });
    const second = [...first.slice(0, 5), person(6, { ho_ten: 'Nguyễn Văn Sáu Mới' }), person(7), person(8), person(9)];
    const result = await importParticipants(deps(db), await writeParticipants(dir, second, 'second.csv'), path.join(dir, 'r2.csv'), { chunkSize: 2 });
    expect(result).toMatchObject({ rowsRead: 9, inserted: 2, updated: 1, unchanged: 6, rejected: 0 });
    expect(await rows(db, `SELECT ma_so_bhxh, ho_ten, data_version FROM participant WHERE ma_so_bhxh IN ('0100000006', '0100000008') ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0100000006', ho_ten: 'Nguyễn Văn Sáu Mới', data_version: 2 },
      { ma_so_bhxh: '0100000008', ho_ten: 'Nguyễn Văn Số 8', data_version: 1 },
    ]);
  });
});
