// Shared domain vocabulary. Vietnamese terms in comments where they help.

export type Sex = 'M' | 'F'; // Nam / Nữ

export type DatePrecision = 'year' | 'month' | 'day';

/** Date of birth at the precision the record holds (ngày sinh: năm / tháng-năm / đầy đủ). */
export interface BirthDate {
  precision: DatePrecision;
  year: number;
  month?: number; // present for 'month' and 'day'
  day?: number; // present for 'day'
}

/** cmnd9: old 9-digit identity card; num12: 12 digits, either an ĐDCN/CCCD or a 12-digit old CMND. */
export type NumberKind = 'cmnd9' | 'num12';

export interface NormalizedNumber {
  value: string; // digits only, 9 or 12 long
  kind: NumberKind;
  repaired: boolean; // a lost leading zero was put back (8 → 9, 11 → 12 digits)
}

/** Fields the registry compares; also the `fields` vocabulary of `ddcn export results`. */
export type Field = 'dob' | 'id_number' | 'name' | 'sex';

export type Status = 'MATCHED' | 'MISMATCHED' | 'MISSING_ID' | 'CONFLICT' | 'PENDING';

/** One person of the population registry (CSDL quốc gia về dân cư). */
export interface RegistryPerson {
  soDdcn: string; // ĐDCN: 12-digit personal number
  soCmnd: string | null; // old number linked to the person
  hoTen: string;
  ngaySinh: BirthDate;
  gioiTinh: Sex;
}
