// A re-import (participant already filled: the chunked path) meets what a fresh import meets: a row whose code is
// no code is rejected with the reason, and a file that starts with its sex column keeps its 1/0 reading.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, parseCsv, rows, useTempDir } from '../helpers/pipeline.js';

const database = databasePerFile();

describe('a re-import', () => {
  it('rejects a row whose code is no code, and reads 0 as Nữ in a 1/0 file whose first column is gioi_tinh', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'lan-2.csv');
    await writeFile(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn Văn An,1990,1,\n');
    await importParticipants(deps(db), file, path.join(dir, 'r1.csv'));
    await writeFile(file, [
      'gioi_tinh,ma_so_bhxh,ho_ten,ngay_sinh,so_giay_to',
      '1,0100000001,Nguyễn Văn An,1990,',
      '0,0100000002,Trần Thị Bình,1991,',
      '1,ABC0000003,Lê Văn Cường,1992,',
      '',
    ].join('\n'));
    const r = await importParticipants(deps(db), file, path.join(dir, 'r2.csv'));
    expect(r).toMatchObject({ bulk: false, rowsRead: 3, inserted: 1, rejected: 1 });
    const [, ...rejected] = await parseCsv(await readFile(path.join(dir, 'r2.csv'), 'utf8'));
    expect(rejected.map((l) => [l[0], l[1]])).toEqual([['4', 'ma_so_bhxh must be 10 digits']]);
    expect(await rows(db, 'SELECT ma_so_bhxh, gioi_tinh FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', gioi_tinh: 'M' },
      { ma_so_bhxh: '0100000002', gioi_tinh: 'F' },
    ]);
  });
});
