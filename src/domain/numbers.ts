// Personal numbers on file: old CMND (9 or 12 digits) and ĐDCN/CCCD (12 digits), and the ĐDCN's inner structure.
import type { BirthDate, NormalizedNumber, Sex } from './types.js';
import { isCccdProvinceCode } from './provinces.js';

// \s covers the non-breaking and narrow spaces spreadsheets insert; zero-width ones come from copy-paste.
const SEPARATORS = /[\s.\u200b-\u200d\u2060]/g;
// Excel users type a leading apostrophe to keep the zeros; it sometimes survives into the CSV.
const LEADING_APOSTROPHE = /^\s*['‘’]/;

/**
 * Digits with optional spaces and dots. 9 → old CMND, 12 → ĐDCN or 12-digit CMND, 8 or 11 → a leading zero a
 * spreadsheet dropped: put it back and say so. 10 → a ĐDCN of province 001–008 that lost both its zeros, only when
 * `person` is given and the padded number fits it (repairTwoLostZeros). Anything else (other lengths, other
 * characters, all zeros) → null.
 */
/** What is left of a number as typed once what normalizeNumber ignores is taken out: a leading apostrophe, blanks, dots. */
export function numberText(raw: string): string {
  return raw.replace(LEADING_APOSTROPHE, '').replace(SEPARATORS, '');
}

export function normalizeNumber(raw: string, person?: { gioiTinh: Sex | null; birthYear: number | null }): NormalizedNumber | null {
  const digits = numberText(raw);
  if (!/^\d+$/.test(digits) || /^0+$/.test(digits)) return null;
  if (digits.length === 10) {
    const padded = person ? repairTwoLostZeros(digits, person) : null;
    return padded ? { value: padded, kind: 'num12', repaired: true } : null;
  }
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
 * The ĐDCN's 4th digit for a person: even for men, odd for women, by century (Thông tư 07/2016/TT-BCA, Điều 7:
 * 0/1 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 2300s). Null outside 1900–2399: no digit stands for the 1800s.
 */
export function cccdCenturyDigit(sex: Sex, birthYear: number): number | null {
  const century = Math.floor(birthYear / 100);
  if (!Number.isInteger(birthYear) || century < 19 || century > 23) return null;
  return (century - 19) * 2 + (sex === 'F' ? 1 : 0);
}

/** Inverse of cccdCenturyDigit: every digit 0–9 names a sex and a century from 1900 to 2300. */
function decodeCenturyDigit(digit: number): { sex: Sex; centuryStart: number } {
  const sex: Sex = digit % 2 === 1 ? 'F' : 'M';
  return { sex, centuryStart: 1900 + Math.floor(digit / 2) * 100 };
}

/** The birth year and sex a 12-digit ĐDCN's digits 4–6 stand for. */
export function cccdBirth(num12: string): { sex: Sex; year: number } {
  const { sex, centuryStart } = decodeCenturyDigit(Number(num12[3]));
  return { sex, year: centuryStart + Number(num12.slice(4, 6)) };
}

/**
 * A 10-digit number that is a ĐDCN of province 001–008 whose two leading zeros a numeric cell dropped. Repaired
 * only when the padded number reads as a ĐDCN of this person: a known province code, and century-and-sex and year
 * digits that agree with the birth year on file (and the sex, when it is known). Otherwise null: never a guess.
 */
export function repairTwoLostZeros(digits10: string, person: { gioiTinh: Sex | null; birthYear: number | null }): string | null {
  // Stryker disable next-line ConditionalExpression,LogicalOperator,Regex: the only caller passes exactly ten digits, and a null birth year fails the year comparison two lines on
  if (!/^\d{10}$/.test(digits10) || person.birthYear === null) return null;
  const padded = `00${digits10}`;
  if (!isCccdProvinceCode(padded.slice(0, 3))) return null;
  const { sex, year } = cccdBirth(padded);
  if (year !== person.birthYear) return null;
  if (person.gioiTinh !== null && person.gioiTinh !== sex) return null;
  return padded;
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

  const { sex, year: birthYear } = cccdBirth(num12);
  if (person.gioiTinh !== null && person.gioiTinh !== sex) problems.push('sex');
  if (person.ngaySinh !== null && person.ngaySinh.year !== birthYear) problems.push('dob');
  return { looksLikeCccd, problems, provinceCode };
}
