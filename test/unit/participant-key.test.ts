import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/pipeline/participant-row.js';

describe('keyOf: why a mã số BHXH cannot be a key', () => {
  it('reads a key with blanks and dots as its 10 digits', () => {
    expect(keyOf(' 0100.000 001 ')).toEqual({ key: '0100000001' });
  });

  it('says what the eye cannot see in a key that looks right, by kind, never the value', () => {
    // A zero-width space and a soft hyphen, as a copy from a web page or a PDF brings them.
    expect(keyOf('01000\u200B00001')).toEqual({
      reason: 'ma_so_bhxh must be 10 digits; it holds an invisible character (a zero-width space or a soft hyphen, copied from a web page or a PDF?)',
    });
    expect(keyOf('01000\u00AD00001')).toEqual(keyOf('01000\u200B00001'));
    // Digits typed in an East Asian input mode look like digits.
    expect(keyOf('０１００００００01')).toEqual({ reason: 'ma_so_bhxh must be 10 digits; it holds full-width digits (typed in an East Asian input mode): retype them' });
    // Anything else: the rule alone, as before.
    expect(keyOf('01000O0001')).toEqual({ reason: 'ma_so_bhxh must be 10 digits' });
    expect(keyOf('010000001')).toEqual({ reason: 'ma_so_bhxh has 9 digits: a leading zero was probably lost; format the column as Text' });
    expect(keyOf('')).toEqual({ reason: 'ma_so_bhxh is empty' });
  });
});
