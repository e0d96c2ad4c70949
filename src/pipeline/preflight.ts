import { checkCccdStructure } from '../domain/numbers.js';
import { parseDateKey } from '../domain/dates.js';
import type { VerifyRequest } from '../domain/registry.js';
import type { ExportedPerson, Outcome } from '../domain/outcome.js';
import { MAX_NAME_CHARS, toWireRequest, WIRE_FIELD, WirePerson } from '../adapters/http-wire.js';
import type { Field } from '../domain/types.js';

export interface Preflight {
  toSend: VerifyRequest[];
  /** Decided without asking the registry (no usable number → MISSING_ID; data the registry does not take → MISMATCHED). */
  decided: Outcome[];
  /** CCCD digits that disagree with the record, by code: shown to people, never used to decide. */
  hints: Map<string, Array<'sex' | 'dob'>>;
}

/** Why a record was not checked: the registry's API does not take it (`too_long` name…), or the registry refused it. */
export type RefusalReason = 'too_long' | 'not_accepted' | 'registry_refused';

/**
 * The outcome of a person whose record cannot be checked as it stands: MISMATCHED on the fields concerned, with
 * `detail.refused` saying why, which Mẫu 02 column 9 turns into "needs fixing". Not PENDING: asking again cannot
 * help until the record changes, and a change puts the person back in line.
 */
export function refusedOutcome(req: VerifyRequest, dataVersion: number, fields: Field[], reason: RefusalReason): Outcome {
  return {
    maSoBhxh: req.requestId, dataVersion, soGiayTo: req.soGiayTo, status: 'MISMATCHED', fields, soDdcn: null,
    detail: { refused: { fields, reason } },
  };
}

/**
 * What the registry API would refuse in this person's data (its per-person schema), by field. Only the name can
 * fail it: the date, sex and number were made to fit by our own normalisation on import. The schema is run only
 * for a name over the limit, to say why: run for everyone it cost 5 s per million people (load 20), a quarter of a run.
 */
function unacceptable(req: VerifyRequest): { fields: Field[]; reason: RefusalReason } | null {
  if (req.hoTen.length <= MAX_NAME_CHARS) return null;
  const parsed = WirePerson.safeParse(toWireRequest(req));
  if (parsed.success) return null;
  const fields = [...new Set(parsed.error.issues.map((i) => WIRE_FIELD[String(i.path[0])]).filter((f): f is Field => f !== undefined))].sort();
  const tooLong = parsed.error.issues.every((i) => i.code === 'too_big');
  return { fields, reason: tooLong ? 'too_long' : 'not_accepted' };
}

/**
 * Before the registry is asked: a person with no usable number is MISSING_ID and not sent; a person whose data
 * the registry API does not take (a name over 200 characters) is MISMATCHED on that field and not sent, so the
 * request with the others goes through. A 12-digit number whose structure (century-and-sex digit, year digits)
 * disagrees with the record is still sent (it may be a 12-digit old CMND), but the disagreement is kept as a hint
 * for Mẫu 02.
 */
export function preflight(people: ExportedPerson[]): Preflight {
  const out: Preflight = { toSend: [], decided: [], hints: new Map() };
  for (const p of people) {
    if (!p.soGiayTo) {
      out.decided.push({ maSoBhxh: p.maSoBhxh, dataVersion: p.dataVersion, soGiayTo: null, status: 'MISSING_ID', fields: [], soDdcn: null, detail: null });
      continue;
    }
    const req: VerifyRequest = { requestId: p.maSoBhxh, hoTen: p.hoTen, ngaySinh: p.ngaySinh, gioiTinh: p.gioiTinh, soGiayTo: p.soGiayTo };
    const refused = unacceptable(req);
    if (refused) {
      out.decided.push(refusedOutcome(req, p.dataVersion, refused.fields, refused.reason));
      continue;
    }
    if (p.soGiayTo.length === 12) {
      const check = checkCccdStructure(p.soGiayTo, { gioiTinh: p.gioiTinh, ngaySinh: p.ngaySinh ? parseDateKey(p.ngaySinh) : null });
      if (check.looksLikeCccd && check.problems.length) out.hints.set(p.maSoBhxh, check.problems);
    }
    out.toSend.push(req);
  }
  return out;
}
