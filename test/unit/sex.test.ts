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

  it('reads 1 as Nam and 0 as Nữ', () => {
    expect(parseSex('1')).toBe('M');
    expect(parseSex('0')).toBe('F');
  });

  it('rejects anything else', () => {
    for (const raw of ['', ' ', '2', 'x', 'nam nu', 'N']) expect(parseSex(raw)).toBeNull();
  });
});

describe('sexLabel', () => {
  it('prints the Vietnamese label used on the forms', () => {
    expect(sexLabel('M')).toBe('Nam');
    expect(sexLabel('F')).toBe('Nữ');
  });
});
