// Which words count as Vietnamese syllables when a legacy-encoded reading is judged: digits pass only as a whole
// word (a house number), never stuck to letters.
import { describe, expect, it } from 'vitest';
import { isVietnameseText } from '../../src/domain/legacy-text.js';

describe('a number in a Vietnamese text', () => {
  it('passes as a word of digits, not as digits run into letters', () => {
    expect(isVietnameseText('nhà 12')).toBe(true);
    expect(isVietnameseText('nhà 12a')).toBe(false);
    expect(isVietnameseText('nhà a12')).toBe(false);
    expect(isVietnameseText('nhà 1a2')).toBe(false);
  });
});
