import { z } from 'zod';
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

const text = z.string().optional().transform((v) => (v ?? '').trim());
const RawRow = z.object({
  ma_so_bhxh: z
    .string({ error: 'ma_so_bhxh is missing' })
    .transform((v) => v.replace(/[\s.]/g, ''))
    .pipe(
      z.string().regex(/^\d{10}$/, {
        error: (iss) =>
          iss.input === ''
            ? 'ma_so_bhxh is empty'
            : /^\d{9}$/.test(String(iss.input))
              ? 'ma_so_bhxh has 9 digits: a leading zero was probably lost; format the column as Text'
              : 'ma_so_bhxh must be 10 digits',
      }),
    ),
  ho_ten: text,
  ngay_sinh: text,
  gioi_tinh: text,
  so_giay_to: text,
  ma_don_vi: text,
  ten_don_vi: text,
  dia_chi_don_vi: text,
  ma_tinh: text,
  ma_huyen: text,
  vssid: text,
  email: text,
});

const YES = new Set(['1', 'co', 'có', 'x', 'true', 'yes', 'y']);
const NO = new Set(['0', 'khong', 'không', '', 'false', 'no', 'n']);
const Email = z.email();

export type RowResult = { ok: true; record: ParticipantRecord } | { ok: false; reason: string };

/**
 * Validates and normalises one input row. Only a bad key rejects the row; other problems become findings.
 * `now`: the clock, so that a birth date after it is a finding rather than a date.
 */
export function normalizeParticipantRow(raw: Partial<Record<ParticipantColumn, string>>, now?: Date): RowResult {
  const parsed = RawRow.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => i.message).join('; ') };
  const r = parsed.data;
  const findings: Finding[] = [];

  const hoTen = cleanName(r.ho_ten);
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

  const v = r.vssid.toLowerCase().normalize('NFC');
  let vssid = false;
  if (YES.has(v)) vssid = true;
  else if (!NO.has(v)) findings.push({ field: 'vssid', code: 'invalid', value: r.vssid });

  let email: string | null = null;
  if (r.email !== '') {
    if (Email.safeParse(r.email).success) email = r.email;
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
      tenDonVi: r.ten_don_vi,
      diaChiDonVi: r.dia_chi_don_vi,
      maTinh: r.ma_tinh || null,
      maHuyen: r.ma_huyen || null,
      vssid,
      email,
      findings,
    },
  };
}
