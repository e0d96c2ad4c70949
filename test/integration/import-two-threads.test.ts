// A large CSV's first reading runs on two threads (import-keys.ts): a worker reads from a line start near the
// middle while the main thread reads up to it. The import must end exactly as a reading on one thread does — the
// same participants, the same rejects in the same order, the same counts — whatever lies across the cut: an ordinary
// line break (two threads), or a quoted field with line breaks, or an unbalanced quote being resynchronised (the
// main thread then reads on through the worker's half itself and the worker's rows are dropped).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import type { Deps } from '../../src/pipeline/deps.js';
import { importParticipants, type ImportOptions, type ImportResult } from '../../src/pipeline/import-participants.js';
import { lineStartFrom } from '../../src/pipeline/read-table.js';
import { PARTICIPANT_COLUMNS } from '../../src/pipeline/participant-row.js';
import { databasePerFile, deps, resetDatabase, rows, useTempDir } from '../helpers/pipeline.js';

const database = databasePerFile();

/** One data line; `i` makes the key, the name's number and the ID number. */
function line(i: number, over: Partial<Record<string, string>> = {}): string {
  const v: Record<string, string> = {
    ma_so_bhxh: `01${String(i).padStart(8, '0')}`, ho_ten: `Nguyễn Thị Số ${i}`, ngay_sinh: '1990-02-01',
    gioi_tinh: i % 7 === 0 ? '0' : '1', so_giay_to: `0${String(i).padStart(8, '0')}`, ma_don_vi: `TA${i % 13}`,
    ten_don_vi: `Công ty ${i % 13}`, dia_chi_don_vi: 'Hà Nội', ma_tinh: '01', ma_huyen: '001', vssid: '1', email: '', ...over,
  };
  return PARTICIPANT_COLUMNS.map((c) => v[c]).join(',');
}

/**
 * Damage spread over both halves of the file: every kind of line the first reading rejects, a duplicate whose
 * first line is in the other half, and sex code 0 in a file written 1/0 (its reading is decided over the whole file).
 */
function damaged(count: number, at: (i: number) => string | undefined = () => undefined): string[] {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const special = at(i);
    if (special !== undefined) out.push(special);
    else if (i % 501 === 0) out.push(line(i, { ma_so_bhxh: '12345' }));
    else if (i % 677 === 0) out.push(line(i, { ho_ten: `Nguyễn\u0000Văn ${i}` }));
    else if (i % 733 === 0) out.push(line(i, { ma_don_vi: 'X'.repeat(80) }));
    else if (i % 811 === 0) out.push(line(i - 600));
    else if (i % 907 === 0) out.push(`${line(i)},extra`);
    // The key with a control character or over its limit: rejected. Another value so: imported, not stored.
    else if (i % 1013 === 0) out.push(line(i, { ma_so_bhxh: `01${String(i).padStart(8, '0')}\u0007` }));
    else if (i % 1019 === 0) out.push(line(i, { ma_so_bhxh: `01${String(i).padStart(8, '0')}${' '.repeat(12)}` }));
    else if (i % 523 === 0) out.push(line(i, { email: `${'e'.repeat(260)}@b.vn`, ma_huyen: '\u001f001' }));
    else out.push(line(i));
  }
  return out;
}

async function write(dir: string, data: string[]): Promise<string> {
  const file = path.join(dir, 'participants.csv');
  await writeFile(file, `${PARTICIPANT_COLUMNS.join(',')}\n${data.join('\n')}\n`);
  return file;
}

const counts = (r: ImportResult) => ({
  rowsRead: r.rowsRead, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, rejected: r.rejected,
});

const endState = (db: Db) =>
  rows(db, `SELECT ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, findings, src_hash FROM participant ORDER BY 1`);

/** Imports `file` twice into an emptied database (a first import and an unchanged re-import), on the chunked path. */
async function importTwice(db: Db, file: string, dir: string, twoThreadsFrom: number) {
  await resetDatabase(db);
  // The chunked path throughout (the bulk path, for an empty table, reads on one thread).
  const first = await importParticipants(deps(db), file, path.join(dir, `first-${twoThreadsFrom}.csv`), { bulk: false, twoThreadsFrom });
  const again = await importParticipants(deps(db), file, path.join(dir, `again-${twoThreadsFrom}.csv`), { bulk: false, twoThreadsFrom });
  return {
    first, again, state: await endState(db),
    rejects: await readFile(first.rejectsFile, 'utf8'), rejectsAgain: await readFile(again.rejectsFile, 'utf8'),
  };
}

describe('import participants: the first reading on two threads', () => {
  it('ends as one thread does, rejects in line order, with damage in both halves', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await write(dir, damaged(6000));
    const one = await importTwice(db, file, dir, Infinity);
    const two = await importTwice(db, file, dir, 0);
    expect([one.first.readingThreads, one.again.readingThreads]).toEqual([1, 1]);
    expect([two.first.readingThreads, two.again.readingThreads, two.first.rowsRead, one.first.rowsRead]).toEqual([2, 2, 6000, 6000]);
    expect(counts(two.first)).toEqual(counts(one.first));
    expect(counts(two.again)).toEqual(counts(one.again));
    expect(two.first.rejected).toBeGreaterThan(20);
    expect(two.again).toMatchObject({ inserted: 0, updated: 0 });
    expect(two.rejects).toBe(one.rejects);
    expect(two.rejectsAgain).toBe(one.rejectsAgain);
    expect(two.state).toEqual(one.state);
    // Every line is accounted for: imported or rejected, with the worker's half included.
    expect(two.first.inserted + two.first.rejected).toBe(6000);
    // The reject lines of the first reading come in line order across the cut, then the duplicates of the second.
    const lines = two.rejects.trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    const firstReading = lines.slice(0, lines.findIndex((l, k) => k > 0 && l < lines[k - 1]!) >>> 0);
    expect(firstReading.length).toBeGreaterThan(10);
    expect([...firstReading].sort((a, b) => a - b)).toEqual(firstReading);
    expect(Math.max(...firstReading)).toBeGreaterThan(4500);
    // The worker's rejects waited beside the rejects file; nothing of them is left.
    expect(existsSync(`${two.first.rejectsFile}.part`)).toBe(false);
  });

  it.each([
    ['no reject at all', () => undefined],
    ['rejects only before the cut', (i: number) => (i < 1000 && i % 97 === 0 ? line(i, { ma_so_bhxh: '12' }) : undefined)],
    ['rejects only after the cut', (i: number) => (i > 5000 && i % 97 === 0 ? line(i, { ma_so_bhxh: '12' }) : undefined)],
  ])('writes the same rejects file with %s', async (_what, at) => {
    const { db } = database();
    const dir = await useTempDir();
    const data = Array.from({ length: 6000 }, (_, k) => at(k + 1) ?? line(k + 1));
    const file = await write(dir, data);
    const one = await importTwice(db, file, dir, Infinity);
    const two = await importTwice(db, file, dir, 0);
    expect(two.first.readingThreads).toBe(2);
    expect(two.rejects).toBe(one.rejects);
    expect(two.rejectsAgain).toBe(one.rejectsAgain);
    expect(two.state).toEqual(one.state);
  });

  it("keeps the file's keys in a work table of its own, and drops those that imports which died left behind", async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await write(dir, damaged(300));
    await db.withSession(async (other) => {
      // One left by an import whose server process is gone; one of a session still there (held while the import runs).
      const live = (await rows<{ pid: number }>(other, 'SELECT pg_backend_pid() AS pid'))[0]!.pid;
      await other.query('CREATE UNLOGGED TABLE import_work.file_key_9999999 (line int)');
      await other.query(`CREATE UNLOGGED TABLE import_work.file_key_${live} (line int)`);
      await importParticipants(deps(db), file, path.join(dir, 'r.csv'), { bulk: false });
      const left = await rows<{ name: string }>(other, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'import_work' ORDER BY 1`);
      expect(left.map((t) => t.name)).toEqual([`file_key_${live}`]);
      await other.query(`DROP TABLE import_work.file_key_${live}`);
    });
  });

  it('imports every row of files of short rows, whose key lines fill a part before the rows do', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // (18 853 rows of these once lost the last: its key line went into a part that was never sent.)
    for (const n of [18_853, 30_011]) {
      await resetDatabase(db);
      const file = path.join(dir, `short-${n}.csv`);
      // As short as they were before a participants file had to have its so_giay_to column.
      const data = Array.from({ length: n }, (_, i) => `${1_000_000_001 + i},Nguyễn Văn An,1/01/1990,1,`);
      await writeFile(file, `ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n${data.join('\n')}\n`);
      const r = await importParticipants(deps(db), file, path.join(dir, `short-${n}.rejects.csv`), { bulk: false, twoThreadsFrom: 1 });
      const [count] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM participant');
      expect([r.readingThreads, r.rowsRead, r.inserted, count!.n]).toEqual([2, n, n, n]);
    }
  });

  it('reads a file whose fields are separated by semicolons (Excel in Vietnamese settings) on either path, as the same file with commas', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const n = 20_000; // past the first read (256 KB), so that a second thread can take the second half
    const line = (sep: string, i: number) =>
      [`${1_000_000_001 + i}`, i % 7 === 0 ? `"Nguyễn; Văn, ${i}"` : `Trần Thị ${i}`, '01/01/1990', i % 2 ? 'Nam' : 'Nữ', '', 'DV0001', '79', ''].join(sep);
    // A last column whose heading holds the other separator, as Excel writes it in either mode (unquoted).
    const header = (sep: string) => ['ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to', 'ma_don_vi', 'ma_tinh', sep === ';' ? 'ghi chú, nếu có' : 'ghi chú; nếu có'].join(sep);
    const semi = path.join(dir, 'cham-phay.csv');
    await writeFile(semi, `\uFEFF${header(';')}\r\n${Array.from({ length: n }, (_, i) => line(';', i)).join('\r\n')}\r\n`);
    const comma = path.join(dir, 'phay.csv');
    await writeFile(comma, `${header(',')}\n${Array.from({ length: n }, (_, i) => line(',', i)).join('\n')}\n`);
    const people = 'SELECT ma_so_bhxh, ho_ten, gioi_tinh, ma_don_vi, ma_tinh FROM participant ORDER BY 1';
    const got: unknown[] = [];
    const readings: Array<[string, ImportOptions]> = [[comma, {}], [semi, {}], [semi, { bulk: false, twoThreadsFrom: 1 }]];
    for (const [file, options] of readings) {
      await resetDatabase(db);
      const r = await importParticipants(deps(db), file, `${file}.rejects.csv`, options);
      expect([r.rowsRead, r.inserted, r.rejected]).toEqual([n, n, 0]);
      expect([r.bulk, r.readingThreads]).toEqual(options.bulk === false ? [false, 2] : [true, 1]);
      got.push(await rows(db, people));
    }
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    expect((got[0] as Array<{ ho_ten: string }>)[0]!.ho_ten).toBe('Nguyễn; Văn, 0');
  });

  it('reads on one thread, and says so, when the second cannot be started', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await write(dir, damaged(6000));
    const one = await importTwice(db, file, dir, Infinity);
    // Where the worker's rejects would wait, a folder: the worker is not started, and no row is lost.
    const rejectsFile = path.join(dir, 'blocked.csv');
    await mkdir(`${rejectsFile}.part`);
    await resetDatabase(db);
    const warned: unknown[] = [];
    const log = Object.assign(Object.create(deps(db).log) as Deps['log'], {
      child: () => log,
      warn: (...args: unknown[]) => void warned.push(args),
    });
    const r = await importParticipants({ ...deps(db), log }, file, rejectsFile, { bulk: false, twoThreadsFrom: 0 });
    expect(r.readingThreads).toBe(1);
    expect(counts(r)).toEqual(counts(one.first));
    expect(await readFile(rejectsFile, 'utf8')).toBe(one.rejects);
    expect(await endState(db)).toEqual(one.state);
    expect(JSON.stringify(warned)).toContain('the first reading stays on one thread');
  });

  it.each([
    [
      'a quoted field with line breaks',
      (n: number) => line(n, { ten_don_vi: `"${Array.from({ length: 8 }, (_, k) => `Tầng ${k} tòa nhà số ${k}`).join('\n')}"`, dia_chi_don_vi: `"${'Hà Nội\n'.repeat(8)}Việt Nam"` }),
    ],
    [
      // Never closed: its first line is rejected, and the lines after it are read again one by one.
      'an unbalanced quote',
      (n: number) => [line(n, { email: '"binh@example.vn' }), ...Array.from({ length: 8 }, (_, k) => line(n + 100_000 + k))].join('\n'),
    ],
  ])('ends as one thread does when the cut falls inside %s (the main thread reads on)', async (_what, special) => {
    const { db } = database();
    const dir = await useTempDir();
    // The special record in the middle of the file, the line start nearest the middle inside it: padding lines
    // (a long unit name) are added before or after until the cut falls there.
    const half = 3000;
    const data = damaged(2 * half + 1, (i) => (i === half + 1 ? special(i) : undefined));
    const target = special(half + 1);
    const pad = (n: number) => line(800_000 + n, { ten_don_vi: 'x'.repeat(300) });
    let file = '';
    for (let tries = 0; ; tries++) {
      file = await write(dir, data);
      const text = await readFile(file, 'utf8');
      const from = Buffer.byteLength(text.slice(0, text.indexOf(target)));
      const to = from + Buffer.byteLength(target);
      const cut = (await lineStartFrom(file, Math.floor(Buffer.byteLength(text) / 2)))!;
      // Past what the reading of the header took in (256 KiB), or there would be no second thread at all.
      expect(cut).toBeGreaterThan(256 * 1024);
      if (cut > from && cut < to) break;
      expect(tries).toBeLessThan(50);
      if (cut <= from) data.push(pad(tries));
      else data.unshift(pad(tries));
    }

    const one = await importTwice(db, file, dir, Infinity);
    const two = await importTwice(db, file, dir, 0);
    expect([two.first.readingThreads, two.again.readingThreads]).toEqual([1, 1]);
    expect(counts(two.first)).toEqual(counts(one.first));
    expect(counts(two.again)).toEqual(counts(one.again));
    expect(two.rejects).toBe(one.rejects);
    expect(two.state).toEqual(one.state);
    expect(two.first.rowsRead).toBe(one.first.rowsRead);
    expect(two.first.inserted + two.first.rejected).toBe(two.first.rowsRead);
  });
});
