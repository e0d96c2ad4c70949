// Sex (giới tính) as written in participant files, and the label printed on Mẫu 01/02.
import type { Sex } from './types.js';

// Numeric codes follow the health-insurance XML standard: 1 Nam, 2 Nữ. `0` is not read here: in ISO 5218 it means
// "unknown", and some sources write Nữ as 0 (1/0); the import decides per file (see importParticipants), never per
// value, so a lone 0 is never taken for Nữ.
// Keys are lower case with every diacritic stripped, so `Nữ`, `NỮ`, `nu`, `Nũ` and NFD input all land on `nu`.
const FORMS: ReadonlyMap<string, Sex> = new Map<string, Sex>([
  ['nam', 'M'],
  ['m', 'M'],
  ['1', 'M'],
  ['male', 'M'],
  ['nu', 'F'],
  ['f', 'F'],
  ['2', 'F'],
  ['female', 'F'],
]);

const AS_WRITTEN: ReadonlyMap<string, Sex> = new Map<string, Sex>([
  ['Nam', 'M'], ['NAM', 'M'], ['nam', 'M'], ['1', 'M'], ['M', 'M'],
  ['N\u1eef', 'F'], ['N\u1eee', 'F'], ['n\u1eef', 'F'], ['2', 'F'], ['F', 'F'],
]);

/** `Nam`/`Nữ` in any case, with or without diacritics, `M`/`F`, `1`/`2` (1 = Nam), `male`/`female`; else null. */
export function parseSex(raw: string): Sex | null {
  const plain = AS_WRITTEN.get(raw); // the usual spellings, without the Unicode work below
  // Stryker disable next-line ConditionalExpression: a shortcut: the usual spellings read the same through the Unicode work below
  if (plain) return plain;
  const key = raw.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
  return FORMS.get(key) ?? null;
}

export function sexLabel(s: Sex): 'Nam' | 'Nữ' {
  return s === 'M' ? 'Nam' : 'Nữ';
}
