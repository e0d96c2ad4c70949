import { fixLegacyText } from '../domain/legacy-text.js';
import { cleanName } from '../domain/names.js';
import { dateKey, isFutureBirthDate, parseBirthDate } from '../domain/dates.js';
import { parseSex } from '../domain/sex.js';
import { normalizeNumber } from '../domain/numbers.js';
import { districtKey } from '../domain/provinces.js';
import type { Sex } from '../domain/types.js';
import type { Finding } from '../domain/finding.js';
import { CONTROL, controlIn } from './table-row.js';

export const PARTICIPANT_COLUMNS = [
  'ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to', 'ma_don_vi', 'ten_don_vi',
  'dia_chi_don_vi', 'ma_tinh', 'ma_huyen', 'vssid', 'email',
] as const;
export type ParticipantColumn = (typeof PARTICIPANT_COLUMNS)[number];

/** The fields the registry compares: a participants file must have their columns (values may be empty). */
export const IDENTITY_COLUMNS = ['ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to'] as const;

/**
 * The longest value each column may hold, in characters. A longer one is not a name, a code or an address but a
 * broken export, and storing it would only carry the damage on (a 150 MB cell stored as a name; a 3 000-character
 * unit code once stopped the import at the index size limit): a key over its limit rejects the row, any other
 * value over its limit is not stored (the field is taken as empty, with a `too_long` finding). The registry
 * refuses names over 200 characters.
 */
export const COLUMN_LIMITS: Readonly<Record<ParticipantColumn, number>> = {
  ma_so_bhxh: 20, ho_ten: 200, ngay_sinh: 20, gioi_tinh: 10, so_giay_to: 20, ma_don_vi: 50, ten_don_vi: 500,
  dia_chi_don_vi: 500, ma_tinh: 10, ma_huyen: 10, vssid: 10, email: 254,
};

/** The field of a finding about each column other than the key. */
const FINDING_FIELD: Readonly<Record<Exclude<ParticipantColumn, 'ma_so_bhxh'>, Finding['field']>> = {
  ho_ten: 'name', ngay_sinh: 'dob', gioi_tinh: 'sex', so_giay_to: 'id_number', ma_don_vi: 'unit', ten_don_vi: 'unit',
  dia_chi_don_vi: 'unit', ma_tinh: 'office', ma_huyen: 'office', vssid: 'vssid', email: 'email',
};
const VALUE_COLUMNS = PARTICIPANT_COLUMNS.filter((c): c is Exclude<ParticipantColumn, 'ma_so_bhxh'> => c !== 'ma_so_bhxh');

/**
 * Reads a row's cells into the columns by name, for a file with this header: a column the file lacks is undefined.
 * Every row gets the same object shape (all twelve names, in order), which keeps the per-row code monomorphic.
 */
export function rawReader(header: readonly string[]): (cells: readonly string[]) => Partial<Record<ParticipantColumn, string>> {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11] = PARTICIPANT_COLUMNS.map((c) => header.indexOf(c)) as number[] as [
    number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  const at = (cells: readonly string[], i: number): string | undefined => (i < 0 ? undefined : (cells[i] ?? ''));
  return (cells) => ({
    ma_so_bhxh: at(cells, a0), ho_ten: at(cells, a1), ngay_sinh: at(cells, a2), gioi_tinh: at(cells, a3),
    so_giay_to: at(cells, a4), ma_don_vi: at(cells, a5), ten_don_vi: at(cells, a6), dia_chi_don_vi: at(cells, a7),
    ma_tinh: at(cells, a8), ma_huyen: at(cells, a9), vssid: at(cells, a10), email: at(cells, a11),
  });
}

/**
 * Why a key cannot be read as it stands, before its digits are looked at: longer than its column's limit, or holding
 * a control character. Names the column, never the value. (The key alone: any other value too long, or with a
 * control character, is not stored but does not reject the row: unfitValues.)
 */
export function keyValueProblem(key: string | undefined, field = 'ma_so_bhxh'): string | null {
  if (key === undefined) return null;
  const control = controlIn(key);
  if (control) return `${field} contains ${control}`;
  if (key.length > COLUMN_LIMITS.ma_so_bhxh) return `ma_so_bhxh is ${key.length} characters long; at most ${COLUMN_LIMITS.ma_so_bhxh} are accepted`;
  return null;
}

/**
 * The row's values with each one other than the key that cannot be stored taken as empty, a finding for each: over
 * its column's limit (`too_long`, with its length), or holding a control character (`control`; looked for only when
 * `controls`, which the readers mark per row: TableRow.control). The row itself, untouched, when every value fits:
 * nearly every row, which costs a look at its lengths.
 *
 * A value with a control character is taken as empty rather than stored without it. Such a character comes from a
 * damaged export (a NUL in the middle of a name), and what stood around it cannot be trusted: it may have replaced
 * a letter or a digit rather than been added. Stripped, `DV0\u00011` would be the unit code `DV01`, maybe another
 * unit's (the person on its list, their data sent to another employer), a date or a number another one that looks
 * right and that nobody would question; empty, the unit is asked on Mẫu 02 to declare it again. The same rule as
 * for an over-long value: a value known to be damaged is never stored, nor quoted.
 */
export function unfitValues(
  raw: Partial<Record<ParticipantColumn, string>>,
  findings: Finding[],
  controls: boolean,
): Partial<Record<ParticipantColumn, string>> {
  let out = raw;
  for (const c of VALUE_COLUMNS) {
    const v = raw[c];
    if (v === undefined) continue;
    const tooLong = v.length > COLUMN_LIMITS[c];
    if (!tooLong && !(controls && CONTROL.test(v))) continue;
    if (out === raw) out = { ...raw };
    out[c] = '';
    findings.push(
      tooLong
        ? { field: FINDING_FIELD[c], code: 'too_long', column: c, length: v.length, limit: COLUMN_LIMITS[c] }
        : { field: FINDING_FIELD[c], code: 'control', column: c },
    );
  }
  return out;
}

// A data-quality problem in a non-key field: the row is imported and the finding ends up on Mẫu 02.
export type { Finding } from '../domain/finding.js';

export interface ParticipantRecord {
  maSoBhxh: string;
  hoTen: string;
  ngaySinh: string | null; // canonical date key
  gioiTinh: Sex | null;
  soGiayTo: string | null;
  maDonVi: string | null;
  tenDonVi: string;
  diaChiDonVi: string;
  maTinh: string | null;
  maHuyen: string | null;
  vssid: boolean;
  email: string | null;
  findings: Finding[];
}

const YES = new Set(['1', 'co', 'có', 'x', 'true', 'yes', 'y']);
const NO = new Set(['0', 'khong', 'không', '', 'false', 'no', 'n']);
// The expression zod's z.email() checks with (zod/v4/core/regexes.js), used directly: the row is read by hand
// rather than through a zod schema, which cost ~35 % of normalising a row (safeParse: ~8 µs of ~23 µs per row in a
// profile of a 100 k import).
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
const KEY_SPACE = /[\s.]/g;
const KEY = /^\d{10}$/;
const NINE = /^\d{9}$/;

/** The key as stored (blanks and dots taken out), or why it cannot be one. */
export function keyOf(raw: string | undefined): { key: string } | { reason: string } {
  if (raw === undefined) return { reason: 'ma_so_bhxh is missing' };
  const key = raw.replace(KEY_SPACE, '');
  if (KEY.test(key)) return { key };
  if (key === '') return { reason: 'ma_so_bhxh is empty' };
  if (NINE.test(key)) return { reason: 'ma_so_bhxh has 9 digits: a leading zero was probably lost; format the column as Text' };
  return { reason: `ma_so_bhxh must be 10 digits${notDigits(key)}` };
}

/**
 * What is in a key besides the digits 0–9, when that is what the eye cannot see: an invisible character (copied from
 * a web page or a PDF), or digits of an East Asian input mode, which look like digits. Said by kind, never the value.
 */
function notDigits(key: string): string {
  if (/[\u200B-\u200D\u2060\uFEFF\u00AD]/.test(key)) return '; it holds an invisible character (a zero-width space or a soft hyphen, copied from a web page or a PDF?)';
  if (/[\uFF10-\uFF19]/.test(key)) return '; it holds full-width digits (typed in an East Asian input mode): retype them';
  return '';
}

const text = (v: string | undefined): string => (v === undefined ? '' : v.trim());

/** Text typed in a legacy font encoding, converted; the finding keeps the original. (A function of its own, not a
 * closure made for every row.) */
function legacy(findings: Finding[], field: Finding['field'], text: string): string {
  const fixed = fixLegacyText(text);
  if (!fixed) return text;
  findings.push({ field, code: 'converted', value: text, from: fixed.from });
  return fixed.text;
}

export type RowResult = { ok: true; record: ParticipantRecord } | { ok: false; reason: string };

/**
 * Validates and normalises one input row. Only a bad key rejects the row; other problems become findings.
 * `now`: the clock, so that a birth date after it is a finding rather than a date. `controls`: whether a value may
 * hold a control character (TableRow.control; when in doubt, true: it is then looked for in every value).
 */
export function normalizeParticipantRow(given: Partial<Record<ParticipantColumn, string>>, now?: Date, controls = true): RowResult {
  const keyProblem = keyValueProblem(given.ma_so_bhxh);
  if (keyProblem) return { ok: false, reason: keyProblem };
  const k = keyOf(given.ma_so_bhxh);
  if (!('key' in k)) return { ok: false, reason: k.reason };
  const findings: Finding[] = [];
  const raw = unfitValues(given, findings, controls);
  const r = {
    ma_so_bhxh: k.key, ho_ten: text(raw.ho_ten), ngay_sinh: text(raw.ngay_sinh), gioi_tinh: text(raw.gioi_tinh),
    so_giay_to: text(raw.so_giay_to), ma_don_vi: text(raw.ma_don_vi), ten_don_vi: text(raw.ten_don_vi),
    // A district of 1–2 digits lost its leading zeros in a spreadsheet's number cell (5 for Cầu Giấy 005): every
    // district code is 3 digits, so it is stored as one, as targets and accounts take it.
    dia_chi_don_vi: text(raw.dia_chi_don_vi), ma_tinh: text(raw.ma_tinh), ma_huyen: districtKey(text(raw.ma_huyen)),
    vssid: text(raw.vssid), email: text(raw.email),
  };

  const hoTen = cleanName(legacy(findings, 'name', r.ho_ten));
  const tenDonVi = legacy(findings, 'unit', r.ten_don_vi);
  const diaChiDonVi = legacy(findings, 'unit', r.dia_chi_don_vi);
  if (hoTen === '') findings.push({ field: 'name', code: 'missing' });

  let ngaySinh: string | null = null;
  let birthYear: number | null = null;
  if (r.ngay_sinh === '') findings.push({ field: 'dob', code: 'missing' });
  else {
    const d = parseBirthDate(r.ngay_sinh);
    if (d && !(now && isFutureBirthDate(d, now))) {
      ngaySinh = dateKey(d);
      birthYear = d.year;
    }
    else findings.push({ field: 'dob', code: 'invalid', value: r.ngay_sinh });
  }

  let gioiTinh: Sex | null = null;
  if (r.gioi_tinh === '') findings.push({ field: 'sex', code: 'missing' });
  else {
    gioiTinh = parseSex(r.gioi_tinh);
    if (!gioiTinh) findings.push({ field: 'sex', code: 'invalid', value: r.gioi_tinh });
  }

  let soGiayTo: string | null = null;
  if (r.so_giay_to === '') findings.push({ field: 'id_number', code: 'missing' });
  else {
    const n = normalizeNumber(r.so_giay_to, { gioiTinh, birthYear });
    if (!n) findings.push({ field: 'id_number', code: 'invalid', value: r.so_giay_to });
    else {
      soGiayTo = n.value;
      if (n.repaired) findings.push({ field: 'id_number', code: 'repaired', value: r.so_giay_to });
    }
  }

  if (r.ma_don_vi === '') findings.push({ field: 'unit', code: 'missing' });

  // `1` and empty, nearly every row, without the Unicode work.
  const v = r.vssid === '1' || r.vssid === '' ? r.vssid : r.vssid.toLowerCase().normalize('NFC');
  let vssid = false;
  if (YES.has(v)) vssid = true;
  else if (!NO.has(v)) findings.push({ field: 'vssid', code: 'invalid', value: r.vssid });

  let email: string | null = null;
  if (r.email !== '') {
    if (EMAIL.test(r.email)) email = r.email;
    else findings.push({ field: 'email', code: 'invalid', value: r.email });
  }

  return {
    ok: true,
    record: {
      maSoBhxh: r.ma_so_bhxh,
      hoTen,
      ngaySinh,
      gioiTinh,
      soGiayTo,
      maDonVi: r.ma_don_vi || null,
      tenDonVi,
      diaChiDonVi,
      maTinh: r.ma_tinh || null,
      maHuyen: r.ma_huyen || null,
      vssid,
      email,
      findings,
    },
  };
}
