// Edges of the matching rules that mutation testing (npm run mutate) showed no test held: leap years by the
// century rule, first days and months, hand-built dates missing a part, hint thresholds at exactly their limit,
// and numbers one digit too long.
import { describe, expect, it } from 'vitest';
import { birthDateFromJsDate, isValidBirthDate, parseBirthDate } from '../../src/domain/dates.js';
import { lookupKeys } from '../../src/domain/match.js';
import { nameHint } from '../../src/domain/names.js';
import { checkCccdStructure, normalizeNumber } from '../../src/domain/numbers.js';

describe('dates of birth: calendar edges', () => {
  it('takes a year divisible by 4 but not by 100 as a leap year (1996), and only February gets a 29th', () => {
    expect(parseBirthDate('29/02/1996')).toEqual({ precision: 'day', year: 1996, month: 2, day: 29 });
    expect(parseBirthDate('31/01/2000')).toEqual({ precision: 'day', year: 2000, month: 1, day: 31 });
    expect(parseBirthDate('31/03/1996')).toEqual({ precision: 'day', year: 1996, month: 3, day: 31 });
    expect(parseBirthDate('30/04/2000')).toEqual({ precision: 'day', year: 2000, month: 4, day: 30 });
  });

  it('accepts the first day of a month and January', () => {
    expect(parseBirthDate('01/01/1990')).toEqual({ precision: 'day', year: 1990, month: 1, day: 1 });
    expect(parseBirthDate('01/1990')).toEqual({ precision: 'month', year: 1990, month: 1 });
  });

  it('refuses a hand-built date that misses its month or day, or has a fraction in one', () => {
    expect(isValidBirthDate({ precision: 'day', year: 1990, day: 5 })).toBe(false);
    expect(isValidBirthDate({ precision: 'day', year: 1990, month: 3 })).toBe(false);
    expect(isValidBirthDate({ precision: 'month', year: 1990, month: 2.5 })).toBe(false);
    expect(isValidBirthDate({ precision: 'day', year: 1990, month: 3, day: 5.5 })).toBe(false);
    expect(isValidBirthDate({ precision: 'year', year: 1990.5 })).toBe(false);
  });

  it('says what is wrong with an invalid Excel date', () => {
    expect(() => birthDateFromJsDate(new Date('not a date'))).toThrow('birthDateFromJsDate: invalid Date');
  });
});

describe('name hints: thresholds', () => {
  it('hints at exactly one edit for a short name and not at two', () => {
    expect(nameHint('Lan', 'Lam')).toBe('gần giống: Lam');
    expect(nameHint('Lann', 'Lam')).toBeNull();
    expect(nameHint('Tranh', 'Anh')).toBeNull();
    expect(nameHint('Nguyễn Văn An', 'Nguyễn Văn Bình')).toBeNull();
  });

  it('allows two edits from ten letters on, counted on the longer name', () => {
    // "le van tam" has 10 characters, "le van to" 9: two edits apart
    expect(nameHint('Lê Văn Tâm', 'Lê Văn Tô')).toBe('gần giống: Tô');
    expect(nameHint('Lê Văn Tô', 'Lê Văn Tâm')).toBe('gần giống: Tâm');
  });

  it('counts Đ as D when measuring closeness, so a name typed without marks is hinted', () => {
    expect(nameHint('Do Duc Dat', 'Đỗ Đức Đạt')).toBe('gần giống: Đỗ Đức Đạt');
  });

  it('gives the registry name with its spaces when we hold the parts run together', () => {
    expect(nameHint('Ngọcanh', 'Ngọc Anh')).toBe('gần giống: Ngọc Anh');
  });
});

describe('numbers: one digit too many', () => {
  it('looks a 13-digit number up nowhere', () => {
    expect(lookupKeys('0011990000011')).toEqual([]);
    expect(lookupKeys('x01199000001')).toEqual([]);
  });

  it('does not read a 13-digit number as a CCCD', () => {
    expect(checkCccdStructure('0011990000011', { gioiTinh: 'M', ngaySinh: null })).toMatchObject({ looksLikeCccd: false, problems: [] });
  });

  it('accepts a number that ends in zeros; only all zeros is refused', () => {
    expect(normalizeNumber('123456700')).toEqual({ value: '123456700', kind: 'cmnd9', repaired: false });
    expect(normalizeNumber('000000000')).toBeNull();
  });
});
