// What an import of corrections leaves besides the people it corrects: its row in import_run with the counts the
// operator reads, one log line without personal data, and the rows it refuses for reasons of the file as a whole
// (a code given twice, however it is written) or of the caller's scope (the portal).
import { describe, expect, it } from 'vitest';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { capturedLog } from '../helpers/log.js';
import { databasePerFile, deps, FIXED_NOW, rows } from '../helpers/pipeline.js';
import { listsOut, rejectsByCode, returned, SAO_MAI_PEOPLE, SAO_MAI_REGISTRY } from '../helpers/returned-mau02.js';

const database = databasePerFile();

const PEOPLE = SAO_MAI_PEOPLE;
const REGISTRY = SAO_MAI_REGISTRY;

describe('import corrections: its bookkeeping', () => {
  it('records the file in import_run with the counts, and logs them once without a name or number', async () => {
    const { db } = database();
    const { dir, mau02 } = await listsOut(db, PEOPLE, REGISTRY, 'DV0790001');
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000001').getCell(11).value = '12/03/1965'; // corrected
      row('0790000002').getCell(12).value = 'Nữ'; // what is on file already: unchanged
      row('0790000003').getCell(13).value = '12345'; // refused
      // 0790000005 left as sent: read, empty
    });
    const { log, lines, text } = capturedLog('info');
    const r = await importCorrections({ ...deps(db), log }, file);
    expect(r).toMatchObject({ rowsRead: 4, corrected: 1, unchanged: 1, empty: 1, rejected: 1 });
    expect(await rows(db, `SELECT kind, file_name, started_at, finished_at, rows_read, inserted, updated, unchanged, rejected FROM import_run WHERE id = $1`, [r.importId])).toEqual([{
      kind: 'corrections', file_name: file, started_at: FIXED_NOW, finished_at: FIXED_NOW,
      rows_read: 4, inserted: 0, updated: 1, unchanged: 2, rejected: 1,
    }]);
    const done = lines.filter((l) => l.msg === 'corrections imported');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ stage: 'corrections', importId: r.importId, unit: 'DV0790001', rowsRead: 4, corrected: 1, fields: 1, unchanged: 1, empty: 1, rejected: 1 });
    for (const personal of ['Bốn', 'Sáu', '12345', '1965', '0790000003']) expect(text.join('\n')).not.toContain(personal);
  });

  it('finishes the import_run row even when the file is refused halfway', async () => {
    const { db } = database();
    const { dir, mau02 } = await listsOut(db, PEOPLE, REGISTRY, 'DV0790001');
    const file = await returned(mau02, dir, (_ws, row) => void (row('0790000001').getCell(11).value = '12/03/1965'));
    const failing = {
      ...db,
      withTransaction: () => Promise.reject(new Error('the database went away')),
    } as typeof db;
    await expect(importCorrections({ ...deps(db), db: failing }, file, undefined, undefined, { chunkRows: 1 })).rejects.toThrow('the database went away');
    // the rows after the failed chunk were never read; nothing was applied
    const [run] = await rows<{ rows_read: number; updated: number; finished_at: Date }>(db, `SELECT rows_read, updated, finished_at FROM import_run WHERE kind = 'corrections'`);
    expect(run).toMatchObject({ updated: 0, finished_at: FIXED_NOW });
    expect(run!.rows_read).toBeLessThan(PEOPLE.length);
  });

  it('takes a code written with Excel\'s digit grouping for the same person: the second row is refused', async () => {
    const { db } = database();
    const { dir, mau02 } = await listsOut(db, PEOPLE, REGISTRY, 'DV0790001');
    let firstLine = 0;
    const file = await returned(mau02, dir, (_ws, row) => {
      firstLine = row('0790000003').number;
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      const again = row('0790000005');
      again.getCell(2).value = '079 000 0003';
      again.getCell(13).value = '079080000005';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get('079 000 0003')).toBe(`Mã số BHXH đã có ở dòng ${firstLine} của tệp này`);
  });

  it('refuses the people the caller may not correct as if they were not on file', async () => {
    const { db } = database();
    const { dir, mau02 } = await listsOut(db, PEOPLE, REGISTRY, 'DV0790001');
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000005').getCell(13).value = '079070000055';
    });
    const outOfScope = '0790000005';
    const r = await importCorrections(deps(db), file, undefined, async (_tx, codes) => new Set(codes.filter((c) => c !== outOfScope)));
    expect(r).toMatchObject({ corrected: 1, rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get(outOfScope)).toBe(`Không có người tham gia mã số BHXH ${outOfScope}`);
    expect(await rows(db, `SELECT so_giay_to FROM participant WHERE ma_so_bhxh = $1`, [outOfScope])).toEqual([{ so_giay_to: '099999999' }]);
  });
});
