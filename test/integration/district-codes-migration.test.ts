// Migration 0034: district codes an earlier import stored without their leading zeros (5 for 005, from a
// spreadsheet's number cell) are put in 3 digits wherever a district is kept, without history rows for a change
// that is none; and the accounts, lists and Mẫu 03 then see one district.
import { expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/pool.js';
import { databaseAtMigration, insertParticipantsAsStored } from '../helpers/db.js';
import { rows } from '../helpers/pipeline.js';

const T0 = '2024-06-01T02:00:00Z';
const T1 = '2024-06-05T02:00:00Z';

/** The data of a database before 0034, as earlier imports left it: each row as its file wrote its district. */
async function shortDistricts(db: Db): Promise<void> {
  const people: Array<[string, string | null, string | null, string]> = [
    ['0100000001', '001', '5', 'HN1'], ['0100000002', '001', '005', 'HN1'], ['0100000003', '001', '05', 'HN2'],
    ['0100000004', '001', '5', 'HN2'], ['0100000005', '001', '5', 'HN2'],
    // Not a number of 1–2 digits, or none: as it is.
    ['7900000001', '079', '760', 'SG1'], ['7900000002', '079', 'Q1', 'SG1'], ['7900000003', '079', null, 'SG1'], ['7900000004', '079', '0760', 'SG1'],
    // No province on file: its district in 3 digits all the same.
    ['0200000001', null, '5', 'HN1'],
  ];
  await insertParticipantsAsStored(db, people, T0);
  // Later files: 0100000004 written 005 (a state row for that "change" alone); 0100000005 moved to 006 (a real one).
  await db.query(`UPDATE participant SET ma_huyen = '005', updated_at = $1::timestamptz WHERE ma_so_bhxh = '0100000004'`, [T1]);
  await db.query(`UPDATE participant SET ma_huyen = '6', updated_at = $1::timestamptz WHERE ma_so_bhxh = '0100000005'`, [T1]);
  await db.query(
    `INSERT INTO unit (ma_don_vi, ma_tinh, ma_huyen, updated_at) VALUES
       ('HN1', '001', '5', $1::timestamptz), ('HN2', '001', '005', $1::timestamptz), ('SG1', '079', '760', $1::timestamptz)`,
    [T0],
  );
  await db.query(
    `INSERT INTO portal_user (login, role, ma_tinh, ma_huyen, password_hash, created_at, password_changed_at) VALUES
       ('huyen-5', 'district', '001', '5', 'x', now(), now()), ('huyen-760', 'district', '079', '760', 'x', now(), now())`,
  );
  await db.query(`INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES (now(), 'p=001;d=5;u=', 'past', '[]', now())`);
}

it('puts every stored district of 1–2 digits in 3 digits, without history rows of its own', async () => {
  const { db, drop } = await databaseAtMigration(33);
  try {
    await shortDistricts(db);
    const stateBefore = await rows<{ id: number; ma_so_bhxh: string }>(db, 'SELECT id, ma_so_bhxh FROM participant_state ORDER BY id');

    expect(await migrate(db, new Date(), { migrations: (await loadMigrations()).filter((m) => m.version <= 34) })).toEqual([expect.stringMatching(/^0034_/)]);

    expect(await rows(db, 'SELECT ma_so_bhxh, ma_huyen FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', ma_huyen: '005' }, { ma_so_bhxh: '0100000002', ma_huyen: '005' }, { ma_so_bhxh: '0100000003', ma_huyen: '005' },
      { ma_so_bhxh: '0100000004', ma_huyen: '005' }, { ma_so_bhxh: '0100000005', ma_huyen: '006' }, { ma_so_bhxh: '0200000001', ma_huyen: '005' },
      { ma_so_bhxh: '7900000001', ma_huyen: '760' }, { ma_so_bhxh: '7900000002', ma_huyen: 'Q1' }, { ma_so_bhxh: '7900000003', ma_huyen: null },
      { ma_so_bhxh: '7900000004', ma_huyen: '0760' },
    ]);
    expect(await rows(db, 'SELECT ma_don_vi, ma_huyen FROM unit ORDER BY 1')).toEqual([
      { ma_don_vi: 'HN1', ma_huyen: '005' }, { ma_don_vi: 'HN2', ma_huyen: '005' }, { ma_don_vi: 'SG1', ma_huyen: '760' },
    ]);
    expect(await rows(db, 'SELECT login, ma_huyen FROM portal_user ORDER BY 1')).toEqual([
      { login: 'huyen-5', ma_huyen: '005' }, { login: 'huyen-760', ma_huyen: '760' },
    ]);
    expect(await rows(db, 'SELECT count(*)::int AS n FROM figures_cache')).toEqual([{ n: 0 }]);

    // The history in 3 digits; the state row 0100000004 got for 5 → 005 alone is gone (it now says nothing changed),
    // the real move of 0100000005 stays, and the migration wrote none of its own.
    const history = await rows<{ id: number; ma_so_bhxh: string; ma_huyen: string | null }>(db, 'SELECT id, ma_so_bhxh, ma_huyen FROM participant_state ORDER BY id');
    const flip = stateBefore.filter((s) => s.ma_so_bhxh === '0100000004').at(-1)!.id;
    expect(history.map((s) => s.id)).toEqual(stateBefore.filter((s) => s.id !== flip).map((s) => s.id));
    expect(history.filter((s) => s.ma_so_bhxh === '0100000004').map((s) => s.ma_huyen)).toEqual(['005']);
    expect(history.filter((s) => s.ma_so_bhxh === '0100000005').map((s) => s.ma_huyen)).toEqual(['005', '006']);
    expect([...new Set(history.map((s) => s.ma_huyen))].sort()).toEqual(['005', '006', '0760', '760', 'Q1', null].sort());
  } finally {
    await drop();
  }
});
