// The mock registry's data file (`--registry mock --registry-file FILE`): what the operator is told when the file
// cannot be used, and which rows are read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { toRegistryPerson } from '../../src/adapters/registry-file.js';
import { UserError } from '../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-registry-file-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const f = path.join(dir, name);
  await writeFile(f, text, 'utf8');
  return f;
}

/** The error the operator would see for this file. */
async function refusal(f: string): Promise<Error> {
  const err = await memoryDirectory(f).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as Error;
}

describe('the registry data file', () => {
  it('names the columns it needs and those the file lacks', async () => {
    const f = await file('no-dates.csv', 'so_ddcn,so_cmnd,ho_ten\n001090000001,012345671,Nguyễn Văn An\n');
    expect((await refusal(f)).message).toBe(`${f}: registry data needs the columns so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh; missing ngay_sinh, gioi_tinh`);
  });

  it('says why a file cannot be read: the system error code, else the reader\'s message', async () => {
    const missing = path.join(dir, 'not-there.csv');
    const gone = await refusal(missing);
    expect(gone.message).toBe(`cannot read registry data ${missing}: ENOENT`);
    expect(gone.cause).toMatchObject({ code: 'ENOENT' });
    // A folder passes the existence checks of the commands; reading it fails (it used to crash the process).
    expect((await refusal(dir)).message).toBe(`cannot read registry data ${dir}: EISDIR`);

    // A row with more fields than the header: the CSV reader's own message (it has no code).
    const wide = await file('wide.csv', 'so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh\n001090000001,,An,01/01/1990,Nam,extra\n');
    const err = await refusal(wide);
    expect(err.message).toMatch(new RegExp(`^cannot read registry data ${wide.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*column header mismatch`));
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('reads a header with a byte-order mark and any case; rows short of fields are skipped, not fatal', async () => {
    const f = await file('bom.csv', '\uFEFFSO_DDCN, So_Cmnd ,HO_TEN,Ngay_Sinh,GIOI_TINH\n001090000001,012345671,Nguyễn Văn An,01/01/1990,Nam\n001090000002,012345672,Trần Bình\n');
    const d = await memoryDirectory(f);
    expect(d).toMatchObject({ size: 1, skipped: 1 });
    expect([...(await d.find(['012345671', '012345672']))].map(([n, p]) => [n, p.hoTen, p.soDdcn])).toEqual([['012345671', 'Nguyễn Văn An', '001090000001']]);
  });

  it('skips a row without a 12-digit personal number, a birth date or a sex, and reads the others', async () => {
    const f = await file('gaps.csv', [
      'so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh',
      'chua co,012345671,Không Số,01/01/1990,Nam', // no number at all
      '012345672,012345672,Số Cũ,01/01/1990,Nam', // a 9-digit CMND where the ĐDCN goes
      '001090000003,012345673,Không Ngày,,Nam',
      '001090000004,012345674,Không Giới,01/01/1990,',
      '001090000005,012345675,Đủ Cả,01/01/1990,Nữ',
    ].join('\n'));
    const d = await memoryDirectory(f);
    expect(d).toMatchObject({ size: 1, skipped: 4 });
    const found = await d.find(['012345671', '012345672', '012345673', '012345674', '012345675']);
    expect([...found].map(([n, p]) => [n, p.soDdcn])).toEqual([['012345675', '001090000005']]);
  });

  it('refuses a stored registry row whose date is not a date key rather than read it as another date', () => {
    expect(() => toRegistryPerson({ soDdcn: '001090000001', soCmnd: null, hoTen: 'X', ngaySinh: '01/01/1990', gioiTinh: 'M' }))
      .toThrow('stored registry date is not a date key');
    expect(toRegistryPerson({ soDdcn: '001090000001', soCmnd: null, hoTen: 'X', ngaySinh: '1990-01', gioiTinh: 'M' }).ngaySinh).toMatchObject({ year: 1990, month: 1 });
  });
});
