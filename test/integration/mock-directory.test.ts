// The mock registry kept in the database (`--registry mock` on a large registry file): loaded once, and loaded
// again — and only then — when the file changes, so a run never answers from an older file than the one named.
import { utimes } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { databaseDirectory } from '../../src/adapters/directory.js';
import { UserError } from '../../src/errors.js';
import { databasePerFile, useTempDir, writeRegistry, type RegistryInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const AN: RegistryInput = { so_ddcn: '001090000001', so_cmnd: '012345671', ho_ten: 'Nguyễn Văn An', ngay_sinh: '01/01/1990', gioi_tinh: 'Nam' };
const BINH: RegistryInput = { so_ddcn: '001090000002', so_cmnd: '012345672', ho_ten: 'Trần Thị Bình', ngay_sinh: '02/02/1991', gioi_tinh: 'Nữ' };
const NO_DATE: RegistryInput = { so_ddcn: '001090000003', ho_ten: 'Lê Văn Cường', ngay_sinh: '', gioi_tinh: 'Nam' };

const names = async (dir: Awaited<ReturnType<typeof databaseDirectory>>, numbers: string[]) =>
  [...(await dir.find(numbers))].map(([n, p]) => [n, p.hoTen]);

describe('the mock registry in the database', () => {
  it('loads the file once, reloads it when it changes, and then answers from the new file only', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeRegistry(dir, [AN, NO_DATE]);

    const first = await databaseDirectory(db, file);
    expect(first).toMatchObject({ loaded: true, skipped: 1 });
    expect(await names(first, ['012345671', '001090000003'])).toEqual([['012345671', 'Nguyễn Văn An']]);

    const again = await databaseDirectory(db, file);
    expect(again).toMatchObject({ loaded: false, skipped: 0 });
    expect(await names(again, ['001090000001'])).toEqual([['001090000001', 'Nguyễn Văn An']]);

    // Same name, other content (and a later modification time): loaded again, An is gone, Bình is there.
    await writeRegistry(dir, [BINH]);
    await utimes(file, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    const changed = await databaseDirectory(db, file);
    expect(changed).toMatchObject({ loaded: true, skipped: 0 });
    expect(await names(changed, ['012345671', '012345672'])).toEqual([['012345672', 'Trần Thị Bình']]);
    expect(await databaseDirectory(db, file)).toMatchObject({ loaded: false });
  });

  it('refuses a file holding one number twice, naming the file and not the number, and keeps what it had', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const good = await databaseDirectory(db, await writeRegistry(dir, [AN]));
    const twice = await writeRegistry(dir, [BINH, { ...BINH, ho_ten: 'Trần Thị Bính' }], 'twice.csv');
    const err = await databaseDirectory(db, twice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${twice} holds the same so_ddcn on more than one line: the mock registry takes one line per person; remove the duplicates`);
    expect(await names(good, ['012345671'])).toEqual([['012345671', 'Nguyễn Văn An']]);
  });

  it('keeps answering from a registry loaded by an earlier version, whose numbers were in the database collation', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = await writeRegistry(dir, [AN]);
    expect(await databaseDirectory(db, file)).toMatchObject({ loaded: true });
    // As the mock made its table before its numbers compared byte by byte.
    await db.query(`ALTER TABLE mock_registry.person ALTER COLUMN so_ddcn TYPE text COLLATE "default", ALTER COLUMN so_cmnd TYPE text COLLATE "default"`);

    const later = await databaseDirectory(db, file);
    expect(later).toMatchObject({ loaded: false }); // the same file: not loaded again
    expect(await names(later, ['012345671', '001090000001'])).toEqual([
      ['012345671', 'Nguyễn Văn An'],
      ['001090000001', 'Nguyễn Văn An'],
    ]);
    const collations = await db.query<{ attname: string; c: string }>(
      `SELECT attname, attcollation::regcollation::text AS c FROM pg_attribute
        WHERE attrelid = 'mock_registry.person'::regclass AND attname IN ('so_ddcn', 'so_cmnd') ORDER BY 1`,
    );
    expect(collations.rows).toEqual([{ attname: 'so_cmnd', c: '"C"' }, { attname: 'so_ddcn', c: '"C"' }]);
  });
});
