// The social-insurance office that issues a form, named from the province code (mã tỉnh) the data carries.
import { cccdProvinceCode, cccdProvinceName } from '../domain/provinces.js';

// Centrally governed cities are "thành phố", everything else "tỉnh".
const CITIES = new Set(['001', '031', '048', '079', '092']);

interface Province {
  name: string;
  city: boolean;
}

/** The province a code names, or null for no code or one we do not know. */
function province(maTinh: string | null): Province | null {
  if (maTinh === null) return null;
  const key = cccdProvinceCode(maTinh);
  const name = cccdProvinceName(key);
  return name === undefined ? null : { name, city: CITIES.has(key) };
}

/** `Hồ Chí Minh`, or `Tỉnh mã 99` for a code we cannot name. */
export function provinceLabel(maTinh: string | null): string {
  if (maTinh === null) return '(chưa có mã tỉnh)';
  return province(maTinh)?.name ?? `Tỉnh mã ${maTinh}`;
}

/** The office named in a sentence, as the head names it in capitals: `Bảo hiểm xã hội thành phố Hồ Chí Minh`. */
export function officeInText(maTinh: string | null): string {
  const p = province(maTinh);
  if (p === null) return maTinh ? `Bảo hiểm xã hội tỉnh (mã ${maTinh})` : 'Bảo hiểm xã hội tỉnh ……';
  return `Bảo hiểm xã hội ${p.city ? 'thành phố' : 'tỉnh'} ${p.name}`;
}

/** The issuing office as printed in capitals at the top left: `BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH`. */
export function officeName(maTinh: string | null): string {
  const p = province(maTinh);
  if (p === null) return maTinh ? `BẢO HIỂM XÃ HỘI TỈNH (MÃ ${maTinh})` : 'BẢO HIỂM XÃ HỘI TỈNH ……';
  return `BẢO HIỂM XÃ HỘI ${p.city ? 'THÀNH PHỐ' : 'TỈNH'} ${p.name.toLocaleUpperCase('vi')}`;
}

/** The place in the date line above the signatures, or dots to fill in. */
export function placeName(maTinh: string | null): string {
  const p = province(maTinh);
  if (p === null) return '……………';
  // `Hồ Chí Minh, ngày …` would name the man, not the city: the city is named in full.
  return p.name === 'Hồ Chí Minh' ? 'Thành phố Hồ Chí Minh' : p.name;
}

export const PARENT_OFFICE = 'BẢO HIỂM XÃ HỘI VIỆT NAM';
