// "No unit TA0001; did you mean …": the codes an operator is offered for a mistyped unit or province code.
import { describe, expect, it } from 'vitest';
import { nearestCodes } from '../../src/domain/nearest-codes.js';

const UNITS = ['XY9999Z', 'TB0001A', 'TA0002B', 'TA0001A', 'ta0001c'];

describe('nearest codes', () => {
  it('offers the codes that start with what was typed first, then those a few edits away, nearest first', () => {
    // TA0001A and ta0001c start with it (case aside); TA0002B and TB0001A are two edits away; XY9999Z is not near.
    expect(nearestCodes(' ta0001 ', UNITS)).toEqual(['TA0001A', 'ta0001c', 'TA0002B', 'TB0001A']);
    expect(nearestCodes('ta0001', UNITS, 2)).toEqual(['TA0001A', 'ta0001c']);
  });

  it('puts an exact match before the longer codes it starts, and offers a known code that the typed one starts with', () => {
    expect(nearestCodes('TA0001A', UNITS)).toEqual(['TA0001A', 'ta0001c', 'TB0001A', 'TA0002B']);
    // Typed too much: TA0 is far in edits (7 > 3) but is the start of it.
    expect(nearestCodes('TA0001AXYZ', ['TA0', 'QQ'])).toEqual(['TA0']);
  });

  it('allows one edit per three characters typed, and at least one', () => {
    expect(nearestCodes('79', ['78', '7', '80', '179'])).toEqual(['7', '179', '78']);
    expect(nearestCodes('ABCDEF', ['ABCXYF', 'ABXXXF'])).toEqual(['ABCXYF']);
    expect(nearestCodes('', ['A', 'AB'])).toEqual(['A']);
  });
});
