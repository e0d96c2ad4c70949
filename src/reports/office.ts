// The social-insurance office that issues a form, named from the province code (mã tỉnh) the data carries.
import { cccdProvinceName, provinceKey } from '../domain/provinces.js';
import { districtName } from './districts.js';

export const PARENT_OFFICE = 'BẢO HIỂM XÃ HỘI VIỆT NAM';

// Centrally governed cities are "thành phố", everything else "tỉnh".
const CITIES = new Set(['001', '031', '048', '079', '092']);

interface Province {
  name: string;
  city: boolean;
}

/** The province a code names, or null for no code or one we do not know. */
function province(maTinh: string | null): Province | null {
  if (maTinh === null) return null;
  const key = provinceKey(maTinh);
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

/** A district office in capitals: `BẢO HIỂM XÃ HỘI QUẬN BA ĐÌNH`, with the code for one not in the reference list. */
export function districtOfficeName(maTinh: string, maHuyen: string): string {
  const name = districtName(maTinh, maHuyen);
  return name ? `BẢO HIỂM XÃ HỘI ${name.toLocaleUpperCase('vi')}` : `BẢO HIỂM XÃ HỘI QUẬN, HUYỆN (MÃ ${maHuyen})`;
}

/**
 * The width (in column-width units) the office lines need to stand on one line each: capitals in bold take ~1.2 of
 * a unit each (`BẢO HIỂM XÃ HỘI THÀNH PHỐ PHAN RANG-THÁP CHÀM`, 45 characters, the longest district office), and
 * never less than 40. The lists and Mẫu 03 both lay their office block out by it.
 */
export const officeBlockWidth = (...lines: string[]): number => Math.max(40, Math.ceil(Math.max(...lines.map((l) => l.length)) * 1.2));

/**
 * The two lines at the top left of a form: the office above, then the issuing office (bold). A province office
 * issues under Bảo hiểm xã hội Việt Nam; a district office (`maHuyen`) under its province's office.
 */
export function issuingOffices(maTinh: string | null, maHuyen: string | null = null): [above: string, issuer: string] {
  if (maTinh !== null && maHuyen !== null) return [officeName(maTinh), districtOfficeName(maTinh, maHuyen)];
  return [PARENT_OFFICE, officeName(maTinh)];
}

/**
 * The district office that issues a unit's list of the people of `province`: the unit's own district office when
 * it is of that province; else (no district, or a unit managed in another province) null, the province office.
 */
export function issuingDistrict(province: string | null, unit: { maTinh: string | null; maHuyen: string | null } | undefined): string | null {
  if (province === null || !unit?.maTinh || !unit.maHuyen) return null;
  return provinceKey(unit.maTinh) === provinceKey(province) ? unit.maHuyen : null;
}

/**
 * The place in the date line above the signatures, or dots to fill in. A district office's is its district, named
 * in full as the reference list names it (`Quận Ba Đình`, `Quận 1`, `Huyện Gia Lâm`): Nghị định 30/2020 writes a
 * name made of digits or a person's name in full, and the level word keeps every other name plain too.
 */
export function placeName(maTinh: string | null, maHuyen: string | null = null): string {
  if (maTinh !== null && maHuyen !== null) {
    const name = districtName(maTinh, maHuyen);
    if (name !== null) return name;
  }
  const p = province(maTinh);
  if (p === null) return '……………';
  // `Hồ Chí Minh, ngày …` would name the man, not the city: the city is named in full.
  return p.name === 'Hồ Chí Minh' ? 'Thành phố Hồ Chí Minh' : p.name;
}

