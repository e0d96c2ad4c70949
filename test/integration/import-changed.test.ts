// A file saved anew while its duplicates are being read again: the import is refused and writes nobody, even when
// thousands of duplicate lines were still coming from the server, and the file as it is now then imports whole.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { capturedLog } from '../helpers/log.js';
import { databasePerFile, deps, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const person = (i: number, name = `Nguyễn Văn Số ${i}`): ParticipantInput => ({
  ma_so_bhxh: `01${String(i).padStart(8, '0')}`, ho_ten: name, ngay_sinh: '1990', gioi_tinh: 'Nam',
  so_giay_to: `0${String(i).padStart(8, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01',
});

describe('an import whose file changes under it', () => {
  it('is refused with thousands of duplicates still unread, and the database goes on answering', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const n = 5_000;
    const people = Array.from({ length: n }, (_, i) => person(i + 1));
    const again = people.map((p, i) => person(i + 1, `${p.ho_ten} Khác`));
    const file = await writeParticipants(dir, [...people, ...again]);
    // The copy saved over it: the first duplicate's line now holds someone else.
    const changed = await writeParticipants(dir, [...people, person(n + 1), ...again.slice(1)], 'changed.csv');
    const { log } = capturedLog('debug', (line) => {
      if (line.msg === 'loaded') writeFileSync(file, readFileSync(changed));
    });
    const err = await importParticipants({ ...deps(db), log }, file, path.join(dir, 'rejects.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${file} changed while it was being imported; import it again`);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 0 }]);
    // The file as it is now imports whole.
    expect(await importParticipants(deps(db), file, path.join(dir, 'rejects.csv'))).toMatchObject({ rowsRead: 2 * n, inserted: n + 1, rejected: n - 1 });
  }, 60_000);
});
