import type { LegacyEncoding } from './legacy-text.js';

/** Something wrong with an imported value, kept with the participant so that Mẫu 02 can name it. */
export interface Finding {
  field: 'name' | 'dob' | 'sex' | 'id_number' | 'unit' | 'vssid' | 'email';
  code: 'missing' | 'invalid' | 'repaired' | 'converted';
  value?: string; // the value as it was in the file
  /** For `converted`: the legacy encoding the text was in (the original is `value`). */
  from?: LegacyEncoding;
}
