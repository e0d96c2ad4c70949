import { describe, expect, it } from 'vitest';
import type { VerifyRequest } from '../../src/adapters/types.js';
import { findRegistryPerson, lookupKeys, matchPerson } from '../../src/domain/match.js';
import { normalizeNumber } from '../../src/domain/numbers.js';
import type { RegistryPerson } from '../../src/domain/types.js';

const HUNG: RegistryPerson = {
  soDdcn: '001090123456',
  soCmnd: '012345678',
  hoTen: 'Nguyễn Văn Hùng',
  ngaySinh: { precision: 'day', year: 1990, month: 3, day: 5 },
  gioiTinh: 'M',
};

const THUY: RegistryPerson = {
  soDdcn: '079185000001',
  soCmnd: '079185000777', // a 12-digit old CMND
  hoTen: 'Trần Thị Thủy',
  ngaySinh: { precision: 'day', year: 1985, month: 12, day: 25 },
  gioiTinh: 'F',
};

// Someone whose old 12-digit CMND equals HUNG's ĐDCN: the ĐDCN lookup must win.
const CLASH: RegistryPerson = {
  soDdcn: '036170000002',
  soCmnd: '001090123456',
  hoTen: 'Lê Thị Hoa',
  ngaySinh: { precision: 'year', year: 1970 },
  gioiTinh: 'F',
};

const PEOPLE = [HUNG, THUY, CLASH];
const byDdcn = (n: string): RegistryPerson | undefined => PEOPLE.find((p) => p.soDdcn === n);
const byCmnd = (n: string): RegistryPerson | undefined => PEOPLE.find((p) => p.soCmnd === n);
const find = (soGiayTo: string): RegistryPerson | undefined => findRegistryPerson(soGiayTo, byDdcn, byCmnd);

const request = (over: Partial<VerifyRequest> = {}): VerifyRequest => ({
  requestId: 'r1',
  hoTen: 'Nguyễn Văn Hùng',
  ngaySinh: '1990-03-05',
  gioiTinh: 'M',
  soGiayTo: '001090123456',
  ...over,
});

const verify = (over: Partial<VerifyRequest> = {}) => {
  const req = request(over);
  return matchPerson(req, find(req.soGiayTo));
};

describe('number lookup', () => {
  it('looks a 9-digit number up as an old CMND only', () => {
    expect(lookupKeys('012345678')).toEqual([{ by: 'cmnd', value: '012345678' }]);
    expect(find('012345678')).toBe(HUNG);
  });

  it('looks a 12-digit number up as an ĐDCN first', () => {
    expect(lookupKeys('001090123456').map((s) => s.by)).toEqual(['ddcn', 'cmnd']);
    expect(find('001090123456')).toBe(HUNG);
    expect(find('079185000001')).toBe(THUY);
  });

  it('then looks a 12-digit number up as a 12-digit old CMND', () => {
    expect(find('079185000777')).toBe(THUY);
  });

  it('does not look a 9-digit number up among ĐDCN', () => {
    const ddcnOnly = (n: string): RegistryPerson | undefined => (n === '012345678' ? HUNG : undefined);
    expect(findRegistryPerson('012345678', ddcnOnly, () => undefined)).toBeUndefined();
  });

  it('finds nobody for a number that is not 9 or 12 digits', () => {
    expect(lookupKeys('01234567')).toEqual([]);
    expect(find('01234567')).toBeUndefined();
  });

  it('finds the person for a number repaired from 8 digits', () => {
    const n = normalizeNumber('12345678');
    expect(n?.repaired).toBe(true);
    expect(find(n?.value ?? '')).toBe(HUNG);
  });

  it('finds the person for a number repaired from 11 digits, written with spaces and dots', () => {
    const n = normalizeNumber('01.090 123.456');
    expect(n).toEqual({ value: '001090123456', kind: 'num12', repaired: true });
    expect(find(n?.value ?? '')).toBe(HUNG);
  });
});

describe('matchPerson', () => {
  it('matches when name, date of birth and sex agree, and shares the ĐDCN', () => {
    expect(verify()).toEqual({ requestId: 'r1', matched: true, soDdcn: '001090123456', fields: [] });
  });

  it('shares the ĐDCN when the request carried the old CMND', () => {
    expect(verify({ soGiayTo: '012345678' })).toMatchObject({ matched: true, soDdcn: '001090123456' });
    expect(
      verify({ soGiayTo: '079185000777', hoTen: 'Trần Thị Thủy', ngaySinh: '1985-12-25', gioiTinh: 'F' }),
    ).toMatchObject({ matched: true, soDdcn: '079185000001' });
  });

  it('reports id_number for a number the registry does not know', () => {
    expect(verify({ soGiayTo: '999999999' })).toEqual({
      requestId: 'r1',
      matched: false,
      soDdcn: null,
      fields: ['id_number'],
    });
  });

  it('matches names written with the old tone placement (thuỷ = thủy)', () => {
    const answer = verify({ soGiayTo: '079185000001', hoTen: 'Trần Thị Thuỷ', ngaySinh: '1985-12-25', gioiTinh: 'F' });
    expect(answer.matched).toBe(true);
  });

  it('matches names in NFD, another case and with stray spaces', () => {
    expect(verify({ hoTen: '  NGUYỄN   văn HÙNG '.normalize('NFD') }).matched).toBe(true);
  });

  it('reports name for Hùng/Hưng and discloses the registry name', () => {
    expect(verify({ hoTen: 'Nguyễn Văn Hưng' })).toEqual({
      requestId: 'r1',
      matched: false,
      soDdcn: null,
      fields: ['name'],
      registry: { hoTen: 'Nguyễn Văn Hùng' },
    });
  });

  it('reports name for Đ/D and for name parts in another order', () => {
    expect(verify({ hoTen: 'Nguyen Văn Hùng' }).fields).toEqual(['name']);
    expect(verify({ hoTen: 'Văn Nguyễn Hùng' }).fields).toEqual(['name']);
    const dung = { ...HUNG, hoTen: 'Đặng Văn Hùng' };
    expect(matchPerson(request({ hoTen: 'Dặng Văn Hùng' }), dung).fields).toEqual(['name']);
  });

  it('matches a year-only date of birth on the year', () => {
    expect(verify({ ngaySinh: '1990' }).matched).toBe(true);
    expect(verify({ ngaySinh: '1991' }).fields).toEqual(['dob']);
  });

  it('matches a month/year date of birth on month and year', () => {
    expect(verify({ ngaySinh: '1990-03' }).matched).toBe(true);
    expect(verify({ ngaySinh: '1990-04' }).fields).toEqual(['dob']);
  });

  it('matches a full date of birth only on all parts', () => {
    expect(verify({ ngaySinh: '1990-03-06' })).toMatchObject({
      fields: ['dob'],
      registry: { ngaySinh: '1990-03-05' },
    });
  });

  it('reports dob when day and month are swapped', () => {
    expect(verify({ ngaySinh: '1990-05-03' }).fields).toEqual(['dob']);
  });

  it('reports dob when we hold no date of birth', () => {
    expect(verify({ ngaySinh: null }).fields).toEqual(['dob']);
  });

  it('reports sex when it differs or we hold none', () => {
    expect(verify({ gioiTinh: 'F' })).toMatchObject({ fields: ['sex'], registry: { gioiTinh: 'M' } });
    expect(verify({ gioiTinh: null }).fields).toEqual(['sex']);
  });

  it('lists every differing field, sorted, with the registry values for those fields only', () => {
    expect(verify({ hoTen: 'Nguyễn Văn Hưng', ngaySinh: '1991', gioiTinh: 'F' })).toEqual({
      requestId: 'r1',
      matched: false,
      soDdcn: null,
      fields: ['dob', 'name', 'sex'],
      registry: { hoTen: 'Nguyễn Văn Hùng', ngaySinh: '1990-03-05', gioiTinh: 'M' },
    });
    expect(verify({ ngaySinh: '1991', gioiTinh: 'F' }).registry).toEqual({ ngaySinh: '1990-03-05', gioiTinh: 'M' });
  });

  it('echoes the request id', () => {
    expect(verify({ requestId: 'abc' }).requestId).toBe('abc');
    expect(verify({ requestId: 'abc', soGiayTo: '999999999' }).requestId).toBe('abc');
  });
});
