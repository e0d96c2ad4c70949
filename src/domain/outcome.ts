// A person as exported for verification and the outcome stored for them: made by the pipeline, stored by db.
import type { Field, Sex, Status } from './types.js';

/** Plan I.1: what is exported for one person. */
export interface ExportedPerson {
  maSoBhxh: string;
  hoTen: string;
  ngaySinh: string | null;
  gioiTinh: Sex | null;
  soGiayTo: string | null;
  dataVersion: number;
}

export interface Outcome {
  maSoBhxh: string;
  dataVersion: number;
  soGiayTo: string | null; // the number on file at export, as sent; null when none was usable
  status: Status;
  fields: Field[];
  soDdcn: string | null;
  detail: Record<string, unknown> | null;
}
