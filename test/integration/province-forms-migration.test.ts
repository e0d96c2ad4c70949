// Migration 0033: a database that already holds a province in several forms (79 and 079; 1, 01 and 001) is made
// one: per province the form most participants have (a tie: the 3-digit form), wherever a province code is stored,
// without history rows for a change that is none.
import { expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databaseAtMigration, insertParticipantsAsStored } from '../helpers/db.js';
import { deps, rows, useTempDir, writeParticipants } from '../helpers/pipeline.js';

const T0 = '2024-06-01T02:00:00Z';
const T1 = '2024-06-05T02:00:00Z';

/** The data of a database before 0033, as earlier imports left it: each row as its file wrote its province. */
async function mixedHistory(db: Db): Promise<void> {
  const people: Array<[string, string | null, string | null, string]> = [
    // Hồ Chí Minh: three 79, two 079.
    ['7900000001', '79', '760', 'SG1'], ['7900000002', '79', '760', 'SG1'], ['7900000003', '79', '760', 'SG2'],
    ['7900000004', '079', '760', 'SG2'], ['7900000005', '79', '760', 'SG2'],
    // Hà Nội: one each of 1, 01, 001 (a tie: 001); Lai Châu (012) 12 and 012 once each (012).
    ['0100000001', '1', '005', 'HN1'], ['0100000002', '01', '005', 'HN1'], ['0100000003', '1', '006', 'HN2'],
    ['1200000001', '12', '105', 'LC1'], ['1200000002', '012', '105', 'LC1'],
    // Not a number of 1–3 digits, or none: as it is.
    ['9900000001', 'HN', '001', 'X1'], ['9900000002', '0079', '760', 'X1'], ['9900000003', null, null, 'X1'],
  ];
  await insertParticipantsAsStored(db, people, T0);
  // Later files: 7900000005 written 079 (a state row for that "change" alone), 7900000004 moved to another
  // district and 0100000003 (1, then 001) to another unit, each in another form (state rows for real changes).
  await db.query(`UPDATE participant SET ma_tinh = '079', updated_at = $1::timestamptz WHERE ma_so_bhxh = '7900000005'`, [T1]);
  await db.query(`UPDATE participant SET ma_tinh = '79', ma_huyen = '770', updated_at = $1::timestamptz WHERE ma_so_bhxh = '7900000004'`, [T1]);
  await db.query(`UPDATE participant SET ma_tinh = '001', ma_don_vi = 'HN1', updated_at = $1::timestamptz WHERE ma_so_bhxh = '0100000003'`, [T1]);
  await db.query(
    `INSERT INTO unit (ma_don_vi, ma_tinh, ma_huyen, updated_at) VALUES
       ('SG1', '079', '760', $1::timestamptz), ('SG2', '79', '760', $1::timestamptz), ('HN1', '01', '005', $1::timestamptz),
       ('HN2', '1', '006', $1::timestamptz), ('LC1', '12', '105', $1::timestamptz), ('X1', 'HN', '001', $1::timestamptz)`,
    [T0],
  );
  await db.query(
    `INSERT INTO portal_user (login, role, ma_tinh, ma_huyen, password_hash, created_at, password_changed_at) VALUES
       ('tinh-079', 'province', '079', NULL, 'x', now(), now()), ('huyen-01-005', 'district', '01', '005', 'x', now(), now())`,
  );
  await db.query(`INSERT INTO batch (registry, province, chunk_size, phase, chunks, started_at) VALUES ('mock', '079', 10, 'done', 0, now())`);
  await db.query(`INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES (now(), 'p=079;d=;u=', 'past', '[]', now())`);
}

it('unifies every stored province code on the form most participants have, without history rows of its own', async () => {
  const { db, drop } = await databaseAtMigration(32);
  try {
    await mixedHistory(db);
    const stateBefore = await rows<{ id: number; ma_so_bhxh: string }>(db, 'SELECT id, ma_so_bhxh FROM participant_state ORDER BY id');

    expect(await migrate(db, new Date(), { migrations: (await loadMigrations()).filter((m) => m.version <= 33) })).toEqual([expect.stringMatching(/^0033_/)]);

    expect(await rows(db, 'SELECT ma_so_bhxh, ma_tinh FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', ma_tinh: '001' }, { ma_so_bhxh: '0100000002', ma_tinh: '001' }, { ma_so_bhxh: '0100000003', ma_tinh: '001' },
      { ma_so_bhxh: '1200000001', ma_tinh: '012' }, { ma_so_bhxh: '1200000002', ma_tinh: '012' },
      ...['1', '2', '3', '4', '5'].map((n) => ({ ma_so_bhxh: `790000000${n}`, ma_tinh: '79' })),
      { ma_so_bhxh: '9900000001', ma_tinh: 'HN' }, { ma_so_bhxh: '9900000002', ma_tinh: '0079' }, { ma_so_bhxh: '9900000003', ma_tinh: null },
    ]);
    expect(await rows(db, 'SELECT ma_don_vi, ma_tinh FROM unit ORDER BY 1')).toEqual([
      { ma_don_vi: 'HN1', ma_tinh: '001' }, { ma_don_vi: 'HN2', ma_tinh: '001' }, { ma_don_vi: 'LC1', ma_tinh: '012' },
      { ma_don_vi: 'SG1', ma_tinh: '79' }, { ma_don_vi: 'SG2', ma_tinh: '79' }, { ma_don_vi: 'X1', ma_tinh: 'HN' },
    ]);
    expect(await rows(db, 'SELECT login, ma_tinh, ma_huyen FROM portal_user ORDER BY 1')).toEqual([
      { login: 'huyen-01-005', ma_tinh: '001', ma_huyen: '005' }, { login: 'tinh-079', ma_tinh: '79', ma_huyen: null },
    ]);
    expect(await rows(db, 'SELECT province FROM batch')).toEqual([{ province: '79' }]);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM figures_cache')).toEqual([{ n: 0 }]);

    // The history in the province's one form; the state row 7900000005 got for 79 → 079 alone is gone (it now
    // says nothing changed), the real changes stay, and the migration wrote none of its own.
    const history = await rows<{ id: number; ma_so_bhxh: string; valid_from: Date; ma_tinh: string | null; ma_huyen: string | null }>(
      db, 'SELECT id, ma_so_bhxh, valid_from, ma_tinh, ma_huyen FROM participant_state ORDER BY id');
    const flip = stateBefore.filter((s) => s.ma_so_bhxh === '7900000005').at(-1)!.id;
    expect(history.map((s) => s.id)).toEqual(stateBefore.filter((s) => s.id !== flip).map((s) => s.id));
    expect(history.filter((s) => s.ma_so_bhxh === '7900000005').map((s) => s.ma_tinh)).toEqual(['79']);
    expect(history.filter((s) => s.ma_so_bhxh === '7900000004').map((s) => [s.ma_tinh, s.ma_huyen])).toEqual([['79', '760'], ['79', '770']]);
    expect(history.filter((s) => s.ma_so_bhxh === '0100000003').map((s) => s.ma_tinh)).toEqual(['001', '001']);
    expect([...new Set(history.map((s) => s.ma_tinh))].sort()).toEqual(['0079', '001', '012', '79', 'HN', null].sort());

    // And from now on the imports keep to it: a file writing 079 and 1 stores 79 and 001.
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [
      { ma_so_bhxh: '7900000009', ho_ten: 'Trần Thị Lan', ngay_sinh: '1985', gioi_tinh: 'Nữ', so_giay_to: '', ma_tinh: '079' },
      { ma_so_bhxh: '0100000009', ho_ten: 'Lê Văn Ba', ngay_sinh: '1971', gioi_tinh: 'Nam', so_giay_to: '', ma_tinh: '1' },
    ]));
    expect(await rows(db, `SELECT ma_tinh FROM participant WHERE ma_so_bhxh IN ('7900000009', '0100000009') ORDER BY 1`)).toEqual([
      { ma_tinh: '001' }, { ma_tinh: '79' },
    ]);
  } finally {
    await drop();
  }
});
