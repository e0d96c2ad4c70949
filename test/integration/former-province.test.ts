// A province whose participants all moved to other provinces: its figures of the days it had them can still be
// reported; the commands that work on its participants now say it has none, rather than "no province 031; nearest
// codes: 031".
import { describe, expect, it } from 'vitest';
import { requireCode } from '../../src/cli/checks.js';
import type { Database } from '../../src/db/connect.js';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { databasePerFile, deps, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

describe('a province that had participants and has none now', () => {
  it('is reported for its past days, and named as empty now by the commands that work on its people', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // They change employer: the unit of 031 stays on file with its province, nobody in it.
    const people = (maTinh: string): ParticipantInput[] => [1, 2].map((i) => ({
      ma_so_bhxh: `031000000${i}`, ho_ten: `Lê Văn Số ${i}`, ngay_sinh: '1980', gioi_tinh: 'Nam', so_giay_to: `03123456${i}`,
      ma_don_vi: maTinh === '031' ? 'HP0001A' : 'DN0001B', ma_tinh: maTinh,
    }));
    await importParticipants({ ...deps(db), now: () => new Date('2024-06-03T02:00:00Z') }, await writeParticipants(dir, people('031'), 'a.csv'));
    await importParticipants({ ...deps(db), now: () => new Date('2024-06-10T02:00:00Z') }, await writeParticipants(dir, people('048'), 'b.csv'));
    const where: Database = { db, where: 'the test database', created: false } as unknown as Database;

    const err = await requireCode(where, 'province', '031').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'province 031 has no participants now: they are all in other provinces since (ddcn report progress --province 031 --as-of DATE ' +
        'gives its figures of an earlier day). Check --province.',
    );
    // Either form of the code, as the data wrote it.
    expect(await requireCode(where, 'province', '31', { formerProvince: true })).toBe('031');
    const before = await progressFigures(deps(db), { period: 'week', asOf: { year: 2024, month: 6, day: 5 }, province: '031' });
    expect(before.total.total).toBe(2);
    const now = await progressFigures(deps(db), { period: 'week', asOf: { year: 2024, month: 6, day: 12 }, province: '031' });
    expect(now.total.total).toBe(0);
  });
});
