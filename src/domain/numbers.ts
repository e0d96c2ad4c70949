// Personal numbers on file: old CMND (9 or 12 digits) and ĐDCN/CCCD (12 digits), and the ĐDCN's inner structure.
import type { BirthDate, NormalizedNumber, Sex } from './types.js';
import { isCccdProvinceCode } from './provinces.js';

// \s covers the non-breaking and narrow spaces spreadsheets insert; zero-width ones come from copy-paste.
const SEPARATORS = /[\s.\u200b-\u200d\u2060]/g;
// Excel users type a leading apostrophe to keep the zeros; it sometimes survives into the CSV.
const LEADING_APOSTROPHE = /^\s*['‘’]/;

/**
 * Digits with optional spaces and dots. 9 → old CMND, 12 → ĐDCN or 12-digit CMND, 8 or 11 → a leading zero a
 * spreadsheet dropped: put it back and say so. Anything else (other lengths, other characters, all zeros) → null.
 */
export function normalizeNumber(raw: string): NormalizedNumber | null {
  const digits = raw.replace(LEADING_APOSTROPHE, '').replace(SEPARATORS, '');
  if (!/^\d+$/.test(digits) || /^0+$/.test(digits)) return null;
  switch (digits.length) {
    case 9:
      return { value: digits, kind: 'cmnd9', repaired: false };
    case 12:
      return { value: digits, kind: 'num12', repaired: false };
    case 8:
      return { value: `0${digits}`, kind: 'cmnd9', repaired: true };
    case 11:
      return { value: `0${digits}`, kind: 'num12', repaired: true };
    default:
      return null;
  }
}

/**
 * The ĐDCN's 4th digit for a person: even for men, odd for women, by century
 * (0/1 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 1800s). Null outside 1800–2299.
 */
export function cccdCenturyDigit(sex: Sex, birthYear: number): number | null {
  const century = Math.floor(birthYear / 100);
  if (!Number.isInteger(birthYear) || century < 18 || century > 22) return null;
  const base = century === 18 ? 8 : (century - 19) * 2;
  return base + (sex === 'F' ? 1 : 0);
}

/** Inverse of cccdCenturyDigit: every digit 0–9 names a sex and a century. */
function decodeCenturyDigit(digit: number): { sex: Sex; centuryStart: number } {
  const sex: Sex = digit % 2 === 1 ? 'F' : 'M';
  const pair = Math.floor(digit / 2); // 0 → 1900s … 3 → 2200s, 4 → 1800s
  const centuryStart = pair === 4 ? 1800 : 1900 + pair * 100;
  return { sex, centuryStart };
}

export type CccdProblem = 'sex' | 'dob';

export interface CccdCheck {
  looksLikeCccd: boolean; // the first three digits are a known province-of-birth code
  problems: CccdProblem[]; // what the number says that the record contradicts
  provinceCode: string;
}

/**
 * Checks a 12-digit number against the record before asking the registry (Plan 2207, "Numbers").
 * A 12-digit old CMND need not follow the structure, so problems are only reported when the province code is
 * a known one, and each only when the record holds the value to compare.
 */
export function checkCccdStructure(
  num12: string,
  person: { gioiTinh: Sex | null; ngaySinh: BirthDate | null },
): CccdCheck {
  const provinceCode = num12.slice(0, 3);
  const looksLikeCccd = /^\d{12}$/.test(num12) && isCccdProvinceCode(provinceCode);
  const problems: CccdProblem[] = [];
  if (!looksLikeCccd) return { looksLikeCccd, problems, provinceCode };

  const { sex, centuryStart } = decodeCenturyDigit(Number(num12[3]));
  const birthYear = centuryStart + Number(num12.slice(4, 6));
  if (person.gioiTinh !== null && person.gioiTinh !== sex) problems.push('sex');
  if (person.ngaySinh !== null && person.ngaySinh.year !== birthYear) problems.push('dob');
  return { looksLikeCccd, problems, provinceCode };
}
