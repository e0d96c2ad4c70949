import { describe, expect, it } from 'vitest';
import { cccdCenturyDigit, checkCccdStructure, normalizeNumber, numberText } from '../../src/domain/numbers.js';
import { CCCD_PROVINCES, cccdProvinceName, isCccdProvinceCode } from '../../src/domain/provinces.js';
import type { BirthDate } from '../../src/domain/types.js';

const born = (year: number): BirthDate => ({ precision: 'year', year });

describe('numberText', () => {
  it('takes out what normalizeNumber ignores, and nothing else', () => {
    expect(numberText('’01.2 3\u200b4')).toBe('01234');
    expect(numberText("'0１2-3")).toBe('0１2-3');
  });
});

describe('normalizeNumber', () => {
  it('reads 9 digits as an old CMND', () => {
    expect(normalizeNumber('123456789')).toEqual({ value: '123456789', kind: 'cmnd9', repaired: false });
  });

  it('reads 12 digits as a 12-digit number (ĐDCN or 12-digit CMND)', () => {
    expect(normalizeNumber('001090123456')).toEqual({ value: '001090123456', kind: 'num12', repaired: false });
  });

  it('repairs 8 digits by putting back the lost leading zero', () => {
    expect(normalizeNumber('23456789')).toEqual({ value: '023456789', kind: 'cmnd9', repaired: true });
  });

  it('repairs 11 digits by putting back the lost leading zero', () => {
    expect(normalizeNumber('01090123456')).toEqual({ value: '001090123456', kind: 'num12', repaired: true });
    expect(normalizeNumber('79090123456')).toEqual({ value: '079090123456', kind: 'num12', repaired: true });
  });

  // 1090123456: 001 (Hà Nội), century digit 0 (a man born in the 1900s), year 90.
  it('puts back two lost zeros of a 10-digit number only when it then reads as the person’s ĐDCN', () => {
    const repaired = { value: '001090123456', kind: 'num12', repaired: true };
    expect(normalizeNumber('1090123456', { gioiTinh: 'M', birthYear: 1990 })).toEqual(repaired);
    expect(normalizeNumber('1090123456', { gioiTinh: null, birthYear: 1990 })).toEqual(repaired);
    expect(normalizeNumber('1090123456', { gioiTinh: 'F', birthYear: 1990 })).toBeNull(); // digit 0 is a man
    expect(normalizeNumber('1090123456', { gioiTinh: 'M', birthYear: 1991 })).toBeNull();
    expect(normalizeNumber('1090123456', { gioiTinh: 'M', birthYear: null })).toBeNull();
    expect(normalizeNumber('9990123456', { gioiTinh: 'M', birthYear: 1990 })).toBeNull(); // 009 is no province
    expect(normalizeNumber('1090123456')).toBeNull();
  });

  it('ignores spaces, non-breaking spaces and dots', () => {
    expect(normalizeNumber(' 001 090 123 456 ')?.value).toBe('001090123456');
    expect(normalizeNumber('001\u00a0090\u00a0123\u00a0456')?.value).toBe('001090123456');
    expect(normalizeNumber('123.456.789')?.value).toBe('123456789');
    expect(normalizeNumber('001.090 123.456')?.value).toBe('001090123456');
  });

  it('ignores the leading apostrophe Excel users type to keep zeros', () => {
    expect(normalizeNumber("'001090123456")).toEqual({ value: '001090123456', kind: 'num12', repaired: false });
  });

  it('rejects other lengths', () => {
    for (const raw of ['1234567', '1234567890', '1234567890123', '']) expect(normalizeNumber(raw)).toBeNull();
  });

  it('rejects letters and other characters', () => {
    for (const raw of ['12345678A', 'B12345678', '123-456-789', '1234/56789', "1234'56789"]) {
      expect(normalizeNumber(raw)).toBeNull();
    }
  });

  it('rejects all zeros', () => {
    expect(normalizeNumber('000000000')).toBeNull();
    expect(normalizeNumber('000000000000')).toBeNull();
    expect(normalizeNumber('00000000')).toBeNull();
  });
});

describe('province codes', () => {
  it('hold the 63 provinces of the reference file', () => {
    expect(CCCD_PROVINCES).toHaveLength(63);
    expect(new Set(CCCD_PROVINCES.map((p) => p.code)).size).toBe(63);
    expect(cccdProvinceName('001')).toBe('Hà Nội');
    expect(cccdProvinceName('079')).toBe('Hồ Chí Minh');
    expect(isCccdProvinceCode('003')).toBe(false);
  });
});

describe('cccdCenturyDigit', () => {
  it('is even for men and odd for women, by century of birth', () => {
    expect(cccdCenturyDigit('M', 1990)).toBe(0);
    expect(cccdCenturyDigit('F', 1900)).toBe(1);
    expect(cccdCenturyDigit('M', 2000)).toBe(2);
    expect(cccdCenturyDigit('F', 2099)).toBe(3);
    expect(cccdCenturyDigit('M', 2150)).toBe(4);
    expect(cccdCenturyDigit('F', 2250)).toBe(7);
    expect(cccdCenturyDigit('M', 2300)).toBe(8);
    expect(cccdCenturyDigit('F', 2399)).toBe(9);
  });

  it('is null outside 1900–2399 (Thông tư 07/2016: no digit for the 1800s)', () => {
    expect(cccdCenturyDigit('M', 1899)).toBeNull();
    expect(cccdCenturyDigit('M', 2400)).toBeNull();
  });
});

describe('checkCccdStructure', () => {
  it('accepts a number whose sex and birth year agree with the record', () => {
    expect(checkCccdStructure('001090123456', { gioiTinh: 'M', ngaySinh: born(1990) })).toEqual({
      looksLikeCccd: true,
      problems: [],
      provinceCode: '001',
    });
    expect(checkCccdStructure('079305000001', { gioiTinh: 'F', ngaySinh: born(2005) }).problems).toEqual([]);
    expect(checkCccdStructure('079985000001', { gioiTinh: 'F', ngaySinh: born(2385) }).problems).toEqual([]);
  });

  it('reports sex when the century digit says the other sex', () => {
    expect(checkCccdStructure('001190123456', { gioiTinh: 'M', ngaySinh: born(1990) }).problems).toEqual(['sex']);
  });

  it('reports dob when the century or the year differ from the record', () => {
    expect(checkCccdStructure('001091123456', { gioiTinh: 'M', ngaySinh: born(1990) }).problems).toEqual(['dob']);
    expect(checkCccdStructure('001290123456', { gioiTinh: 'M', ngaySinh: born(1990) }).problems).toEqual(['dob']);
  });

  it('reports both', () => {
    expect(checkCccdStructure('001391123456', { gioiTinh: 'M', ngaySinh: born(1990) }).problems).toEqual([
      'sex',
      'dob',
    ]);
  });

  it('compares only what the record holds', () => {
    expect(checkCccdStructure('001391123456', { gioiTinh: null, ngaySinh: null }).problems).toEqual([]);
    expect(checkCccdStructure('001391123456', { gioiTinh: 'F', ngaySinh: null }).problems).toEqual([]);
  });

  it('does not look like a ĐDCN with an unknown province code, and then reports nothing', () => {
    expect(checkCccdStructure('003190123456', { gioiTinh: 'M', ngaySinh: born(1950) })).toEqual({
      looksLikeCccd: false,
      problems: [],
      provinceCode: '003',
    });
  });
});
