// Word lists for synthetic people and managing units. Kept apart from the generator so the logic stays readable.

export interface NamePart {
  text: string; // NFC, the registry's spelling (new-style tone placement: Hòa, Thủy)
  ascii: string; // lower case, no diacritics: for made-up e-mail addresses
  oldStyle: string | null; // the same name with old-style tone placement (Hoà, Thuỷ), when the two differ
}

const toAscii = (s: string): string =>
  s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

// Open syllables oa/oe/uy take the tone on the first vowel in the old style (hoà) and the second in the new (hòa).
const OLD_STYLE: Readonly<Record<string, string>> = {
  Hòa: 'Hoà',
  Thủy: 'Thuỷ',
  Khỏe: 'Khoẻ',
  Thúy: 'Thuý',
  Thùy: 'Thuỳ',
};

function parts(words: readonly string[]): NamePart[] {
  return words.map((text) => ({ text, ascii: toAscii(text), oldStyle: OLD_STYLE[text] ?? null }));
}

/** Family names (họ) with rough population weights in percent, so Nguyễn dominates as it does in life. */
export const FAMILY_NAMES: readonly NamePart[] = parts([
  'Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý',
  'Đinh', 'Trương', 'Mai', 'Lưu',
]);
export const FAMILY_WEIGHTS: readonly number[] = [38, 11, 9.5, 7, 5, 4, 4.5, 4, 3, 2, 2, 1.5, 1.3, 1.3, 1, 0.5, 1, 1, 0.7, 0.5];

export const MIDDLE_MALE: readonly NamePart[] = parts([
  'Văn', 'Văn', 'Văn', 'Hữu', 'Đức', 'Minh', 'Thanh', 'Quang', 'Công', 'Xuân', 'Đình', 'Ngọc', 'Anh', 'Trọng',
]);
export const MIDDLE_FEMALE: readonly NamePart[] = parts([
  'Thị', 'Thị', 'Thị', 'Thị', 'Ngọc', 'Thu', 'Minh', 'Thanh', 'Kim', 'Thùy', 'Bảo', 'Hồng', 'Phương',
]);
/** A second middle name for some women (Nguyễn Thị Thu Hương). */
export const MIDDLE_EXTRA: readonly NamePart[] = parts(['Thu', 'Ngọc', 'Minh', 'Kim', 'Thanh', 'Mỹ', 'Diệu']);

// Given names must differ under the matching rules (no two equal after folding tone placement), because the
// "different name" case swaps one for another and relies on that being a mismatch.
export const GIVEN_MALE: readonly NamePart[] = parts([
  'Hùng', 'Hưng', 'Dũng', 'Tuấn', 'Khỏe', 'Hòa', 'Nam', 'Long', 'Minh', 'Quân', 'Sơn', 'Thắng', 'Cường', 'Hải',
  'Hiếu', 'Phúc', 'Tùng', 'Đạt', 'Khoa', 'Trung', 'Huy', 'Lộc', 'Bình', 'Toàn', 'Quý', 'Thịnh', 'Khải', 'Đông',
]);
export const GIVEN_FEMALE: readonly NamePart[] = parts([
  'Lan', 'Hương', 'Thủy', 'Hòa', 'Mai', 'Hoa', 'Hạnh', 'Linh', 'Trang', 'Thảo', 'Hằng', 'Phương', 'Yến', 'Nhung',
  'Huyền', 'Thúy', 'Loan', 'Nga', 'Oanh', 'Quỳnh', 'Vy', 'Chi', 'Ánh', 'Tuyết', 'Diệp', 'Thùy', 'Khuê', 'Dung',
]);

/**
 * Managing units (đơn vị quản lý). The first eight read right for the demo fixture (Hà Nội units first, then
 * Hồ Chí Minh); beyond the list, names repeat with a branch suffix.
 */
export const UNIT_NAMES: readonly string[] = [
  'Trường THPT Chu Văn An',
  'Công ty Cổ phần Bánh kẹo Hải Hà',
  'Bệnh viện Đa khoa Đống Đa',
  'Công ty TNHH Phần mềm Sông Hồng',
  'Công ty TNHH May Việt Tiến',
  'Trường THPT Lê Quý Đôn',
  'Công ty Cổ phần Vận tải Sài Gòn',
  'Bệnh viện Quận Bình Thạnh',
  'Công ty TNHH Thương mại Hoàng Long',
  'Hợp tác xã Nông nghiệp Tân Phú',
  'Trường Tiểu học Kim Đồng',
  'Công ty Cổ phần Xây dựng Thăng Long',
  'Ủy ban nhân dân xã Hòa Bình',
  'Công ty TNHH Điện tử Phương Nam',
  'Trung tâm Y tế huyện Đông Anh',
  'Công ty Cổ phần Thủy sản Minh Phú',
];

export const STREETS: readonly string[] = [
  'Lê Lợi', 'Nguyễn Huệ', 'Trần Hưng Đạo', 'Hai Bà Trưng', 'Lý Thường Kiệt', 'Điện Biên Phủ', 'Nguyễn Trãi',
  'Quang Trung', 'Phan Đình Phùng', 'Cách Mạng Tháng Tám', 'Hùng Vương', 'Lê Duẩn',
];

export const MAIL_DOMAINS: readonly string[] = ['example.com', 'example.vn', 'example.org'];
