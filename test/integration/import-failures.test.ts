// What an operator sees when an import cannot finish, and what it tells them while it runs: a connection lost in
// the middle or a file changed between its two readings leave nothing half-imported; a header that lacks columns is
// warned about by name; the debug log times each phase.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { RejectsFile } from '../../src/pipeline/rejects-file.js';
import type { Db, Queryable, Session } from '../../src/db/pool.js';
import { UsageError, UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';
import { capturedLog } from '../helpers/log.js';

const database = databasePerFile();

const person = (i: number, over: Partial<ParticipantInput> = {}): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`, ho_ten: `Nguyễn Văn Số ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam',
  so_giay_to: `0${String(i).padStart(8, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01', ...over,
});

/** The database, with the Nth statement that inserts a loaded segment into `participant` failing (a lost connection). */
function failingSegment(db: Db, n: number): Db {
  let seen = 0;
  const wrap = (q: Queryable): Queryable => ({
    ...q,
    query: (text: string, values?: unknown[]) => {
      if (text.includes('FROM segment')) {
        seen += 1;
        if (seen === n) return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      return q.query(text, values);
    },
  }) as Queryable;
  return {
    ...db,
    withSession: <T>(fn: (session: Session) => Promise<T>) => db.withSession((s) => fn({ ...s, ...wrap(s) } as Session)),
  };
}

describe('an import that cannot finish', () => {
  it('loses its connection in the middle of the file: the error is reported and nobody is imported', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, Array.from({ length: 12 }, (_, i) => person(i + 1)));
    // Segments of 3 rows: the second segment's insert fails while later rows are still being read.
    const err = await importParticipants(deps(failingSegment(db, 2)), file, path.join(dir, 'rejects.csv'), { chunkSize: 3 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Connection terminated unexpectedly');
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    // The same file imports whole afterwards.
    expect(await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'), { chunkSize: 3 })).toMatchObject({ rowsRead: 12, inserted: 12 });
  });

  // The next import, waiting for its turn, may write the same rejects file: the one that failed writes its own out
  // before its session (and the lock with it) goes, as the one that succeeds does.
  it('writes out its rejects file before letting the next import take its turn, when it fails too', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [...Array.from({ length: 6 }, (_, i) => person(i + 1)), person(7, { ma_so_bhxh: '123' })]);
    const events: string[] = [];
    const failing = failingSegment(db, 2);
    const watched: Db = {
      ...failing,
      withSession: <T>(fn: (session: Session) => Promise<T>) => failing.withSession(fn).finally(() => events.push('lock let go')),
    };
    const original = RejectsFile.prototype.close;
    const spy = vi.spyOn(RejectsFile.prototype, 'close').mockImplementation(async function (this: RejectsFile) {
      events.push('rejects closed');
      return original.call(this);
    });
    try {
      await expect(importParticipants(deps(watched), file, path.join(dir, 'rejects.csv'), { chunkSize: 3 })).rejects.toThrow('Connection terminated unexpectedly');
    } finally {
      spy.mockRestore();
    }
    expect(events[0]).toBe('rejects closed');
    expect(events).toContain('lock let go');
  });

  it('refuses a file changed between its two readings (duplicates are read again from the file), importing nobody', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const rowsIn = [...Array.from({ length: 6 }, (_, i) => person(i + 1)), person(2, { ho_ten: 'Người Khác' })];
    const file = await writeParticipants(dir, rowsIn);
    const changed = await writeParticipants(dir, [...rowsIn.slice(0, 6), person(9)], 'changed.csv');
    // Once every row is loaded, before the duplicates are read again, another program saves the file anew.
    const { log } = capturedLog('debug', (line) => {
      if (line.msg === 'loaded') writeFileSync(file, readFileSync(changed));
    });
    const err = await importParticipants({ ...deps(db), log }, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${file} changed while it was being imported; import it again`);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
  });

  it('refuses a pipe at once, saying so, instead of waiting for a writer or failing on a seek', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const fifo = path.join(dir, 'participants.csv');
    execFileSync('mkfifo', [fifo]);
    // Nobody ever writes to it: opening it to read would wait for ever.
    const err = await importParticipants(deps(db), fifo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`cannot read ${fifo}: not a regular file (a pipe or a device); save it to a file and import that`);
    // `ddcn import participants /dev/stdin < file.csv`: stdin is then the file itself, but its rejects would go to /dev.
    const file = await writeParticipants(dir, [person(1)], 'stdin.csv');
    const stdin = openSync(file, 'r');
    const script = `import('./src/pipeline/read-table.ts').then((m) => m.openTable('/dev/stdin')).then(() => console.log('opened'), (e) => console.log(e.message))`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: [stdin, 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await once(child, 'close');
    closeSync(stdin);
    expect(out.trim()).toBe('cannot read /dev/stdin: not a regular file (a pipe or a device); save it to a file and import that');
  });

  it('refuses a rejects file that is the file being imported (same path, relative, or a link), leaving it whole', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [person(1), person(2, { ma_so_bhxh: '12345' })]);
    const before = readFileSync(file, 'utf8');
    const link = path.join(dir, 'link.csv');
    symlinkSync(file, link);
    for (const rejects of [file, path.relative(process.cwd(), file), link]) {
      const err = await importParticipants(deps(db), file, rejects).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError); // exit 2: a flag that does not fit
      expect((err as Error).message).toBe(`the rejects file ${rejects} is the file being imported; give --rejects another path (default: FILE.rejects.csv)`);
      expect(readFileSync(file, 'utf8')).toBe(before);
    }
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
  });

  // /dev/full: every write fails with ENOSPC, as on a full disk. It was an unhandled 'error' event of the rejects
  // file's stream: Node's stack trace instead of a message, the import stopped wherever it was.
  it.runIf(existsSync('/dev/full'))('says that the rejects file cannot be written (a full disk), on either path, and keeps no row of that reading', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = Array.from({ length: 3000 }, (_, i) => person(i + 1, i % 3 === 0 ? { ma_so_bhxh: `BAD${i}` } : {}));
    const file = await writeParticipants(dir, people);
    for (const bulk of [undefined, false] as const) {
      const err = await importParticipants(deps(db), file, '/dev/full', { bulk, chunkSize: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe('cannot write /dev/full: no space left on the device [ENOSPC]');
      expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    }
  });

  it('takes its turn behind an import still running, so that the one run last holds, counted as it wrote', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = (name: string) => Array.from({ length: 50 }, (_, i) => person(i + 1, { ho_ten: `${name} Số ${i + 1}` }));
    const before = await writeParticipants(dir, people('Nguyễn Văn'), 'before.csv');
    const edited = await writeParticipants(dir, [...people('Trần Văn'), person(51, { ma_so_bhxh: '12345' })], 'edited.csv');
    await importParticipants(deps(db), before, path.join(dir, 'r0.csv'));
    // Both write the same rejects file, as a night's import still running when the next night's starts.
    const rejectsFile = path.join(dir, 'rejects.csv');
    // The edited file's import is held at its writing (another session holds the rows), then the earlier file is
    // imported again: it began after, and ends last.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const holder = db.withTransaction(async (tx) => {
      await tx.query('SELECT 1 FROM participant FOR UPDATE');
      locked();
      await held;
    });
    await holding;
    const waitingFor = async (locktype: string) => {
      for (let i = 0; i < 600; i++) {
        const [w] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = $1', [locktype]);
        if (w!.n > 0) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    const first = importParticipants(deps(db), edited, rejectsFile);
    expect(await waitingFor('transactionid')).toBe(true);
    let secondDone = false;
    const second = importParticipants(deps(db), before, rejectsFile).finally(() => (secondDone = true));
    // The second waits for the first (its lock), or — as before — read the table as the first had not yet written it.
    for (let i = 0; i < 100 && !secondDone; i++) {
      const [w] = await rows<{ n: number }>(db, "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'advisory'");
      if (w!.n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // While it waits, the first's rejects file is as the first wrote it, not emptied by the second.
    expect(readFileSync(rejectsFile, 'utf8')).toMatch(/\n52,ma_so_bhxh must be 10 digits,12345,/);
    release();
    await holder;
    expect(await first).toMatchObject({ updated: 50, rejected: 1 });
    expect(await second).toMatchObject({ updated: 50, unchanged: 0 });
    expect(await rows(db, "SELECT count(*)::int AS n FROM participant WHERE ho_ten LIKE 'Nguyễn Văn Số %'")).toEqual([{ n: 50 }]);
  });

  it('says a rejects file it cannot write at once, not after waiting for the import running before it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [person(1)], 'p.csv');
    // Another import holds the turn (its advisory lock, src/pipeline/import-participants.ts) for as long as the test.
    await db.withSession(async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [2207_0017]);
      try {
        const err = await importParticipants(deps(db), file, path.join(file, 'r.csv')).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(/^cannot open .*p\.csv\/r\.csv: /);
      } finally {
        await other.query('SELECT pg_advisory_unlock($1::bigint)', [2207_0017]);
      }
    });
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
  }, 20_000);

  it('makes no rejects file while it waits for its turn: one stopped then leaves none saying nothing was rejected', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeParticipants(dir, [person(1), person(2, { ma_so_bhxh: '12345' })], 'p.csv');
    const rejectsFile = path.join(dir, 'out', 'r.csv');
    let importing!: Promise<unknown>;
    await db.withSession(async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [2207_0017]);
      try {
        importing = importParticipants(deps(db), file, rejectsFile);
        let waiting = false;
        for (let i = 0; i < 400 && !waiting; i++) {
          const [w] = await rows<{ n: number }>(db, "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'advisory'");
          waiting = w!.n > 0;
          if (!waiting) await new Promise((r) => setTimeout(r, 50));
        }
        expect(waiting).toBe(true);
        // Its folder is made (a path that cannot be is said at once), the file is not.
        expect([existsSync(path.dirname(rejectsFile)), existsSync(rejectsFile)]).toEqual([true, false]);
      } finally {
        await other.query('SELECT pg_advisory_unlock($1::bigint)', [2207_0017]);
      }
    });
    expect(await importing).toMatchObject({ inserted: 1, rejected: 1 });
    expect(readFileSync(rejectsFile, 'utf8')).toMatch(/\n3,ma_so_bhxh must be 10 digits,12345,/);
  }, 20_000);

  it('says what a file is when it is no CSV text of the kind read: compressed, a zip, an old .xls, CR line ends, tabs', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const header = 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to';
    const lines = [header, '0100000001,Nguyễn Văn An,1990,Nam,', '0100000002,Trần Thị Bình,1991,Nữ,'];
    const files: Array<[string, Buffer | string, string]> = [
      ['gz.csv', gzipSync(lines.join('\n') + '\n'), 'is compressed (gzip): unpack it (gunzip) and import the CSV it holds'],
      ['zip.csv', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(40)]), 'is a zip archive (an .xlsx workbook, or files packed together): name a workbook FILE.xlsx, or unpack the archive and import the CSV it holds'],
      ['xls.csv', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(40)]), 'is an old Excel workbook (.xls), not CSV text: save it as .xlsx or as "CSV UTF-8 (comma delimited)" and import that'],
      ['mac.csv', lines.join('\r') + '\r', ': its lines end in a carriage return alone (as old Macintosh software writes them), which this import does not read; save it as "CSV UTF-8 (comma delimited)" and import again'],
      // A header as Windows ends it, the rows as an old Macintosh program does (two files put together): the rows were
      // one line, rejected as 'has 11 fields' and counted as one row.
      ['mixed.csv', `${header}\r\n${lines.slice(1).join('\r')}\r`, ': its lines after the header end in a carriage return alone (as old Macintosh software writes them), which this import does not read; save it as "CSV UTF-8 (comma delimited)" and import again'],
      ['tabs.csv', lines.map((l) => l.replaceAll(',', '\t')).join('\n') + '\n', ': its fields are separated by tabs; save it as "CSV UTF-8 (comma delimited)" and import again (commas, or semicolons, between fields)'],
    ];
    for (const [name, content, said] of files) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`${file}${said.startsWith(':') ? '' : ' '}${said}`);
    }
    // A file that ends in CR LF, or in a carriage return after its last line only, is read as before; so is one whose
    // only row, without a line end, holds a carriage return in a field.
    const crlf = path.join(dir, 'crlf.csv');
    writeFileSync(crlf, lines.join('\r\n') + '\r\n');
    expect(await importParticipants(deps(db), crlf)).toMatchObject({ inserted: 2, rejected: 0 });
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 2 }]);
    const one = path.join(dir, 'one.csv');
    writeFileSync(one, `${header}\r\n0100000003,"Lê\rVăn Ba",1971,Nam,`);
    expect(await importParticipants(deps(db), one)).toMatchObject({ inserted: 1, rejected: 0 });
  });

  it('does not repeat a first row of data in its message when the header row is missing', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'no-header.csv');
    writeFileSync(file, '0100000001,Nguyễn Thị Tuyết,15/08/1966,Nữ,096166538554,DV0790002,79,,,1,tuyet@example.vn\n');
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message).toContain('no "ma_so_bhxh" column. Found: a row of 11 values that looks like data, not a header (is the header row missing?)');
    for (const value of ['0100000001', 'Tuyết', '15/08/1966', '096166538554', 'tuyet@example.vn']) expect(message).not.toContain(value);
    // A value twice in that row (the personal number as the code too; an owner's name as the household business's),
    // or no number long enough to be a code: still described, never repeated.
    for (const line of [
      '096166538554,Nguyễn Thị Tuyết,15/08/1966,Nữ,096166538554,DV0790002,79',
      '0100000001,Nguyễn Văn Tuấn,1966,Nam,,HKD01,Nguyễn Văn Tuấn',
      'Nguyễn Văn Tuấn,1966,Nam,Hà Nội',
    ]) {
      writeFileSync(file, `${line}\n0100000002,Lê Văn Ba,1971,Nam,023456781,DV0790002,79\n`);
      const e = await importParticipants(deps(db), file).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toContain('looks like data, not a header (is the header row missing?)');
      for (const value of ['096166538554', 'tuyết', 'tuấn', '1966', 'hà nội']) expect((e as Error).message.toLowerCase()).not.toContain(value);
    }
    // A header with wrong names is still shown as it is: it is what the operator has to fix.
    writeFileSync(file, 'Mã số BHXH,Họ tên\n0100000001,Nguyễn Thị Tuyết\n');
    await expect(importParticipants(deps(db), file)).rejects.toThrow('Found: mã số bhxh, họ tên.');
  });

  it('fails, importing nobody, when something goes wrong while the rows are read (here the progress display)', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // The progress line is drawn every 10 000 rows: the first drawing fails, half-way through the file.
    const file = await writeParticipants(dir, Array.from({ length: 10_001 }, (_, i) => person(i + 1)));
    const progress = { start() {}, tick() { throw new Error('write EPIPE'); }, end() {} };
    await expect(importParticipants({ ...deps(db), progress }, file)).rejects.toThrow('write EPIPE');
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
  });
});

describe('what an import tells the operator', () => {
  it('ends with one line of counts, and says how it read sex code 0 only when the file has one (spaces around it too)', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'mot-khong.csv');
    writeFileSync(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn Văn An,,1,\n0100000002,Trần Thị Bình,, 0 ,\nABC,Lê Văn Cường,,1,\n');
    const first = capturedLog('info');
    expect(await importParticipants({ ...deps(db), log: first.log }, file)).toMatchObject({ rowsRead: 3, inserted: 2, rejected: 1 });
    expect(first.lines.filter((l) => l.msg === 'sex code 0')).toMatchObject([{ level: 30, stage: 'import', rows: 1, readAs: 'F (file uses 1/0)' }]);
    expect(await rows(db, 'SELECT gioi_tinh FROM participant ORDER BY ma_so_bhxh')).toEqual([{ gioi_tinh: 'M' }, { gioi_tinh: 'F' }]);
    const done = first.lines.filter((l) => l.msg === 'import finished');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ level: 30, stage: 'import', rowsRead: 3, inserted: 2, updated: 0, unchanged: 0, rejected: 1 });
    expect(done[0]!.importId).toEqual(expect.any(Number));
    // No name, no code in what the operator's log keeps.
    expect(first.text.join('')).not.toMatch(/Nguyễn|Trần|0100000001|ABC/);

    writeFileSync(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn Văn An,,1,\n0100000002,Trần Thị Bình,,2,\n');
    const second = capturedLog('info');
    expect(await importParticipants({ ...deps(db), log: second.log }, file)).toMatchObject({ rowsRead: 2, updated: 1, unchanged: 1 });
    expect(second.lines.filter((l) => l.msg === 'sex code 0')).toEqual([]);
    expect(second.lines.find((l) => l.msg === 'import finished')).toMatchObject({ rowsRead: 2, inserted: 0, updated: 1, unchanged: 1, rejected: 0 });
  });

  it('names the columns it ignores, in the log and in its result', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'them-cot.csv');
    writeFileSync(file, 'ma_so_bhxh,ghi_chu,ho_ten,ngay_sinh,gioi_tinh,so_giay_to,so_dien_thoai\n0100000001,x,Nguyễn Văn An,,,,0900000000\n');
    const { lines, log } = capturedLog('info');
    expect(await importParticipants({ ...deps(db), log }, file)).toMatchObject({ rowsRead: 1, inserted: 1, unknownColumns: ['ghi_chu', 'so_dien_thoai'] });
    expect(lines.find((l) => l.unknownColumns)).toMatchObject({ level: 40, msg: 'columns ignored', unknownColumns: ['ghi_chu', 'so_dien_thoai'] });
  });

  it('refuses a chunk size that is not a positive whole number', async () => {
    const { db } = database();
    const file = await writeParticipants(await useTempDir(), [person(1)]);
    for (const chunkSize of [0, -1, 1.5]) {
      await expect(importParticipants(deps(db), file, undefined, { chunkSize })).rejects.toThrow(`chunkSize must be a positive whole number, got ${chunkSize}`);
    }
  });

  it('warns about missing columns by name, and times each phase in the debug log', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'thieu-cot.csv');
    writeFileSync(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn Văn An,1990,Nam,\n');
    const { lines, log } = capturedLog('debug');
    expect(await importParticipants({ ...deps(db), log }, file)).toMatchObject({ rowsRead: 1, inserted: 1 });
    expect(lines.find((l) => l.missingColumns)).toMatchObject({
      level: 40, msg: 'columns missing: new people get those fields empty, people on file keep theirs',
      missingColumns: ['ma_don_vi', 'ten_don_vi', 'dia_chi_don_vi', 'ma_tinh', 'ma_huyen', 'vssid', 'email'],
    });
    const phases = lines.filter((l) => l.stage === 'import' && typeof l.ms === 'number').map((l) => l.msg);
    expect(phases).toEqual(['read and normalised', 'loaded', 'duplicates settled', 'indexes built', 'before vacuum', 'vacuumed']);
  });

  it('refuses a file without a column the registry compares, before anything is written: nobody loses that field', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [person(1, { vssid: '1', email: 'a@example.vn' }), person(2)]));
    const before = await rows(db, 'SELECT * FROM participant ORDER BY ma_so_bhxh');
    const runs = await rows(db, 'SELECT count(*)::int AS n FROM import_run');
    const file = path.join(dir, 'khong-gioi-tinh.csv');
    writeFileSync(file, 'ma_so_bhxh,ho_ten,ngay_sinh,so_giay_to\n0100000001,Nguyễn Văn Số 1,1990,000000001\n');
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${file}: no "gioi_tinh" column; nothing was imported. A participants file needs ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to ` +
        '(their values may be empty). Found: ma_so_bhxh, ho_ten, ngay_sinh, so_giay_to',
    );
    writeFileSync(file, 'ma_so_bhxh,ho_ten\n0100000001,Nguyễn Văn Số 1\n');
    await expect(importParticipants(deps(db), file)).rejects.toThrow(`${file}: no "ngay_sinh", "gioi_tinh", "so_giay_to" columns; nothing was imported.`);
    expect(await rows(db, 'SELECT * FROM participant ORDER BY ma_so_bhxh')).toEqual(before);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM import_run')).toEqual(runs);
  });

  it('leaves what is on file of the fields whose columns a file leaves out, and gives new people those fields empty', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [
      person(1, { vssid: '1', email: 'mot@example.vn', ma_huyen: '005' }),
      person(2, { ma_don_vi: 'TB0002B', ma_tinh: '79', ma_huyen: '760', vssid: 'có lẽ', email: 'khong-phai-email' }),
    ]));
    const invalid = [{ field: 'vssid', code: 'invalid', value: 'có lẽ' }, { field: 'email', code: 'invalid', value: 'khong-phai-email' }];
    expect(await rows(db, `SELECT findings FROM participant WHERE ma_so_bhxh = '0100000002'`)).toEqual([{ findings: invalid }]);
    const file = path.join(dir, 'chi-nhan-than.csv');
    // Person 2's name changes; person 3 is new. No unit, office, VssID or e-mail column.
    writeFileSync(file, 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n0100000001,Nguyễn Văn Số 1,1990,Nam,000000001\n' +
      '0100000002,Nguyễn Văn Hai,1990,Nam,000000002\n0100000003,Nguyễn Văn Ba,1990,Nam,000000003\n');
    const later = { ...deps(db), now: () => new Date('2024-07-01T01:00:00Z') }; // what changes is told by its time
    expect(await importParticipants(later, file)).toMatchObject({ inserted: 1, updated: 1, unchanged: 1, rejected: 0 });
    const unitMissing = [{ field: 'unit', code: 'missing' }];
    expect(await rows(db, 'SELECT ma_so_bhxh, ho_ten, ma_don_vi, ma_tinh, ma_huyen, vssid, email, findings FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Số 1', ma_don_vi: 'TA0001A', ma_tinh: '01', ma_huyen: '005', vssid: true, email: 'mot@example.vn', findings: [] },
      // What was found about the e-mail and VssID flag it keeps stays with them.
      { ma_so_bhxh: '0100000002', ho_ten: 'Nguyễn Văn Hai', ma_don_vi: 'TB0002B', ma_tinh: '79', ma_huyen: '760', vssid: false, email: null, findings: invalid },
      { ma_so_bhxh: '0100000003', ho_ten: 'Nguyễn Văn Ba', ma_don_vi: null, ma_tinh: null, ma_huyen: null, vssid: false, email: null, findings: unitMissing },
    ]);
  });
});
