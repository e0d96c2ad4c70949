// The registry's decision for one person (Plan 2207, "Matching rules"). The mock registry uses exactly this,
// so the pipeline and its tests agree with it by construction.
import type { Disclosed, VerifyAnswer, VerifyRequest } from './registry.js';
import { dateKey, datesMatch, parseDateKey } from './dates.js';
import { nameKey } from './names.js';
import type { Field, RegistryPerson } from './types.js';

export interface LookupStep {
  by: 'ddcn' | 'cmnd'; // which registry index to search
  value: string;
}

/**
 * Where the registry looks a number up, in order: 9 digits → old CMND only; 12 digits → ĐDCN first, then a
 * 12-digit old CMND (some provinces issued those in 2012–2016). Requests carry normalised numbers, so anything
 * else is looked up nowhere.
 */
export function lookupKeys(soGiayTo: string): LookupStep[] {
  if (/^\d{9}$/.test(soGiayTo)) return [{ by: 'cmnd', value: soGiayTo }];
  if (/^\d{12}$/.test(soGiayTo)) {
    return [
      { by: 'ddcn', value: soGiayTo },
      { by: 'cmnd', value: soGiayTo },
    ];
  }
  return [];
}

export function findRegistryPerson(
  soGiayTo: string,
  byDdcn: (n: string) => RegistryPerson | undefined,
  byCmnd: (n: string) => RegistryPerson | undefined,
): RegistryPerson | undefined {
  for (const step of lookupKeys(soGiayTo)) {
    const found = step.by === 'ddcn' ? byDdcn(step.value) : byCmnd(step.value);
    if (found) return found;
  }
  return undefined;
}

/**
 * Compares our record with the registry person found for its number (undefined: the number is unknown).
 * Missing or unreadable values on our side cannot be confirmed, so they count as differing. For the fields
 * that differ the registry discloses its own values, for Mẫu 02 column 9.
 */
export function matchPerson(req: VerifyRequest, person: RegistryPerson | undefined): VerifyAnswer {
  if (!person) return { requestId: req.requestId, matched: false, soDdcn: null, fields: ['id_number'] };

  const fields: Field[] = [];
  const registry: Disclosed = {};
  // The same text is the same name; only different texts need their comparison keys (most matches are the former).
  // Stryker disable next-line ConditionalExpression: a shortcut: the same text always has the same comparison key
  if (req.hoTen !== person.hoTen && nameKey(req.hoTen) !== nameKey(person.hoTen)) {
    fields.push('name');
    registry.hoTen = person.hoTen;
  }
  // Stryker disable next-line ConditionalExpression: parseDateKey(null) reads the text 'null', which is no date key: null either way
  const ours = req.ngaySinh === null ? null : parseDateKey(req.ngaySinh);
  if (ours === null || !datesMatch(ours, person.ngaySinh)) {
    fields.push('dob');
    registry.ngaySinh = dateKey(person.ngaySinh);
  }
  if (req.gioiTinh !== person.gioiTinh) {
    fields.push('sex');
    registry.gioiTinh = person.gioiTinh;
  }
  fields.sort();

  if (fields.length === 0) return { requestId: req.requestId, matched: true, soDdcn: person.soDdcn, fields };
  return { requestId: req.requestId, matched: false, soDdcn: null, fields, registry };
}
