// A participants file still being written when the night's import starts (the export, or its copy, not finished):
// the import read it up to where the writer had got and said "imported" (exit 0), its last line among the rejects,
// the rest of the export missing without a word. Now it fails, nothing imported, and says to import it again.
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, participantsCsv, rows, useTempDir, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const person = (i: number, name = 'Nguyễn Văn Số'): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`, ho_ten: `${name} ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam',
  so_giay_to: `0${String(i).padStart(8, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01',
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
    expect(await importParticipants(deps(db), file)).toMatchObject({ rowsRead: 5, inserted: 5, rejected: 0 });
  });

  it('fails a later import (chunked path) before it changes anyone', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const first = path.join(dir, 'first.csv');
    writeFileSync(first, participantsCsv(Array.from({ length: 5 }, (_, i) => person(i + 1))));
    await importParticipants(deps(db), first);
    const file = path.join(dir, 'participants.csv');
    const progress = exportUnderWay(file, Array.from({ length: 6 }, (_, i) => person(i + 1, 'Trần Thị Mới')));
    const err = await importParticipants({ ...deps(db), progress }, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/changed while it was being read \(still being written or copied\?\): nothing was imported/);
    expect(await rows(db, "SELECT count(*)::int AS n, count(*) FILTER (WHERE ho_ten LIKE 'Trần%')::int AS new FROM participant")).toEqual([{ n: 5, new: 0 }]);
  });
});
