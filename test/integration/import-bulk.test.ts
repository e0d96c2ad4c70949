// An import into an empty participant table takes the bulk path (one COPY of the whole file, duplicates and sex
// codes settled set-based, the load done with the plain indexes built afterwards); any other takes the chunked
// path. Both must end in the same state: the same file imported each way, on two databases, compared table by
// table, then a changed file imported on top of each.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { importParticipants, type ImportResult } from '../../src/pipeline/import-participants.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { RejectsFile } from '../../src/pipeline/rejects-file.js';
import { deps, parseCsv, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const person = (i: number, over: Partial<ParticipantInput> = {}): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`,
  ho_ten: `Nguyễn Văn Số ${i}`,
  ngay_sinh: `0${(i % 9) + 1}/03/198${i % 10}`,
  gioi_tinh: i % 2 ? '1' : '2',
  so_giay_to: `0${String(i).padStart(8, '0')}`,
  ma_don_vi: `DV${i % 3}`,
  ten_don_vi: `Công ty ${i % 3}`,
  dia_chi_don_vi: `Số ${i % 3} Lý Thường Kiệt`,
  ma_tinh: '01',
  ma_huyen: `00${i % 3}`,
  vssid: i % 4 ? '1' : '0',
  email: i % 5 ? '' : `so${i}@example.vn`,
  ...over,
});

/** Units that change name, address and district along the file, some lines leaving them empty. */
function file(sexZero: '1/2' | '1/0'): ParticipantInput[] {
  const people = Array.from({ length: 24 }, (_, k) => person(k + 1));
  people[4] = person(5, { ten_don_vi: '', dia_chi_don_vi: '', ma_huyen: '' });
  people[7] = person(8, { ma_don_vi: 'DV2', ten_don_vi: 'Công ty Hai Mới', ma_tinh: '' });
  people[10] = person(11, { ho_ten: 'NguyÔn V¨n Hïng' }); // TCVN3
  people[13] = person(14, { ngay_sinh: '31/02/1990', so_giay_to: '12345' }); // findings
  people[16] = person(17, { ma_don_vi: 'DV2', ten_don_vi: '', dia_chi_don_vi: 'Số 9 Mới' });
  // Values not stored, with a finding each (too long; a control character): the rows are imported all the same.
  people[21] = person(22, { ho_ten: 'A'.repeat(275), email: `${'x'.repeat(300)}@b.vn` });
  people[22] = person(23, { ho_ten: 'Lê\u0000Thị', ma_tinh: '01234567890', ngay_sinh: '01/\u000102/1990' });
  people[23] = person(24, { ma_don_vi: 'U'.repeat(3000), ten_don_vi: 'Tên\u0001hỏng', dia_chi_don_vi: 'D'.repeat(501) });
  if (sexZero === '1/0') for (const p of people) p.gioi_tinh = p.gioi_tinh === '2' ? '0' : '1';
  else people[19] = person(20, { gioi_tinh: '0' });
  return [
    ...people,
    person(3, { ho_ten: 'Người Khác Ba' }), // duplicate of line 4, in a later chunk
    person(25, { ma_so_bhxh: '12345' }), // rejected key
    person(27, { ma_so_bhxh: '0100000027\u0001' }), // rejected key: a control character
    person(28, { ma_so_bhxh: `0100000028${' '.repeat(11)}` }), // rejected key: 21 characters
    person(26, { gioi_tinh: '0', ma_don_vi: 'DV1', ten_don_vi: 'Công ty Một Cuối' }),
    person(3, { ho_ten: 'Người Khác Ba Nữa' }),
    person(20, { ho_ten: 'Người Khác Hai Mươi', gioi_tinh: '1' }), // duplicate of a first line whose sex may be 0
    people[8]!, // the same line twice
  ];
}

async function endState(db: Db) {
  return {
    participant: await rows(db, 'SELECT * FROM participant ORDER BY ma_so_bhxh'),
    state: await rows(db, 'SELECT ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen FROM participant_state ORDER BY 1, 2, 3, 4, 5'),
    unit: await rows(db, 'SELECT * FROM unit ORDER BY ma_don_vi'),
    numberHistory: await rows(db, 'SELECT * FROM number_history ORDER BY 1, 2'),
    indexes: await rows(db, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('participant', 'participant_state') ORDER BY 1`),
    // The bulk load drops the foreign keys to participant with its primary key: they must be back.
    constraints: await rows(
      db,
      `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid IN ('participant'::regclass, 'participant_state'::regclass) OR confrelid = 'participant'::regclass ORDER BY 1, 2`,
    ),
  };
}

async function rejectsOf(result: ImportResult): Promise<string[][]> {
  const [, ...data] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
  return data.sort((a, b) => Number(a[0]) - Number(b[0]));
}

const counts = (r: ImportResult) => ({ rowsRead: r.rowsRead, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, rejected: r.rejected });

describe('import participants: the bulk path and the chunked path end in the same state', () => {
  let bulkDb: TestDatabase;
  let chunkedDb: TestDatabase;
  beforeAll(async () => {
    [bulkDb, chunkedDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([bulkDb.drop(), chunkedDb.drop()]);
  });

  it.each([
    ['1/2', 4],
    ['1/0', 4],
    ['1/2', undefined],
  ] as const)('for a file with sex written %s, in chunks and segments of %s rows (undefined: the defaults), duplicates across them, legacy text and findings', async (sexCodes, size) => {
    for (const { db } of [bulkDb, chunkedDb]) {
      await db.query('DELETE FROM participant_state; DELETE FROM participant; DELETE FROM unit; DELETE FROM number_history');
    }
    const dir = await useTempDir();
    const input = await writeParticipants(dir, file(sexCodes));
    const said: Array<Record<string, unknown>> = [];
    const log = createLogger('info', { write: (line: string) => void said.push(JSON.parse(line) as Record<string, unknown>) });
    const bulk = await importParticipants({ ...deps(bulkDb.db), log }, input, path.join(dir, 'bulk.rejects.csv'), { chunkSize: size });
    // The operator is told how sex code 0 was read, and why.
    expect(said.filter((l) => l.msg === 'sex code 0').map(({ rows: n, readAs }) => ({ n, readAs }))).toEqual([
      sexCodes === '1/0' ? { n: 13, readAs: 'F (file uses 1/0)' } : { n: 2, readAs: 'unknown (file uses 1/2)' },
    ]);
    const chunked = await importParticipants(deps(chunkedDb.db), input, path.join(dir, 'chunked.rejects.csv'), { chunkSize: 4, bulk: false });

    expect(counts(bulk)).toEqual({ rowsRead: 32, inserted: 25, updated: 0, unchanged: 0, rejected: 7 });
    expect(counts(chunked)).toEqual(counts(bulk));
    expect([bulk.bulk, chunked.bulk]).toEqual([true, false]);
    expect(await rejectsOf(chunked)).toEqual(await rejectsOf(bulk));
    const state = await endState(bulkDb.db);
    expect(await endState(chunkedDb.db)).toEqual(state);
    // The file's unit values, each the last the file gave, are what both stored.
    expect(state.unit.find((u) => u.ma_don_vi === 'DV2')).toMatchObject({ ten_don_vi: 'Công ty 2', dia_chi: 'Số 2 Lý Thường Kiệt', ma_tinh: '01', ma_huyen: '002' });
    expect(state.unit.find((u) => u.ma_don_vi === 'DV1')).toMatchObject({ ten_don_vi: 'Công ty Một Cuối' });
    expect(state.participant.find((p) => p.ma_so_bhxh === '0100000011')).toMatchObject({ ho_ten: 'Nguyễn Văn Hùng' });
    // The values not stored: the fields empty, a finding each, the unit's name and address those of its other lines.
    const unfit = (n: number) => state.participant.find((p) => p.ma_so_bhxh === `01000000${n}`) as { findings: Array<{ code: string; column?: string }> };
    expect(unfit(22)).toMatchObject({ ho_ten: '', email: null });
    expect(unfit(23)).toMatchObject({ ho_ten: '', ma_tinh: null, ngay_sinh: null });
    expect(unfit(24)).toMatchObject({ ma_don_vi: null });
    expect([22, 23, 24].map((n) => unfit(n).findings.filter((f) => f.column).map((f) => `${f.column} ${f.code}`))).toEqual([
      ['ho_ten too_long', 'email too_long'],
      ['ho_ten control', 'ngay_sinh control', 'ma_tinh too_long'],
      ['ma_don_vi too_long', 'ten_don_vi control', 'dia_chi_don_vi too_long'],
    ]);
    expect(state.unit.map((u) => u.ma_don_vi)).toEqual(['DV0', 'DV1', 'DV2']);
    expect((await rejectsOf(bulk)).filter((r) => ['28', '29'].includes(r[0]!)).map((r) => r.slice(0, 2))).toEqual([
      ['28', 'field 1 contains the control character U+0001'],
      ['29', 'ma_so_bhxh is 21 characters long; at most 20 are accepted'],
    ]);

    // Then the same changed file on each: the chunked path on both, from the same state.
    // Person 2 renamed, and person 4's name with a space after it (the same name once trimmed): in a 1/0 file both
    // have sex 0, so they wait for the whole file's sex codes and are counted at its end.
    const changed = file(sexCodes).map((p, k) =>
      k === 2 ? { ...p, ho_ten: 'Nguyễn Văn Ba Mới', vssid: '0' } : k === 1 ? { ...p, ho_ten: 'Nguyễn Văn Hai Mới' } : k === 3 ? { ...p, ho_ten: `${p.ho_ten} ` } : p,
    );
    changed.push(person(40, { gioi_tinh: sexCodes === '1/0' ? '0' : '2' })); // in the file's own convention
    const again = await writeParticipants(dir, changed, 'changed.csv');
    // A day later: a row whose stored values do not change keeps its updated_at, and is counted unchanged by it.
    const later = (db: Db) => ({ ...deps(db), now: () => new Date(Date.parse('2024-06-04T01:30:00Z')) });
    const [b2, c2] = [
      await importParticipants(later(bulkDb.db), again, path.join(dir, 'b2.csv')),
      await importParticipants(later(chunkedDb.db), again, path.join(dir, 'c2.csv'), { chunkSize: 4 }),
    ];
    expect(counts(b2)).toEqual({ rowsRead: 33, inserted: 1, updated: 2, unchanged: 23, rejected: 7 });
    expect(counts(c2)).toEqual(counts(b2));
    expect(await endState(chunkedDb.db)).toEqual(await endState(bulkDb.db));
  });

  // Sex code 0 is read by the whole file (Nữ when it is written 1/0 throughout, else unknown): when a re-imported file
  // stops or starts being 1/0, its 0 rows are read again even where their own text did not change.
  it.each([true, false])('re-reads every sex 0 row when the file changes convention, ending as a fresh import of it (first import on the bulk path: %s)', async (firstBulk) => {
    for (const { db } of [bulkDb, chunkedDb]) {
      await db.query('DELETE FROM participant_state; DELETE FROM participant; DELETE FROM unit; DELETE FROM number_history');
    }
    const dir = await useTempDir();
    const oneZero = file('1/0');
    const withTwo = [...oneZero, person(41, { gioi_tinh: '2' })]; // one row of 1/2: every 0 now means unknown
    const a = await writeParticipants(dir, oneZero, 'a.csv');
    const b = await writeParticipants(dir, withTwo, 'b.csv');
    const sexes = (db: Db) =>
      rows(db, `SELECT ma_so_bhxh, gioi_tinh, findings, src_hash FROM participant WHERE ma_so_bhxh IN ('0100000002', '0100000004', '0100000041') ORDER BY 1`);

    // The operator is warned when the reading of `0` changes from one import to the next, with how many it moves.
    let said: Array<Record<string, unknown>> = [];
    const log = createLogger('info', { write: (line: string) => void said.push(JSON.parse(line) as Record<string, unknown>) });
    const warned = () => {
      const w = said.filter((l) => l.level === 40).map(({ msg, rows: n, readAs, before }) => ({ msg, n, readAs, before })); // 40: pino's warn
      said = [];
      return w;
    };
    const CHANGED_READING = 'sex code 0 is read otherwise than at the last import: those people are updated';
    await importParticipants({ ...deps(bulkDb.db), log }, a, path.join(dir, 'r1.csv'), firstBulk ? {} : { bulk: false });
    expect(warned()).toEqual([]);
    const later = { ...deps(bulkDb.db), log, now: () => new Date(Date.parse('2024-06-04T01:30:00Z')) };
    const second = await importParticipants(later, b, path.join(dir, 'r2.csv'));
    expect(warned()).toEqual([{ msg: CHANGED_READING, n: 13, readAs: 'unknown (file uses 1/2)', before: 'F (file used 1/0)' }]);
    // The same file again: nothing changes, nothing said.
    await importParticipants(later, b, path.join(dir, 'r2b.csv'));
    expect(warned()).toEqual([]);
    await importParticipants(deps(chunkedDb.db), b, path.join(dir, 'r3.csv')); // fresh
    // The even people (sex 0 in the file): 13 rows, each read again, and the new person.
    expect(counts(second)).toEqual({ rowsRead: 33, inserted: 1, updated: 13, unchanged: 12, rejected: 7 });
    const fresh = await sexes(chunkedDb.db);
    expect(fresh.map((r) => r.gioi_tinh)).toEqual([null, null, 'F']);
    expect(fresh[0]!.findings).toEqual([{ field: 'sex', code: 'invalid', value: '0' }]);
    expect(await sexes(bulkDb.db)).toEqual(fresh);

    // And back: the 1/0 file again reads its 0 rows as Nữ.
    const third = await importParticipants({ ...deps(bulkDb.db), log, now: () => new Date(Date.parse('2024-06-05T01:30:00Z')) }, a, path.join(dir, 'r4.csv'));
    expect(counts(third)).toMatchObject({ updated: 13, rejected: 7 });
    expect(warned()).toEqual([{ msg: CHANGED_READING, n: 13, readAs: 'F (file uses 1/0)', before: 'unknown (file used 1/2)' }]);
    expect((await sexes(bulkDb.db)).map((r) => r.gioi_tinh)).toEqual(['F', 'F', 'F']);

    // A database whose hashes were stored before the reading was part of them (here: the 1/0 file's, Nữ): the next
    // file that is not 1/0 still reads its 0 rows again.
    await bulkDb.db.query(`UPDATE participant SET src_hash = regexp_replace(src_hash, '[|]0=.$', '')`);
    const upgraded = await importParticipants({ ...deps(bulkDb.db), log, now: () => new Date(Date.parse('2024-06-06T01:30:00Z')) }, b, path.join(dir, 'r5.csv'));
    expect(counts(upgraded)).toMatchObject({ updated: 13, rejected: 7 });
    expect(warned()).toEqual([]); // no reading was stored: nothing to compare with
    expect(await sexes(bulkDb.db)).toEqual(fresh);
  });

  it('gives a unit the values of its last line, also when an earlier line of it waited for the file\'s sex codes', async () => {
    const dir = await useTempDir();
    // A 1/0 file: line 2 (sex 0) waits for the whole file; line 3 is the unit's last line and must win.
    const input = await writeParticipants(dir, [
      person(1, { gioi_tinh: '0', ma_don_vi: 'DV9', ten_don_vi: 'Tên Cũ', dia_chi_don_vi: 'Địa chỉ cũ' }),
      person(2, { gioi_tinh: '1', ma_don_vi: 'DV9', ten_don_vi: 'Tên Mới', dia_chi_don_vi: 'Địa chỉ mới' }),
    ]);
    for (const [{ db }, bulk] of [[bulkDb, true], [chunkedDb, false]] as const) {
      await db.query('DELETE FROM participant_state; DELETE FROM participant; DELETE FROM unit; DELETE FROM number_history');
      const r = await importParticipants(deps(db), input, path.join(dir, `units-${bulk}.csv`), { chunkSize: 1, ...(bulk ? {} : { bulk: false as const }) });
      expect(r.bulk).toBe(bulk);
      expect(await rows(db, `SELECT ten_don_vi, dia_chi FROM unit WHERE ma_don_vi = 'DV9'`)).toEqual([{ ten_don_vi: 'Tên Mới', dia_chi: 'Địa chỉ mới' }]);
    }
  });

  it('rejects a duplicate on the bulk path when ma_so_bhxh is not the first column, naming the first line', async () => {
    await bulkDb.db.query('DELETE FROM participant_state; DELETE FROM participant; DELETE FROM unit; DELETE FROM number_history');
    const dir = await useTempDir();
    const input = path.join(dir, 'reordered.csv');
    await writeFile(
      input,
      'ho_ten,ngay_sinh,ma_so_bhxh,gioi_tinh,ma_don_vi,ma_tinh,so_giay_to\n' +
        'Lê Văn Một,1990,0100000001,Nam,DV1,01,\nLê Văn Hai,1991,0100000002,Nam,DV1,01,\nNgười Khác,1992,0100000001,Nữ,DV1,01,\n',
    );
    const r = await importParticipants(deps(bulkDb.db), input, path.join(dir, 'reordered.rejects.csv'));
    expect([r.bulk, counts(r)]).toEqual([true, { rowsRead: 3, inserted: 2, updated: 0, unchanged: 0, rejected: 1 }]);
    expect(await rejectsOf(r)).toEqual([
      ['4', 'duplicate ma_so_bhxh: already on line 2 of this file', 'Người Khác', '1992', '0100000001', 'Nữ', 'DV1', '01', ''],
    ]);
  });

  it.each([true, false])('an import that dies part-way (bulk path: %s) is resumed by importing again, and ends as one that did not', async (bulkPath) => {
    for (const { db } of [bulkDb, chunkedDb]) {
      await db.query('DELETE FROM participant_state; DELETE FROM participant; DELETE FROM unit; DELETE FROM number_history');
    }
    const dir = await useTempDir();
    // 25 people, then a second row for person 1: its reject comes after the chunked path has written six chunks of
    // four, and inside the bulk path's transaction.
    const input = await writeParticipants(dir, [...Array.from({ length: 25 }, (_, k) => person(k + 1)), person(1, { ho_ten: 'Người Khác' })]);
    const options = { chunkSize: 4, ...(bulkPath ? {} : { bulk: false as const }) };
    const crash = new Error('simulated crash');
    const add = RejectsFile.prototype.add;
    RejectsFile.prototype.add = () => Promise.reject(crash);
    try {
      await expect(importParticipants(deps(bulkDb.db), input, path.join(dir, 'dying.csv'), options)).rejects.toBe(crash);
    } finally {
      RejectsFile.prototype.add = add;
    }
    const n = (await rows<{ n: number }>(bulkDb.db, 'SELECT count(*)::int AS n FROM participant'))[0]!.n;
    expect(n).toBe(bulkPath ? 0 : 24);

    const resumed = await importParticipants(deps(bulkDb.db), input, path.join(dir, 'resumed.csv'), options);
    const whole = await importParticipants(deps(chunkedDb.db), input, path.join(dir, 'whole.csv'), options);
    expect(counts(resumed)).toEqual({ rowsRead: 26, inserted: 25 - n, updated: 0, unchanged: n, rejected: 1 });
    expect(counts(whole)).toEqual({ rowsRead: 26, inserted: 25, updated: 0, unchanged: 0, rejected: 1 });
    expect(await endState(bulkDb.db)).toEqual(await endState(chunkedDb.db));
  });
});
