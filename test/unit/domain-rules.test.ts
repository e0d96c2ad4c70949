// Rules checked against other implementations (issue 10, "rules that disagree"): each one both ways.
import { describe, expect, it } from 'vitest';
import { isFutureBirthDate, parseBirthDate } from '../../src/domain/dates.js';
import { checkCccdStructure, normalizeNumber } from '../../src/domain/numbers.js';
import { normalizeParticipantRow } from '../../src/pipeline/participant-row.js';
import type { BirthDate } from '../../src/domain/types.js';

const born = (year: number): BirthDate => ({ precision: 'year', year });
const NOW = new Date('2026-12-01T12:00:00Z');

describe('the CCCD century digit', () => {
  it('reads 8/9 as born 2300–2399, not in the 1800s', () => {
    expect(checkCccdStructure('001805000001', { gioiTinh: 'M', ngaySinh: born(2305) }).problems).toEqual([]);
    expect(checkCccdStructure('001905000001', { gioiTinh: 'F', ngaySinh: born(2305) }).problems).toEqual([]);
    expect(checkCccdStructure('001805000001', { gioiTinh: 'M', ngaySinh: born(1805) }).problems).toEqual(['dob']);
  });
});

describe('a CCCD of province 001–008 that lost its two leading zeros (10 digits)', () => {
  const person = { gioiTinh: 'F' as const, birthYear: 1990 };
  it('is repaired when the padded number has a known province and fits the birth year and sex', () => {
    expect(normalizeNumber('1190123456', person)).toEqual({ value: '001190123456', kind: 'num12', repaired: true });
    expect(normalizeNumber('8 190 123 456', person)?.value).toBe('008190123456');
  });

  it('is not repaired when the province, the year, the sex or the record do not fit', () => {
    expect(normalizeNumber('3190123456', person)).toBeNull(); // 003 is no province code
    expect(normalizeNumber('1191123456', person)).toBeNull(); // born 1991 by the number
    expect(normalizeNumber('1090123456', person)).toBeNull(); // a man by the number
    expect(normalizeNumber('1390123456', person)).toBeNull(); // born 2090 by the number
    expect(normalizeNumber('1190123456', { gioiTinh: 'F', birthYear: null })).toBeNull(); // nothing to check against
    expect(normalizeNumber('1190123456')).toBeNull();
  });

  it('is repaired on import with a finding, and left a finding "invalid" when it does not fit', () => {
    const row = (so_giay_to: string, ngay_sinh: string) =>
      normalizeParticipantRow({ ma_so_bhxh: '0100000001', ho_ten: 'Lê Thị Hoa', ngay_sinh, gioi_tinh: 'Nữ', so_giay_to }, NOW);
    const ok = row('1190123456', '05/03/1990');
    expect(ok.ok && ok.record.soGiayTo).toBe('001190123456');
    expect(ok.ok && ok.record.findings).toContainEqual({ field: 'id_number', code: 'repaired', value: '1190123456' });
    const bad = row('1190123456', '05/03/1991');
    expect(bad.ok && bad.record.soGiayTo).toBeNull();
    expect(bad.ok && bad.record.findings).toContainEqual({ field: 'id_number', code: 'invalid', value: '1190123456' });
  });
});

describe('date forms', () => {
  it('accepts yyyymmdd', () => {
    expect(parseBirthDate('19900305')).toEqual({ precision: 'day', year: 1990, month: 3, day: 5 });
    expect(parseBirthDate('19900230')).toBeNull();
    expect(parseBirthDate('05031990')).toBeNull(); // ddmmyyyy is not a form we read
  });

  it('reads a day or month of 00 as unknown', () => {
    expect(parseBirthDate('00/00/2003')).toEqual({ precision: 'year', year: 2003 });
    expect(parseBirthDate('00/05/2003')).toEqual({ precision: 'month', year: 2003, month: 5 });
    expect(parseBirthDate('00/2003')).toEqual({ precision: 'year', year: 2003 });
    expect(parseBirthDate('05/00/2003')).toBeNull(); // a day in an unknown month is not a date
    expect(parseBirthDate('00/13/2003')).toBeNull();
  });
});

describe('a birth date in the future', () => {
  it('is after the clock passed in, at the precision held', () => {
    expect(isFutureBirthDate(born(2090), NOW)).toBe(true);
    expect(isFutureBirthDate(born(2026), NOW)).toBe(false);
    expect(isFutureBirthDate({ precision: 'month', year: 2026, month: 12 }, NOW)).toBe(false);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 12, day: 2 }, NOW)).toBe(true);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 12, day: 1 }, NOW)).toBe(false);
  });

  it('compares the month, then the day, within the current year', () => {
    const june15 = new Date('2026-06-15T08:00:00Z');
    expect(isFutureBirthDate(born(2025), june15)).toBe(false);
    expect(isFutureBirthDate({ precision: 'month', year: 2026, month: 7 }, june15)).toBe(true);
    expect(isFutureBirthDate({ precision: 'month', year: 2026, month: 6 }, june15)).toBe(false);
    expect(isFutureBirthDate({ precision: 'month', year: 2026, month: 5 }, june15)).toBe(false);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 7, day: 1 }, june15)).toBe(true);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 5, day: 20 }, june15)).toBe(false);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 6, day: 16 }, june15)).toBe(true);
    expect(isFutureBirthDate({ precision: 'day', year: 2026, month: 6, day: 15 }, june15)).toBe(false);
  });

  it('is a finding on import, not a date', () => {
    const res = normalizeParticipantRow({ ma_so_bhxh: '0100000001', ho_ten: 'A', ngay_sinh: '2090', gioi_tinh: 'Nam' }, NOW);
    expect(res.ok && res.record.ngaySinh).toBeNull();
    expect(res.ok && res.record.findings).toContainEqual({ field: 'dob', code: 'invalid', value: '2090' });
    const past = normalizeParticipantRow({ ma_so_bhxh: '0100000001', ho_ten: 'A', ngay_sinh: '2020', gioi_tinh: 'Nam' }, NOW);
    expect(past.ok && past.record.ngaySinh).toBe('2020');
  });
});
