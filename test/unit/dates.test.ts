import { describe, expect, it } from 'vitest';
import {
  birthDateFromJsDate,
  dateKey,
  datesMatch,
  formatBirthDate,
  isValidBirthDate,
  parseBirthDate,
  parseDateKey,
} from '../../src/domain/dates.js';
import type { BirthDate } from '../../src/domain/types.js';

const day = (year: number, month: number, d: number): BirthDate => ({ precision: 'day', year, month, day: d });
const month = (year: number, m: number): BirthDate => ({ precision: 'month', year, month: m });
const year = (y: number): BirthDate => ({ precision: 'year', year: y });

describe('parseBirthDate', () => {
  it('reads dd/mm/yyyy and d/m/yyyy day first', () => {
    expect(parseBirthDate('05/03/1990')).toEqual(day(1990, 3, 5));
    expect(parseBirthDate('5/3/1990')).toEqual(day(1990, 3, 5));
    expect(parseBirthDate('25/12/1985')).toEqual(day(1985, 12, 25));
  });

  it('reads dd-mm-yyyy and dd.mm.yyyy', () => {
    expect(parseBirthDate('05-03-1990')).toEqual(day(1990, 3, 5));
    expect(parseBirthDate('05.03.1990')).toEqual(day(1990, 3, 5));
  });

  it('reads mm/yyyy and m/yyyy as month precision', () => {
    expect(parseBirthDate('03/1990')).toEqual(month(1990, 3));
    expect(parseBirthDate('3/1990')).toEqual(month(1990, 3));
  });

  it('reads yyyy as year precision', () => {
    expect(parseBirthDate('1990')).toEqual(year(1990));
  });

  it('reads yyyy-mm-dd and yyyy-mm', () => {
    expect(parseBirthDate('1990-03-05')).toEqual(day(1990, 3, 5));
    expect(parseBirthDate('1990-03')).toEqual(month(1990, 3));
  });

  it('reads a whole date with the time of midnight, as date-and-time columns are exported, and no other time', () => {
    for (const t of ['05/03/1990 00:00:00', '05/03/1990 0:00', '1990-03-05T00:00:00', '1990-03-05 00:00', '1990-03-05T00:00:00.000', '19900305 00:00']) {
      expect(parseBirthDate(t)).toEqual(day(1990, 3, 5));
    }
    // A local midnight written in UTC is the day before at 17:00: no date is guessed. Nor from a year or month and a time.
    for (const t of ['1990-03-04T17:00:00', '05/03/1990 07:00', '05/03/1990 00:00:01', '1990 00:00:00', '03/1990 00:00', '05/03/1990 00:00:00Z', '31/02/1990 00:00']) {
      expect(parseBirthDate(t)).toBeNull();
    }
  });

  it('ignores surrounding spaces', () => {
    expect(parseBirthDate('  05/03/1990 ')).toEqual(day(1990, 3, 5));
    expect(parseBirthDate('\t1990\u00a0')).toEqual(year(1990));
  });

  it('rejects impossible dates', () => {
    expect(parseBirthDate('31/02/1990')).toBeNull();
    expect(parseBirthDate('31/04/1990')).toBeNull();
    expect(parseBirthDate('01/13/1990')).toBeNull();
    expect(parseBirthDate('13/1990')).toBeNull();
    expect(parseBirthDate('1990-00')).toBeNull();
  });

  it('knows leap years', () => {
    expect(parseBirthDate('29/02/2000')).toEqual(day(2000, 2, 29));
    expect(parseBirthDate('29/02/1900')).toBeNull();
    expect(parseBirthDate('29/02/1991')).toBeNull();
  });

  it('rejects years before 1880 or after 2100', () => {
    expect(parseBirthDate('1879')).toBeNull();
    expect(parseBirthDate('01/01/2101')).toBeNull();
    expect(parseBirthDate('1880')).toEqual(year(1880));
    expect(parseBirthDate('2100')).toEqual(year(2100));
  });

  it('rejects other shapes', () => {
    for (const raw of ['', '90', '5/3/90', '1990/03/05', '05/03-1990', '1990-3-5x', 'abc', '05 03 1990']) {
      expect(parseBirthDate(raw)).toBeNull();
    }
  });
});

describe('birthDateFromJsDate', () => {
  it('takes the calendar date from the UTC parts of an Excel cell date', () => {
    expect(birthDateFromJsDate(new Date(Date.UTC(1990, 2, 5)))).toEqual(day(1990, 3, 5));
  });

  it('throws on an invalid Date', () => {
    expect(() => birthDateFromJsDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('isValidBirthDate', () => {
  it('rejects out-of-range parts built by hand', () => {
    expect(isValidBirthDate(day(1990, 2, 30))).toBe(false);
    expect(isValidBirthDate({ precision: 'month', year: 1990 })).toBe(false);
    expect(isValidBirthDate(year(1700))).toBe(false);
    expect(isValidBirthDate(day(1990, 2, 28))).toBe(true);
  });
});

describe('dateKey and parseDateKey', () => {
  it('write the canonical zero-padded form at each precision', () => {
    expect(dateKey(day(1990, 3, 5))).toBe('1990-03-05');
    expect(dateKey(month(1990, 3))).toBe('1990-03');
    expect(dateKey(year(1990))).toBe('1990');
  });

  it('round-trip', () => {
    for (const d of [day(1990, 3, 5), month(1990, 11), year(1955)]) expect(parseDateKey(dateKey(d))).toEqual(d);
  });

  it('parseDateKey accepts only the canonical form of a real date', () => {
    for (const key of ['1990-3-5', '05/03/1990', '1990-02-30', '1990-13', ' 1990', '']) {
      expect(parseDateKey(key)).toBeNull();
    }
  });
});

describe('formatBirthDate', () => {
  it('prints dd/mm/yyyy, mm/yyyy or yyyy', () => {
    expect(formatBirthDate(day(1990, 3, 5))).toBe('05/03/1990');
    expect(formatBirthDate(month(1990, 3))).toBe('03/1990');
    expect(formatBirthDate(year(1990))).toBe('1990');
  });
});

describe('datesMatch: compared at the precision we hold', () => {
  it('year only: years equal is a match whatever the registry holds', () => {
    expect(datesMatch(year(1990), day(1990, 3, 5))).toBe(true);
    expect(datesMatch(year(1990), year(1990))).toBe(true);
    expect(datesMatch(year(1990), day(1991, 3, 5))).toBe(false);
  });

  it('month/year: month and year equal is a match', () => {
    expect(datesMatch(month(1990, 3), day(1990, 3, 5))).toBe(true);
    expect(datesMatch(month(1990, 3), day(1990, 4, 5))).toBe(false);
    expect(datesMatch(month(1990, 3), day(1991, 3, 5))).toBe(false);
  });

  it('full date: all parts equal is a match', () => {
    expect(datesMatch(day(1990, 3, 5), day(1990, 3, 5))).toBe(true);
    expect(datesMatch(day(1990, 3, 5), day(1990, 3, 6))).toBe(false);
  });

  it('day and month swapped is a mismatch', () => {
    expect(datesMatch(day(1990, 3, 5), day(1990, 5, 3))).toBe(false);
  });

  it('a registry holding less than we do cannot confirm our date', () => {
    expect(datesMatch(day(1990, 3, 5), year(1990))).toBe(false);
    expect(datesMatch(month(1990, 3), year(1990))).toBe(false);
  });
});
