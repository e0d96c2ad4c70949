// One person on a list, as plain data: it crosses to worker threads by structured clone. db reads it, the forms
// print it, so it lives below both.
import type { Disclosed } from './registry.js';
import type { Finding } from './finding.js';
import type { Field, Sex, Status } from './types.js';

/** What the last verification stored beside the outcome (src/pipeline/verify.ts, the conflict step of src/db/verifications.ts). */
export interface VerificationDetail {
  registry?: Disclosed;
  cccdHint?: Array<'sex' | 'dob'>;
  conflictWith?: string[];
  /** The record could not be checked as it stands (src/pipeline/preflight.ts refusedOutcome): it needs fixing. */
  refused?: { fields: Field[]; reason: 'too_long' | 'not_accepted' | 'registry_refused' };
}

export interface ListRow {
  maSoBhxh: string;
  hoTen: string;
  ngaySinh: string | null; // date key: yyyy | yyyy-mm | yyyy-mm-dd
  gioiTinh: Sex | null;
  soGiayTo: string | null; // number on file
  soDdcn: string | null; // confirmed personal number (MATCHED) or the contested one (CONFLICT)
  vssid: boolean;
  email: string | null;
  status: Status;
  fields: Field[];
  findings: Finding[];
  detail: VerificationDetail | null;
  /** Mẫu 02: the day (dd/mm/yyyy) the person went on the IT centre's escalation list, if they did. */
  escalatedOn?: string | null;
  /** Mẫu 02: the day (dd/mm/yyyy) of the unit's last correction, when an import changed the person's data after it. */
  sourceChangedAfter?: string | null;
  /** Mẫu 02: corrections made since the last verification (the next run checks them): the day of the last, the fields. */
  correctedSince?: { on: string; fields: Field[] } | null;
}

/** A person on the escalation list for the IT centre (Plan II.6.2). */
export interface EscalationRow extends ListRow {
  maDonVi: string | null;
  tenDonVi: string;
  correctedAt: string; // ISO time of the last correction
  sourceFile: string;
  sourceRow: number;
}
