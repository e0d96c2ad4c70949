// Where `ddcn lists` puts its files: DIR/<ma_tinh>/<ma_don_vi>/mau01.xlsx, …/mau02.xlsx, DIR/<ma_tinh>/de-nghi-ho-tro.xlsx.
import path from 'node:path';
import type { FormKind } from './list-row.js';

export const FILE_NAMES: Record<FormKind, string> = {
  mau01: 'mau01.xlsx',
  mau02: 'mau02.xlsx',
  'ho-tro': 'de-nghi-ho-tro.xlsx',
};

export const NO_PROVINCE = '_chua-co-ma-tinh';
export const NO_UNIT = '_chua-co-ma-don-vi';

/**
 * A code as a directory name. Codes come from data files, so anything but letters, digits, `_` and `-` becomes
 * `_`: no separators, no `..`, nothing outside DIR.
 */
export function pathSegment(code: string | null, missing: string): string {
  if (code === null || code.trim() === '') return missing;
  return code.normalize('NFC').replace(/[^\p{L}\p{N}_-]/gu, '_');
}

export function provinceDir(out: string, maTinh: string | null): string {
  return path.join(out, pathSegment(maTinh, NO_PROVINCE));
}

export function unitDir(out: string, maTinh: string | null, maDonVi: string | null): string {
  return path.join(provinceDir(out, maTinh), pathSegment(maDonVi, NO_UNIT));
}
