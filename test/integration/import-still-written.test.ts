// A participants file still being written when the night's import starts (the export, or its copy, not finished),
// or one whose export or copy stopped part-way, in the middle of a line: the import read what there was and said
// "imported" (exit 0), its cut last line among the rejects, the rest of the export missing without a word. Now it
// fails, nothing imported, and says to import it again once complete.
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { ddcn } from './http-harness.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import {
  databasePerFile,
  deps,
  participantsCsv,
  rows,
  useTempDir,
  type ParticipantInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const person = (i: number, name = 'Nguyễn Văn Số'): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`,
  ho_ten: `${name} ${i}`,
  ngay_sinh: '1990',
  gioi_tinh: 'Nam',
  so_giay_to: `0${String(i).padStart(8, '0')}`,
  ma_don_vi: 'TA0001A',
  ma_tinh: '01',
});

/**
 * The export as its writer has got with it when the import opens it (cut in the middle of a line), and the progress
 * hook that writes the rest once the import has begun reading.
 */
function exportUnderWay(file: string, people: ParticipantInput[]) {
  const whole = participantsCsv(people);
  const cut = whole.lastIndexOf('\n', whole.length - 2) + 8;
  writeFileSync(file, whole.slice(0, cut));
  return { start: () => appendFileSync(file, whole.slice(cut)), tick() {}, end() {} };
}

describe('a participants file still being written', () => {
  it('fails the first load (bulk path) whole, saying so, and imports the file once complete', async () => {
    const { db } = database();
    const file = path.join(await useTempDir(), 'participants.csv');
    const people = Array.from({ length: 5 }, (_, i) => person(i + 1));
    const progress = exportUnderWay(file, people);
    const err = await importParticipants({ ...deps(db), progress }, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${file} changed while it was being read (still being written or copied?): nothing was imported; ` +
        'import it again once it is complete (a transfer that writes under another name and renames at the end avoids this)',
    );
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    // Nor is an import left standing as if at work: the portal's Mẫu 03 figures would not be cached for a day.
    expect(await rows(db, 'SELECT count(*)::int AS n FROM import_run WHERE finished_at IS NULL')).toEqual([{ n: 0 }]);
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 5, inserted: 5, rejected: 0 });
  });

  it('fails a later import (chunked path) before it changes anyone', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const first = path.join(dir, 'first.csv');
    writeFileSync(first, participantsCsv(Array.from({ length: 5 }, (_, i) => person(i + 1))));
    await importParticipants(deps(db), first);
    const file = path.join(dir, 'participants.csv');
    const progress = exportUnderWay(
      file,
      Array.from({ length: 6 }, (_, i) => person(i + 1, 'Trần Thị Mới')),
    );
    const err = await importParticipants({ ...deps(db), progress }, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /changed while it was being read \(still being written or copied\?\): nothing was imported/,
    );
    expect(
      await rows(
        db,
        "SELECT count(*)::int AS n, count(*) FILTER (WHERE ho_ten LIKE 'Trần%')::int AS new FROM participant",
      ),
    ).toEqual([{ n: 5, new: 0 }]);
  });

  it('fails a file cut short in the middle of its last line, naming the line, on either path', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const whole = participantsCsv(Array.from({ length: 4 }, (_, i) => person(i + 1)));
    const file = path.join(dir, 'cut.csv');
    // Cut within the fourth person's name (line 5), and within a quoted field that never closes.
    for (const cut of [whole.slice(0, whole.lastIndexOf('\n', whole.length - 2) + 16), `${whole}0100000009,"Lê Văn`]) {
      writeFileSync(file, cut);
      const line = cut.split('\n').length;
      const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
      expect((err as Error).message).toBe(
        `${file} ends in the middle of line ${line} (cut short: an export or a copy that did not finish?): nothing was imported; import it again once it is complete`,
      );
      expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    }
    // A whole file without the last line break imports as before, and so does a last line rejected for its key.
    writeFileSync(file, whole.trimEnd());
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 4, inserted: 4, rejected: 0 });
    writeFileSync(file, `${whole}12345,Lê Văn Tám,1990,Nam,,TA0001A,,,01,,,`);
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 5, unchanged: 4, rejected: 1 });
    // Cut short on the chunked path (people on file now): refused before anyone is changed.
    writeFileSync(
      file,
      participantsCsv(Array.from({ length: 4 }, (_, i) => person(i + 1, 'Trần Thị Mới'))).slice(0, -20),
    );
    await expect(importParticipants(deps(db), file)).rejects.toThrow(/ends in the middle of line 5 \(cut short/);
    expect(await rows(db, "SELECT count(*)::int AS n FROM participant WHERE ho_ten LIKE 'Trần%'")).toEqual([{ n: 0 }]);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM import_run WHERE finished_at IS NULL')).toEqual([{ n: 0 }]);
  });

  it('imports a file whose times a backup put back while it was read (its modification time cut to the second)', async () => {
    // A backup that keeps access times (Bacula's keepatime, cpio -a) sets both times back with utime(), to the whole
    // second: the modification time goes back by its fraction, nothing in the file changed. Taken for a file still
    // being written, the night's import was refused whenever the backup passed over the folder meanwhile.
    const { db } = database();
    const file = path.join(await useTempDir(), 'participants.csv');
    writeFileSync(file, participantsCsv(Array.from({ length: 3 }, (_, i) => person(i + 1))));
    utimesSync(file, 1_765_000_000.25, 1_765_000_000.75);
    const progress = { start: () => utimesSync(file, 1_765_000_000, 1_765_000_000), tick() {}, end() {} };
    expect(await importParticipants({ ...deps(db), progress }, file)).toMatchObject({ rowsRead: 3, inserted: 3 });
  });

  it('imports a whole file that ends in a DOS end-of-file mark (Ctrl-Z), as before: only that line rejected', async () => {
    // `copy /a`, and `copy a.csv+b.csv` joining two exports on Windows, add Ctrl-Z after the last line break: a line
    // of one field, too few, after which nothing is cut. Refused as "ends in the middle of line 6", the night's whole
    // file was not imported, and again every night the same tool wrote it.
    const { db } = database();
    const file = path.join(await useTempDir(), 'joined.csv');
    writeFileSync(file, `${participantsCsv(Array.from({ length: 4 }, (_, i) => person(i + 1)))}\x1a`);
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 5, inserted: 4, rejected: 1 });
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 4 }]);
    // Ctrl-Z after a line cut short is no sign of a whole file: still refused.
    const cut = participantsCsv(Array.from({ length: 4 }, (_, i) => person(i + 1, 'Trần Thị Mới'))).slice(0, -20);
    writeFileSync(file, `${cut}\x1a`);
    await expect(importParticipants(deps(db), file)).rejects.toThrow(/ends in the middle of line 5 \(cut short/);
  });

  it('cut at a line break, imports what it holds, and counts the people on file it no longer names', async () => {
    // A cut at a line break looks like a shorter export; the summary says how many on file the file did not name,
    // who are kept as they were (an import never removes anyone).
    const { db, url } = database();
    const dir = await useTempDir();
    const whole = path.join(dir, 'whole.csv');
    writeFileSync(whole, participantsCsv(Array.from({ length: 6 }, (_, i) => person(i + 1))));
    expect(await importParticipants(deps(db), whole)).toMatchObject({ inserted: 6, notInFile: 0 });
    const cut = path.join(dir, 'cut.csv');
    const lines = participantsCsv(Array.from({ length: 6 }, (_, i) => person(i + 1))).split('\n');
    // Four of the six, one of them on a line rejected for its key.
    writeFileSync(cut, [...lines.slice(0, 4), lines[4]!.replace(/^\d+/, '12345'), ''].join('\n'));
    const ran = await ddcn(['import', 'participants', cut], { DATABASE_URL: url });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/4 rows read · 0 new · 0 updated · 3 unchanged · 1 rejected \(see .*\) · 3 on file not in this file \(kept as they were\)\n/);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 6 }]);
    // The whole file again: nobody left out, nothing said.
    const again = await ddcn(['import', 'participants', whole], { DATABASE_URL: url });
    expect(again.stderr).toMatch(/6 rows read · 0 new · 0 updated · 6 unchanged · 0 rejected\n/);
  }, 60_000);
});
