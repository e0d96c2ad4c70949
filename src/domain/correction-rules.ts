// What a unit's correction (a returned Mẫu 02 row, or the portal's form for one person) must respect beyond being
// readable: a personal number that can be one, of this person, and a date no less precise than the one it replaces.
// Pure rules on values; src/db/corrections.ts applies them to the record the correction would change.
import { cccdBirth } from './numbers.js';
import { isCccdProvinceCode } from './provinces.js';
import { sexLabel } from './sex.js';
import type { Sex } from './types.js';

/**
 * Why a 12-digit number typed into column (13) cannot be this person's ĐDCN, or null. Its digits 1–3 are the
 * province of birth registration (a known code), digit 4 the sex and century, digits 5–6 the year (Thông tư
 * 07/2016/TT-BCA, Điều 7): a typo shows there more often than anywhere else. `sex` and `dobKey`: the person's as
 * they will be after the correction (the row's own value, else the one on file); `now`: a year still to come is
 * nobody's.
 */
export function ddcnProblem(number: string, person: { sex: Sex | null; dobKey: string | null }, now: Date): string | null {
  const province = number.slice(0, 3);
  if (!isCccdProvinceCode(province)) {
    return `Cột (13) số ĐDCN "${number}": 3 chữ số đầu (${province}) không phải mã tỉnh nơi đăng ký khai sinh — kiểm tra lại số trên thẻ CCCD`;
  }
  const { sex, year } = cccdBirth(number);
  // The year in Vietnam (UTC+7): from midnight on 1 January there, a child born that day has a number.
  if (year > new Date(now.getTime() + VIETNAM_OFFSET_MS).getUTCFullYear()) {
    return `Cột (13) số ĐDCN "${number}": chữ số thứ 4–6 cho năm sinh ${year}, chưa đến — kiểm tra lại số trên thẻ CCCD`;
  }
  const problems: string[] = [];
  if (person.sex !== null && person.sex !== sex) problems.push(`giới tính ${sexLabel(sex)}, khác giới tính ${sexLabel(person.sex)}`);
  const dobYear = person.dobKey === null ? null : Number(person.dobKey.slice(0, 4));
  if (dobYear !== null && dobYear !== year) problems.push(`năm sinh ${year}, khác năm sinh ${dobYear}`);
  if (problems.length === 0) return null;
  return (
    `Cột (13) số ĐDCN "${number}" cho ${problems.join(' và ')} của người này — kiểm tra lại số trên thẻ CCCD, ` +
    'hoặc điều chỉnh cả ngày sinh (cột 11), giới tính (cột 12) nếu thông tin đang lưu sai'
  );
}

const VIETNAM_OFFSET_MS = 7 * 3_600_000;

const PRECISION_WORDS = { 4: 'năm sinh', 7: 'tháng và năm sinh' } as const;

/**
 * Why a corrected date of birth cannot replace the one on file for lack of precision, or null. Dates compare at
 * the precision on file, so a year alone in place of a whole date would match any date of that year: refused
 * where the registry may have compared the person's date (`dobCompared`: found it different or the same), unless
 * its own date, as it disclosed it (`registryKey`), holds no more. Where it never compared it (no number on file,
 * or one it did not know), the unit's papers are all there is, and a year is taken; so is anything readable in
 * place of an unreadable or missing date.
 */
export function precisionProblem(
  newKey: string, current: { key: string | null; dobCompared: boolean }, registryKey: string | null | undefined,
): string | null {
  if (current.key === null || newKey.length >= current.key.length || !current.dobCompared) return null;
  if (registryKey && registryKey.length <= newKey.length) return null;
  const what = PRECISION_WORDS[newKey.length as 4 | 7];
  return (
    `Cột (11) chỉ ghi ${what}, trong khi ngày sinh đang lưu có đủ ${current.key.length === 10 ? 'ngày, tháng, năm' : 'tháng, năm'}: ` +
    'ghi đủ ngày, tháng, năm sinh như trên giấy tờ (nếu giấy tờ chỉ ghi năm sinh, báo cơ quan BHXH kiểm tra)'
  );
}

/**
 * A name typed all in lower case (`hồ minh toàn`), as a clerk in a hurry does, or with only its first letter
 * capitalised (`Hồ minh toàn`: LibreOffice's autocorrect capitalises the first letter of what it takes for a
 * sentence): every word capitalised, as names are written on papers and lists — after a space, a hyphen or an
 * apostrophe (`Y-Bih`, `H'Hen`, `Jean-Pierre`). A name with any other capital (`McDonald`, `van der Berg`,
 * `Nguyễn thị LAN`) is kept as typed: its capitals were typed on purpose (upper case is how the CCCD prints names).
 */
export function capitalisedName(name: string): string {
  // Everything after the first letter: a capital there was typed, not put in by autocorrect. (A name in capitals
  // has them there too; one of a single capital letter is the same capitalised.)
  const rest = name.replace(/^\P{L}*\p{L}/u, '');
  if (rest !== rest.toLocaleLowerCase('vi')) return name;
  return name.replace(/(^|[\s'’-])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toLocaleUpperCase('vi'));
}
