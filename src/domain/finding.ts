/** Something wrong with an imported value, kept with the participant so that Mẫu 02 can name it. */
export interface Finding {
  field: 'name' | 'dob' | 'sex' | 'id_number' | 'unit' | 'vssid' | 'email';
  code: 'missing' | 'invalid' | 'repaired';
  value?: string; // the value as it was in the file
}
