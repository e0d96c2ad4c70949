import type { LegacyEncoding } from './legacy-text.js';

/** Something wrong with an imported value, kept with the participant so that Mẫu 02 can name it. */
export interface Finding {
  /** `office`: the managing social-insurance office's codes (`ma_tinh`, `ma_huyen`). */
  field: 'name' | 'dob' | 'sex' | 'id_number' | 'unit' | 'vssid' | 'email' | 'office';
  /**
   * `too_long`: the value was longer than its column's limit; `control`: it held a control character. In both the
   * value is not stored (the field is taken as empty) and not kept here either: `column`, `length` and `limit` say
   * what it was, never what it said.
   */
  code: 'missing' | 'invalid' | 'repaired' | 'converted' | 'too_long' | 'control';
  value?: string; // the value as it was in the file
  /** For `converted`: the legacy encoding the text was in (the original is `value`). */
  from?: LegacyEncoding;
  /** For `too_long` and `control`: the file's column (a field may have several: the unit's code, name, address). */
  column?: string;
  /** For `too_long`: the value's length and its column's limit, in characters. */
  length?: number;
  limit?: number;
}
