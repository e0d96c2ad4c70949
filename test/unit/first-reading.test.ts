// The first reading of a participants file: what may reject a row before anything else is read (the key only), and
// the sex code it hands on to the file-wide 1/0-or-1/2 convention.
import { describe, expect, it } from 'vitest';
import { rowScreen } from '../../src/pipeline/first-reading.js';

const screen = rowScreen(['ma_so_bhxh', 'ho_ten', 'gioi_tinh']);

describe('the first reading of a row', () => {
  it('rejects for the key alone, and hands on the sex code unless its cell is damaged', () => {
    expect(screen({ line: 2, cells: ['0100000001', 'A', ' 0 '] })).toEqual({ key: '0100000001', sex: '0' });
    // A control character elsewhere is the value's problem, not the row's; in the sex cell, no code is counted.
    expect(screen({ line: 3, cells: ['0100000002', 'A\u0001', '2'], control: true })).toEqual({ key: '0100000002', sex: '2' });
    expect(screen({ line: 4, cells: ['0100000003', 'A', '\u000b0'], control: true })).toEqual({ key: '0100000003', sex: '' });
    expect(screen({ line: 5, cells: ['01000\u00010004', 'A', '1'], control: true })).toEqual({ reason: 'field 1 contains the control character U+0001' });
    expect(screen({ line: 6, cells: ['0'.repeat(21), 'A', '1'] })).toMatchObject({ reason: expect.stringMatching(/^ma_so_bhxh is 21 characters long/) });
  });
});
