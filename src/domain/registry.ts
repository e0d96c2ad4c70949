// What crosses the line to the population registry (CSDL quốc gia về dân cư), as plain data: the matching rules,
// the adapters, the pipeline and the forms all speak it, so it lives here, below all of them.
import type { Field, Sex } from './types.js';

/** Plan 2207 I.1: what we send for one person. */
export interface VerifyRequest {
  requestId: string; // our key, echoed back by the registry
  hoTen: string;
  ngaySinh: string | null; // canonical: 'yyyy' | 'yyyy-mm' | 'yyyy-mm-dd'
  gioiTinh: Sex | null;
  soGiayTo: string; // normalised digits, 9 or 12 long
}

/** Values the registry disclosed for the fields that differ. */
export interface Disclosed {
  hoTen?: string;
  ngaySinh?: string; // canonical form as in VerifyRequest
  gioiTinh?: Sex;
}

/** Plan 2207 I.2 / II.2: the registry's answer for one person. */
export interface VerifyAnswer {
  requestId: string;
  matched: boolean;
  soDdcn: string | null; // the personal number the registry shares, when matched
  fields: Field[]; // sorted; empty when matched
  registry?: Disclosed;
}

/** Plan 2207 I.4: insurance information shared back for a matched person. */
export interface ShareRecord {
  requestId: string;
  soDdcn: string;
  maSoBhxh: string; // also the health-insurance card code (mã thẻ BHYT ends with it)
  vssid: boolean; // has a VssID account
}
