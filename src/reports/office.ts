// The social-insurance office that issues a form, named from the province code (mã tỉnh) the data carries.
import { cccdProvinceName } from '../domain/provinces.js';

// Centrally governed cities are "thành phố", everything else "tỉnh".
const CITIES = new Set(['001', '031', '048', '079', '092']);

/**
 * Province codes arrive either as the 3-digit code of the ĐDCN (`079`) or as the 2-digit administrative code
 * the social-insurance software uses (`79`); both name the same province.
 */
function provinceKey(maTinh: string): string | null {
  if (/^\d{3}$/.test(maTinh)) return maTinh;
  // Stryker disable next-line ConditionalExpression,Regex: a code it lets through becomes 0<code>, no three-digit province code either: unknown, as before
  if (/^\d{2}$/.test(maTinh)) return `0${maTinh}`;
  return null;
}

export interface Province {
  name: string | null; // null: a code we do not know
  city: boolean;
}

export function province(maTinh: string | null): Province {
  const key = maTinh === null ? null : provinceKey(maTinh);
  const name = key === null ? undefined : cccdProvinceName(key);
  return { name: name ?? null, city: key !== null && CITIES.has(key) };
}

/** `Hồ Chí Minh`, or `Tỉnh mã 99` for a code we cannot name. */
export function provinceLabel(maTinh: string | null): string {
  if (maTinh === null) return '(chưa có mã tỉnh)';
  return province(maTinh).name ?? `Tỉnh mã ${maTinh}`;
}

/** The issuing office as printed in capitals at the top left: `BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH`. */
export function officeName(maTinh: string | null): string {
  const p = province(maTinh);
  if (p.name === null) return maTinh ? `BẢO HIỂM XÃ HỘI TỈNH (MÃ ${maTinh})` : 'BẢO HIỂM XÃ HỘI TỈNH ……';
  return `BẢO HIỂM XÃ HỘI ${p.city ? 'THÀNH PHỐ' : 'TỈNH'} ${p.name.toLocaleUpperCase('vi')}`;
}

/** The place in the date line above the signatures, or dots to fill in. */
export function placeName(maTinh: string | null): string {
  return province(maTinh).name ?? '……………';
}

export const PARENT_OFFICE = 'BẢO HIỂM XÃ HỘI VIỆT NAM';
