import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/pool.js';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { PARTICIPANT_COLUMNS } from '../../src/pipeline/participant-row.js';
import { deps, parseCsv, participantsCsv, rows, toCsv, databasePerFile, useTempDir, writeParticipants } from '../helpers/pipeline.js';

const database = databasePerFile();

const GOOD = {
  ho_ten: 'Nguyễn Văn Hùng',
  ngay_sinh: '05/03/1990',
  gioi_tinh: 'Nam',
  so_giay_to: '012345678',
  ma_don_vi: 'TA0001A',
  ma_tinh: '01',
};

interface StoredParticipant {
  ma_so_bhxh: string;
  ho_ten: string;
  ngay_sinh: string | null;
  gioi_tinh: string | null;
  so_giay_to: string | null;
  findings: Array<{ field: string; code: string; value?: string }>;
}

const participants = (q: Parameters<typeof rows>[0]) =>
  rows<StoredParticipant>(q, 'SELECT ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, findings FROM participant ORDER BY ma_so_bhxh');

describe('import participants from CSV', () => {
  it('writes each unreadable row to the rejects file with its line, reason and original values, and imports the rest', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const header = PARTICIPANT_COLUMNS.join(',');
    const row = (key: string, name: string, extra = '') =>
      `${key},${name},05/03/1990,Nam,012345678,TA0001A,Cty A,Hà Nội,01,001,1,a@b.vn${extra}`;
    const lines = [
      header, // line 1
      row('0100000001', 'Nguyễn Văn An'), // 2 ok
      row('ABC1234567', 'Bad Key'), // 3 bad key
      row('100000002', 'Lost Zero'), // 4 9-digit key
      row('0100000003', 'Too Many', ',extra'), // 5 wrong field count
      row('0100000004', 'Trần Thị Bé'), // 6 ok
      row('0100000001', 'Second Copy'), // 7 duplicate of line 2
      row('0100000005', 'LATIN1'), // 8 not UTF-8 (replaced below)
      '0100000006,Short Row', // 9 too few fields
    ];
    const text = lines.join('\n') + '\n';
    // Line 8 carries "Nguyễn"-like bytes written as latin1: é (0xE9) alone is not valid UTF-8.
    const buf = Buffer.concat([
      Buffer.from(text.slice(0, text.indexOf('LATIN1')), 'utf8'),
      Buffer.from('Lê Thị Hé', 'latin1'),
      Buffer.from(text.slice(text.indexOf('LATIN1') + 'LATIN1'.length), 'utf8'),
    ]);
    const file = path.join(dir, 'people.csv');
    await writeFile(file, buf);

    const result = await importParticipants(deps(db), file);

    expect(result.rowsRead).toBe(8);
    expect(result.inserted).toBe(2);
    expect(result.rejected).toBe(6);
    expect(result.rowsRead).toBe(result.inserted + result.updated + result.unchanged + result.rejected);
    expect(result.rejectsFile).toBe(`${file}.rejects.csv`);

    const [rejectHeader, ...rejected] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
    expect(rejectHeader).toEqual(['line', 'reason', ...PARTICIPANT_COLUMNS]);
    const byLine = new Map(rejected.map((r) => [Number(r[0]), r]));
    expect([...byLine.keys()].sort((a, b) => a - b)).toEqual([3, 4, 5, 7, 8, 9]);

    expect(byLine.get(3)![1]).toBe('ma_so_bhxh must be 10 digits');
    expect(byLine.get(3)!.slice(2, 4)).toEqual(['ABC1234567', 'Bad Key']);
    expect(byLine.get(4)![1]).toMatch(/9 digits.*leading zero/);
    expect(byLine.get(4)![2]).toBe('100000002');
    expect(byLine.get(5)![1]).toBe(`has 13 fields, the header has ${PARTICIPANT_COLUMNS.length}`);
    expect(byLine.get(5)!.slice(2, 4)).toEqual(['0100000003', 'Too Many']);
    expect(byLine.get(7)![1]).toBe('duplicate ma_so_bhxh: already on line 2 of this file');
    expect(byLine.get(7)!.slice(2, 4)).toEqual(['0100000001', 'Second Copy']);
    expect(byLine.get(8)![1]).toMatch(/not UTF-8/);
    expect(byLine.get(8)![2]).toBe('0100000005');
    expect(byLine.get(9)![1]).toBe(`has 2 fields, the header has ${PARTICIPANT_COLUMNS.length}`);
    expect(byLine.get(9)!.slice(2).filter((c) => c !== '')).toEqual(['0100000006', 'Short Row']);

    // The first of two rows with one key wins.
    const stored = await participants(db);
    expect(stored.map((p) => [p.ma_so_bhxh, p.ho_ten])).toEqual([
      ['0100000001', 'Nguyễn Văn An'],
      ['0100000004', 'Trần Thị Bé'],
    ]);
  });

  it('imports a UTF-8 file that holds U+FFFD as a character, and rejects one row of other bytes among two, rather than the whole file', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const header = 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n';
    const genuine = path.join(dir, 'fffd.csv');
    await writeFile(genuine, `${header}0100000001,Nguy\uFFFDn Văn An,1990,Nam,\n0100000002,Tr\uFFFDn Thị Bình,1991,Nữ,\n`);
    // Each row is rejected (its text says something was garbled before), not the file: its bytes are UTF-8.
    expect(await importParticipants(deps(db), genuine)).toMatchObject({ rowsRead: 2, rejected: 2 });
    const mixed = path.join(dir, 'mot-dong.csv');
    await writeFile(mixed, Buffer.concat([Buffer.from(`${header}0100000003,`), Buffer.from('Tr\xe2n', 'latin1'), Buffer.from(',1992,Nam,\n0100000004,Lê Văn Cường,1993,Nam,\n')]));
    expect(await importParticipants(deps(db), mixed)).toMatchObject({ rowsRead: 2, inserted: 1, rejected: 1 });
  });

  it('keeps every value of a row with more fields than the header in the rejects file', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'wide.csv');
    // A name with an unquoted comma: the classic way a row gains a field.
    await writeFile(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn, Văn An,1990,Nam,\n');
    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: 1, rejected: 1 });
    const [, row] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
    expect(row).toEqual(['2', 'has 6 fields, the header has 5', '0100000001', 'Nguyễn', ' Văn An', '1990', 'Nam', '']);
  });

  it('accounts for every row of a larger file: imported or rejected, with multi-byte text across read buffers', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const n = 2_500; // several 64 KiB read buffers of multi-byte text
    const people = Array.from({ length: n }, (_, i) => ({
      ma_so_bhxh: String(200_000_000 + i).padStart(10, '0'),
      ...GOOD,
      ho_ten: `Nguyễn Thị Ngọc Huyền Thuỷ ${i}`,
    }));
    people[1_998] = { ...people[1_998]!, ma_so_bhxh: people[5]!.ma_so_bhxh }; // line 2 000 repeats line 7
    people[2_050] = { ...people[2_050]!, ma_so_bhxh: '12345' };
    const file = await writeParticipants(dir, people, 'large.csv');

    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: n, inserted: n - 2, rejected: 2 });
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: n - 2 }]);
    const [, ...rejected] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
    expect(rejected.map((r) => [r[0], r[1]]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      ['2000', 'duplicate ma_so_bhxh: already on line 7 of this file'],
      ['2052', 'ma_so_bhxh must be 10 digits'],
    ]);
    expect(await rows(db, `SELECT count(*)::int AS n FROM participant WHERE ho_ten NOT LIKE 'Nguyễn Thị Ngọc Huyền Thuỷ %'`)).toEqual([{ n: 0 }]);
    // A bulk load is vacuumed and analysed before the import returns, ready for the run that follows.
    expect(await rows(db, `SELECT relallvisible = relpages AS vacuumed, reltuples::int AS counted FROM pg_class WHERE relname = 'participant'`))
      .toEqual([{ vacuumed: true, counted: n - 2 }]);
  });

  it('writes the rejects file where --rejects points', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [{ ma_so_bhxh: '12345', ...GOOD }]);
    const target = path.join(dir, 'elsewhere.csv');
    const result = await importParticipants(deps(db), file, target);
    expect(result.rejectsFile).toBe(target);
    const [, row] = await parseCsv(await readFile(target, 'utf8'));
    expect(row!.slice(0, 3)).toEqual(['2', 'ma_so_bhxh must be 10 digits', '12345']);
  });

  it('refuses an empty file with a message that says it is empty, that nothing was imported, and what to do', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'empty.csv');
    await writeFile(file, '');
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${file} is empty: expected a header row and data rows; nothing was imported. Check the export (failed, or still being written?) and import it again`,
    );
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);
  });

  it('refuses a file without a ma_so_bhxh column, naming the columns it found and the ones expected', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'nokey.csv');
    await writeFile(file, toCsv(['so_bhxh', 'ho_ten'], [['0100000001', 'Nguyễn Văn An']]));
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('ma_so_bhxh');
    expect(msg).toContain('Found: so_bhxh, ho_ten.'); // what it found (not a piece of what it expects)
    expect(msg).toContain(PARTICIPANT_COLUMNS.join(', ')); // what it expects
  });

  it('imports a row with a bad date of birth or sex and carries the problem as a finding', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [
      { ma_so_bhxh: '0100000001', ...GOOD, ngay_sinh: '31/02/1990' },
      { ma_so_bhxh: '0100000002', ...GOOD, gioi_tinh: '?' },
      { ma_so_bhxh: '0100000003', ...GOOD },
    ]);
    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: 3, inserted: 3, rejected: 0 });

    const [badDob, badSex, clean] = await participants(db);
    expect(badDob!.ngay_sinh).toBeNull();
    expect(badDob!.findings).toContainEqual({ field: 'dob', code: 'invalid', value: '31/02/1990' });
    expect(badSex!.gioi_tinh).toBeNull();
    expect(badSex!.findings).toContainEqual({ field: 'sex', code: 'invalid', value: '?' });
    expect(clean).toMatchObject({ ngay_sinh: '1990-03-05', gioi_tinh: 'M', so_giay_to: '012345678', findings: [] });
  });

  it('changes nothing when the same file is imported again', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [
      { ma_so_bhxh: '0100000001', ...GOOD },
      { ma_so_bhxh: '0100000002', ...GOOD, ho_ten: '  nguyễn   văn  hùng ', so_giay_to: '12345678' },
      { ma_so_bhxh: 'bad', ...GOOD },
    ]);
    const first = await importParticipants(deps(db), file);
    expect(first).toMatchObject({ rowsRead: 3, inserted: 2, updated: 0, unchanged: 0, rejected: 1 });
    const before = await rows(db, 'SELECT * FROM participant ORDER BY ma_so_bhxh');

    const second = await importParticipants(deps(db), file);
    expect(second).toMatchObject({ rowsRead: 3, inserted: 0, updated: 0, unchanged: 2, rejected: 1 });
    expect(await rows(db, 'SELECT * FROM participant ORDER BY ma_so_bhxh')).toEqual(before);
  });

  it('imports on a connection where an earlier step used a temporary table (its buffers can no longer be resized there)', async () => {
    const { url } = database();
    const dir = await useTempDir();
    const one = createDb(url, { max: 1 }); // every step on the same server session, as in a long-running process
    try {
      await one.withSession(async (s) => {
        await s.query('CREATE TEMP TABLE earlier_step (x int)');
        await s.query('INSERT INTO earlier_step VALUES (1)');
      });
      const first = await importParticipants(deps(one), await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...GOOD }], 'a.csv'));
      const second = await importParticipants(deps(one), await writeParticipants(dir, [{ ma_so_bhxh: '0100000002', ...GOOD }], 'b.csv'));
      expect([first, second]).toMatchObject([{ rowsRead: 1, inserted: 1, rejected: 0 }, { rowsRead: 1, inserted: 1, rejected: 0 }]);
      expect((await participants(one)).map((p) => p.ma_so_bhxh)).toEqual(['0100000001', '0100000002']);
    } finally {
      await one.close();
    }
  });

  it('counts an edited row as updated and a new row as inserted on re-import', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: '0100000001', ...GOOD }], 'a.csv'));
    const file = await writeParticipants(
      dir,
      [
        { ma_so_bhxh: '0100000001', ...GOOD, ma_don_vi: 'TA0002B' },
        { ma_so_bhxh: '0100000002', ...GOOD },
      ],
      'b.csv',
    );
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 2, inserted: 1, updated: 1, unchanged: 0, rejected: 0 });
  });
});

describe('import participants from .xlsx', () => {
  it('reads the first sheet: a text key, a date cell and a number that lost its leading zero', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'people.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sách');
    ws.addRow([...PARTICIPANT_COLUMNS]);
    ws.addRow(['0100000001', 'Nguyễn Thị Thuỷ', new Date(Date.UTC(1985, 11, 25)), 'Nữ', 12345678, 'TA0001A', 'Cty A', 'Hà Nội', '01', '001', 'x', 'thuy@example.vn']);
    ws.addRow(['0100000002', 'Phạm Văn Bình', '03/1970', 'nam', '079070000123', 'TA0001A', '', '', '01', '001', '', '']);
    ws.addRow(['123456789', 'Lost Zero', '1970', 'M', '', '', '', '', '', '', '', '']);
    ws.getColumn(1).numFmt = '@';
    await wb.xlsx.writeFile(file);

    const result = await importParticipants(deps(db), file);
    expect(result).toMatchObject({ rowsRead: 3, inserted: 2, rejected: 1 });

    const [thuy, binh] = await participants(db);
    expect(thuy).toMatchObject({ ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Thị Thuỷ', ngay_sinh: '1985-12-25', gioi_tinh: 'F', so_giay_to: '012345678' });
    expect(thuy!.findings).toContainEqual({ field: 'id_number', code: 'repaired', value: '12345678' });
    expect(binh).toMatchObject({ ngay_sinh: '1970-03', gioi_tinh: 'M', so_giay_to: '079070000123' });

    const [, rejected] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
    expect(rejected!.slice(0, 3)).toEqual(['4', 'ma_so_bhxh has 9 digits: a leading zero was probably lost; format the column as Text', '123456789']);
  });
});

describe('import participants: the key decides', () => {
  it('accepts a key written with spaces or dots, and rejects nothing else for cosmetic reasons', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'p.csv');
    await writeFile(file, participantsCsv([{ ma_so_bhxh: '0100 000.001', ...GOOD }]));
    expect(await importParticipants(deps(db), file)).toMatchObject({ inserted: 1, rejected: 0 });
    expect((await participants(db)).map((p) => p.ma_so_bhxh)).toEqual(['0100000001']);
  });
});
