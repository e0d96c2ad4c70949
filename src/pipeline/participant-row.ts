import { fixLegacyText } from '../domain/legacy-text.js';
import { cleanName } from '../domain/names.js';
import { dateKey, isFutureBirthDate, parseBirthDate } from '../domain/dates.js';
import { parseSex } from '../domain/sex.js';
import { normalizeNumber } from '../domain/numbers.js';
import type { Sex } from '../domain/types.js';
import type { Finding } from '../domain/finding.js';

export const PARTICIPANT_COLUMNS = [
  'ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to', 'ma_don_vi', 'ten_don_vi',
  'dia_chi_don_vi', 'ma_tinh', 'ma_huyen', 'vssid', 'email',
] as const;
export type ParticipantColumn = (typeof PARTICIPANT_COLUMNS)[number];

/** The fields the registry compares: a participants file must have their columns (values may be empty). */
export const IDENTITY_COLUMNS = ['ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to'] as const;

/**
 * The longest value each column may hold, in characters. A longer one rejects the row: it is not a name, a code or
 * an address but a broken export, and storing it would only carry the damage on (a 3 000-character unit code once
 * stopped the import at the index size limit). The registry refuses names over 200 characters.
 */
export const COLUMN_LIMITS: Readonly<Record<ParticipantColumn, number>> = {
  ma_so_bhxh: 20, ho_ten: 200, ngay_sinh: 20, gioi_tinh: 10, so_giay_to: 20, ma_don_vi: 50, ten_don_vi: 500,
  dia_chi_don_vi: 500, ma_tinh: 10, ma_huyen: 10, vssid: 10, email: 254,
};

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
 * For a file with this header: whether every cell of a row is within its column's limit (COLUMN_LIMITS), looking
 * only at lengths; lengthProblem says which one is not. (A row is checked before it is read into columns.)
 */
export function limitsChecker(header: readonly string[]): (cells: readonly string[]) => boolean {
  const checks = PARTICIPANT_COLUMNS.map((c) => [header.indexOf(c), COLUMN_LIMITS[c]] as const).filter(([i]) => i >= 0);
  const at = Int32Array.from(checks.map(([i]) => i));
  const max = Int32Array.from(checks.map(([, m]) => m));
  return (cells) => {
    for (let j = 0; j < at.length; j++) if ((cells[at[j]!] ?? '').length > max[j]!) return false;
    return true;
  };
}

/** Why a row cannot be imported because of a value's length, or null. Names the column, never the value. */
export function lengthProblem(raw: Partial<Record<ParticipantColumn, string>>): string | null {
  for (const c of PARTICIPANT_COLUMNS) {
    const v = raw[c];
    if (v !== undefined && v.length > COLUMN_LIMITS[c]) {
      return `${c} is ${v.length} characters long; at most ${COLUMN_LIMITS[c]} are accepted`;
    }
  }
  return null;
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
  return { reason: 'ma_so_bhxh must be 10 digits' };
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
 * `now`: the clock, so that a birth date after it is a finding rather than a date.
 */
export function normalizeParticipantRow(raw: Partial<Record<ParticipantColumn, string>>, now?: Date): RowResult {
  const tooLong = lengthProblem(raw);
  if (tooLong) return { ok: false, reason: tooLong };
  const k = keyOf(raw.ma_so_bhxh);
  if (!('key' in k)) return { ok: false, reason: k.reason };
  const r = {
    ma_so_bhxh: k.key, ho_ten: text(raw.ho_ten), ngay_sinh: text(raw.ngay_sinh), gioi_tinh: text(raw.gioi_tinh),
    so_giay_to: text(raw.so_giay_to), ma_don_vi: text(raw.ma_don_vi), ten_don_vi: text(raw.ten_don_vi),
    dia_chi_don_vi: text(raw.dia_chi_don_vi), ma_tinh: text(raw.ma_tinh), ma_huyen: text(raw.ma_huyen),
    vssid: text(raw.vssid), email: text(raw.email),
  };
  const findings: Finding[] = [];

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
