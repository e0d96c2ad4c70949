// The share of people confirmed, as the operator reads it after `ddcn report progress`.
import { describe, expect, it } from 'vitest';
import { percentDown } from '../../src/cli/summary.js';
import { percent } from '../../src/portal/render.js';

describe('the confirmed share in a summary line', () => {
  it('is rounded down, so that 100 % means everyone', () => {
    expect(percentDown(5000 / 5001)).toBe('99.9 %');
    expect(percentDown(1)).toBe('100.0 %');
    expect(percentDown(0.5)).toBe('50.0 %');
    expect(percentDown(0.57)).toBe('57.0 %'); // not 56.9: 0.57 × 1000 is 569.999… in binary
    expect(percentDown(2 / 3)).toBe('66.6 %');
    expect(percentDown(0)).toBe('0.0 %');
  });

  it('is never 0 % when someone is done: under a tenth of a per cent shows as 0.1 %', () => {
    expect(percentDown(1 / 2000)).toBe('0.1 %');
    expect(percentDown(1 / 1_000_000)).toBe('0.1 %');
    expect(percentDown(1 / 1000)).toBe('0.1 %');
    expect(percentDown(3 / 1000)).toBe('0.3 %'); // rounded down as before above it
    expect(percent(1 / 2000)).toBe('0,1 %');
    expect(percent(0)).toBe('0 %');
  });

  it('is rounded down in the portal too, written the Vietnamese way', () => {
    expect(percent(1999 / 2000)).toBe('99,9 %');
    expect(percent(0.89668)).toBe('89,6 %');
    expect(percent(1)).toBe('100 %');
    expect(percent(0.57)).toBe('57 %');
    expect(percent(null)).toBe('–');
  });
});
