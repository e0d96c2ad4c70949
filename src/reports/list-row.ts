// One person on a list, as plain data: it crosses to worker threads by structured clone.
export type { EscalationRow, ListRow, VerificationDetail } from '../domain/list-row.js';

export interface UnitInfo {
  maTinh: string | null;
  /** The district office that manages the unit and issues its lists, or null: the province office issues them. */
  maHuyen: string | null;
  maDonVi: string | null;
  tenDonVi: string;
  diaChi: string;
}

export type FormKind = 'mau01' | 'mau02' | 'ho-tro';

/** Everything a writer needs to produce one file, whichever thread it runs on. */
export interface ListFileSpec {
  path: string;
  form: FormKind;
  unit: UnitInfo;
  issuedAt: string; // ISO instant: the date printed on the form
}
