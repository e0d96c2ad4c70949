// Numbers for synthetic data: the PRNG, ĐDCN structure, and digit strings made without number-to-text calls.

import { mulberry32 } from '../../src/prng.js';

export { mulberry32 };

/** ĐDCN digit 4: century and sex (0/1 = 1900s male/female, 2/3 = 2000s). */
export function centuryDigit(male: boolean, year: number): number {
  return (Math.floor(year / 100) - 19) * 2 + (male ? 0 : 1);
}

/** A 12-digit ĐDCN/CCCD: province of birth + century/sex + 2 year digits + 6-digit serial. */
export function makeDdcn(province: string, male: boolean, year: number, serial: number): string {
  return province + String(centuryDigit(male, year)) + pad2(year % 100) + String(serial).padStart(6, '0');
}

const PAD2 = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
export const pad2 = (n: number): string => PAD2[n] ?? String(n).padStart(2, '0');
// Digit strings from lookup tables: turning numbers above 2^31 into text is slow in V8, and the benchmark
// formats three numbers per row.
const PAD3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const pad3 = (n: number): string => PAD3[n] ?? '000';
export const digits6 = (n: number): string => pad3((n / 1000) | 0) + pad3(n % 1000);
export const digits9 = (n: number): string => pad3((n / 1e6) | 0) + digits6(n % 1e6);
export const digits10 = (n: number): string => String(Math.floor(n / 1e9)) + digits9(n % 1e9);

/** Random draws of 16 bits, two per 32-bit PRNG output: the benchmark needs ~20 decisions per row. */
export function draws(seed: number): { below: (n: number) => number; chance: (p: number) => boolean } {
  const next = mulberry32(seed);
  let pool = 0;
  let spare = false;
  const r16 = (): number => {
    if (spare) {
      spare = false;
      return pool >>> 16;
    }
    pool = (next() * 4294967296) >>> 0;
    spare = true;
    return pool & 0xffff;
  };
  return { below: (n) => (r16() * n) >>> 16, chance: (p) => r16() < p * 65536 };
}

