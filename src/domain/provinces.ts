// Province-of-birth codes: the first three digits of a 12-digit ĐDCN/CCCD (mã tỉnh nơi đăng ký khai sinh).
// Copied from shared/reference/cccd-province-codes.csv: that file is not shipped beside the code.

export interface CccdProvince {
  code: string; // 3 digits
  name: string;
}

export const CCCD_PROVINCES: readonly CccdProvince[] = [
  { code: '001', name: 'Hà Nội' },
  { code: '002', name: 'Hà Giang' },
  { code: '004', name: 'Cao Bằng' },
  { code: '006', name: 'Bắc Kạn' },
  { code: '008', name: 'Tuyên Quang' },
  { code: '010', name: 'Lào Cai' },
  { code: '011', name: 'Điện Biên' },
  { code: '012', name: 'Lai Châu' },
  { code: '014', name: 'Sơn La' },
  { code: '015', name: 'Yên Bái' },
  { code: '017', name: 'Hòa Bình' },
  { code: '019', name: 'Thái Nguyên' },
  { code: '020', name: 'Lạng Sơn' },
  { code: '022', name: 'Quảng Ninh' },
  { code: '024', name: 'Bắc Giang' },
  { code: '025', name: 'Phú Thọ' },
  { code: '026', name: 'Vĩnh Phúc' },
  { code: '027', name: 'Bắc Ninh' },
  { code: '030', name: 'Hải Dương' },
  { code: '031', name: 'Hải Phòng' },
  { code: '033', name: 'Hưng Yên' },
  { code: '034', name: 'Thái Bình' },
  { code: '035', name: 'Hà Nam' },
  { code: '036', name: 'Nam Định' },
  { code: '037', name: 'Ninh Bình' },
  { code: '038', name: 'Thanh Hóa' },
  { code: '040', name: 'Nghệ An' },
  { code: '042', name: 'Hà Tĩnh' },
  { code: '044', name: 'Quảng Bình' },
  { code: '045', name: 'Quảng Trị' },
  { code: '046', name: 'Thừa Thiên Huế' },
  { code: '048', name: 'Đà Nẵng' },
  { code: '049', name: 'Quảng Nam' },
  { code: '051', name: 'Quảng Ngãi' },
  { code: '052', name: 'Bình Định' },
  { code: '054', name: 'Phú Yên' },
  { code: '056', name: 'Khánh Hòa' },
  { code: '058', name: 'Ninh Thuận' },
  { code: '060', name: 'Bình Thuận' },
  { code: '062', name: 'Kon Tum' },
  { code: '064', name: 'Gia Lai' },
  { code: '066', name: 'Đắk Lắk' },
  { code: '067', name: 'Đắk Nông' },
  { code: '068', name: 'Lâm Đồng' },
  { code: '070', name: 'Bình Phước' },
  { code: '072', name: 'Tây Ninh' },
  { code: '074', name: 'Bình Dương' },
  { code: '075', name: 'Đồng Nai' },
  { code: '077', name: 'Bà Rịa - Vũng Tàu' },
  { code: '079', name: 'Hồ Chí Minh' },
  { code: '080', name: 'Long An' },
  { code: '082', name: 'Tiền Giang' },
  { code: '083', name: 'Bến Tre' },
  { code: '084', name: 'Trà Vinh' },
  { code: '086', name: 'Vĩnh Long' },
  { code: '087', name: 'Đồng Tháp' },
  { code: '089', name: 'An Giang' },
  { code: '091', name: 'Kiên Giang' },
  { code: '092', name: 'Cần Thơ' },
  { code: '093', name: 'Hậu Giang' },
  { code: '094', name: 'Sóc Trăng' },
  { code: '095', name: 'Bạc Liêu' },
  { code: '096', name: 'Cà Mau' },
];

const NAMES = new Map(CCCD_PROVINCES.map((p) => [p.code, p.name]));

export function isCccdProvinceCode(code: string): boolean {
  return NAMES.has(code);
}

export function cccdProvinceName(code: string): string | undefined {
  return NAMES.get(code);
}

/**
 * A province code in the 3-digit form of the ĐDCN (`079`), as targets are kept and matched and the forms name a
 * province: the leading zeros a spreadsheet's number cell or the 2-digit administrative code the social-insurance
 * software uses left out put back (`1`, `01` → `001`; `79` → `079`). Anything else is kept as it is, and names no
 * province.
 */
export const provinceKey = (code: string): string => (/^\d{1,2}$/.test(code) ? code.padStart(3, '0') : code);

/**
 * A district code as targets are kept and matched and accounts are given: 3 digits, the leading zeros a
 * spreadsheet's number cell left out put back (`1` → `001`), as provinceKey does for the province. Anything else as
 * it is.
 */
export const districtKey = (code: string): string => (/^\d{1,2}$/.test(code) ? code.padStart(3, '0') : code);
