import { describe, expect, it } from 'vitest';
import { parseSex, sexLabel } from '../../src/domain/sex.js';

describe('parseSex', () => {
  it('reads Nam in any case', () => {
    for (const raw of ['Nam', 'nam', 'NAM', ' nAm ']) expect(parseSex(raw)).toBe('M');
  });

  it('reads Nữ in any case, with or without diacritics, NFC or NFD', () => {
    for (const raw of ['Nữ', 'nữ', 'NỮ', 'nu', 'NU', 'Nu', 'Nu\u0303', 'Nữ'.normalize('NFD'), 'NỮ'.normalize('NFD')]) {
      expect(parseSex(raw)).toBe('F');
    }
  });

  it('reads M/F and male/female', () => {
    expect(parseSex('M')).toBe('M');
    expect(parseSex('f')).toBe('F');
    expect(parseSex('Male')).toBe('M');
    expect(parseSex('FEMALE')).toBe('F');
  });

  it('reads the numeric codes of the health-insurance XML standard: 1 Nam, 2 Nữ', () => {
    expect(parseSex('1')).toBe('M');
    expect(parseSex('2')).toBe('F');
  });

  it('never reads 0 as Nữ on its own: ISO 5218 uses 0 for unknown (the import decides 1/0 per file)', () => {
    expect(parseSex('0')).toBeNull();
  });

  it('rejects anything else', () => {
    for (const raw of ['', ' ', '9', 'x', 'nam nu', 'N']) expect(parseSex(raw)).toBeNull();
  });
});

describe('sexLabel', () => {
  it('prints the Vietnamese label used on the forms', () => {
    expect(sexLabel('M')).toBe('Nam');
    expect(sexLabel('F')).toBe('Nữ');
  });
});
