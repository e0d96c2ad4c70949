import { checkCccdStructure } from '../domain/numbers.js';
import { parseDateKey } from '../domain/dates.js';
import type { VerifyRequest } from '../domain/registry.js';
import type { ExportedPerson, Outcome } from '../domain/outcome.js';

export interface Preflight {
  toSend: VerifyRequest[];
  /** Decided without asking the registry (no usable number → MISSING_ID). */
  decided: Outcome[];
  /** CCCD digits that disagree with the record, by code: shown to people, never used to decide. */
  hints: Map<string, Array<'sex' | 'dob'>>;
}

/**
 * Before the registry is asked: a person with no usable number is MISSING_ID and not sent. A 12-digit number
 * whose structure (century-and-sex digit, year digits) disagrees with the record is still sent (it may be a
 * 12-digit old CMND), but the disagreement is kept as a hint for Mẫu 02.
 */
export function preflight(people: ExportedPerson[]): Preflight {
  const out: Preflight = { toSend: [], decided: [], hints: new Map() };
  for (const p of people) {
    if (!p.soGiayTo) {
      out.decided.push({ maSoBhxh: p.maSoBhxh, dataVersion: p.dataVersion, soGiayTo: null, status: 'MISSING_ID', fields: [], soDdcn: null, detail: null });
      continue;
    }
    if (p.soGiayTo.length === 12) {
      const check = checkCccdStructure(p.soGiayTo, { gioiTinh: p.gioiTinh, ngaySinh: p.ngaySinh ? parseDateKey(p.ngaySinh) : null });
      if (check.looksLikeCccd && check.problems.length) out.hints.set(p.maSoBhxh, check.problems);
    }
    out.toSend.push({ requestId: p.maSoBhxh, hoTen: p.hoTen, ngaySinh: p.ngaySinh, gioiTinh: p.gioiTinh, soGiayTo: p.soGiayTo });
  }
  return out;
}
