import { describe, expect, it } from 'vitest';
import { cleanName, nameHint, nameKey } from '../../src/domain/names.js';

const nfd = (s: string): string => s.normalize('NFD');

describe('cleanName', () => {
  it('trims, collapses inner whitespace and keeps the case as given', () => {
    expect(cleanName('  Nguyễn   Văn\tAn \u00a0')).toBe('Nguyễn Văn An');
    expect(cleanName('NGUYỄN thị hoa')).toBe('NGUYỄN thị hoa');
  });

  it('stores NFD input in NFC', () => {
    const cleaned = cleanName(nfd('Trần Thị Thuỷ'));
    expect(cleaned).toBe('Trần Thị Thuỷ'.normalize('NFC'));
    expect(cleaned.length).toBe('Trần Thị Thuỷ'.normalize('NFC').length);
  });

  it('drops zero-width characters copied along with a name', () => {
    expect(cleanName('Lê\u200b Na')).toBe('Lê Na');
  });

  it('stores Ð/ð (the Icelandic eth, typed for Đ/đ) as Đ/đ, the letters the registry has', () => {
    expect(cleanName('\u00d0inh V\u0103n \u00d0\u00f0ng')).toBe('Đinh Văn Đđng');
    expect(nameKey('\u00d0\u1ed7 \u00f0\u1ee9c')).toBe(nameKey('Đỗ đức'));
  });

  it("stores ’ and ‘ (autocorrect's apostrophes) and ʼ as ', the registry's: H’Hen Niê is H'Hen Niê", () => {
    expect(cleanName('H\u2019Hen Niê')).toBe("H'Hen Niê");
    expect(cleanName('Y\u2018Bih Ksor')).toBe("Y'Bih Ksor");
    expect(cleanName('K\u02bcBrơi')).toBe("K'Brơi");
    expect(nameKey(cleanName('H\u2019Hen Niê'))).toBe(nameKey("H'Hen Niê"));
  });
});

describe('nameKey: names that match', () => {
  it('treats old and new tone placement as the same: hoà = hòa', () => {
    expect(nameKey('Nguyễn Văn Hoà')).toBe(nameKey('Nguyễn Văn Hòa'));
  });

  it('treats old and new tone placement as the same: thuỷ = thủy', () => {
    expect(nameKey('Trần Thị Thuỷ')).toBe(nameKey('Trần Thị Thủy'));
  });

  it('treats old and new tone placement as the same: khoẻ = khỏe', () => {
    expect(nameKey('Lê Khoẻ')).toBe(nameKey('Lê Khỏe'));
  });

  it('ignores case, also across tone placement: Hoà = HÒA', () => {
    expect(nameKey('Hoà')).toBe(nameKey('HÒA'));
    expect(nameKey('nguyễn văn an')).toBe(nameKey('NGUYỄN VĂN AN'));
  });

  it('matches NFD input against NFC input', () => {
    expect(nameKey(nfd('Phạm Thị Hương'))).toBe(nameKey('Phạm Thị Hương'));
    expect(nameKey(nfd('Đỗ Thuỷ'))).toBe(nameKey('Đỗ Thủy'));
  });

  it('ignores stray spaces before, after and between the parts', () => {
    expect(nameKey('  Nguyễn  Văn   An ')).toBe(nameKey('Nguyễn Văn An'));
    expect(nameKey('Nguyễn\u00a0Văn An')).toBe(nameKey('Nguyễn Văn An'));
  });
});

describe('nameKey: names that do not match', () => {
  it('tells Hùng from Hưng (a different vowel mark)', () => {
    expect(nameKey('Nguyễn Văn Hùng')).not.toBe(nameKey('Nguyễn Văn Hưng'));
  });

  it('tells Đ from D', () => {
    expect(nameKey('Đặng Văn An')).not.toBe(nameKey('Dặng Văn An'));
    expect(nameKey('đ')).not.toBe(nameKey('d'));
  });

  it('tells ă, â and a apart, and ơ from o, ê from e', () => {
    expect(new Set(['Lăm', 'Lâm', 'Lam'].map(nameKey)).size).toBe(3);
    expect(nameKey('Sơn')).not.toBe(nameKey('Son'));
    expect(nameKey('Bên')).not.toBe(nameKey('Ben'));
  });

  it('tells one tone from another and from no tone', () => {
    const tones = ['Hoa', 'Hòa', 'Hóa', 'Hõa', 'Hỏa', 'Họa'];
    expect(new Set(tones.map(nameKey)).size).toBe(tones.length);
  });

  it('tells a different letter apart', () => {
    expect(nameKey('Nguyễn Văn An')).not.toBe(nameKey('Nguyễn Văn Ân'));
    expect(nameKey('Nguyễn Văn An')).not.toBe(nameKey('Nguyễn Văn Anh'));
  });

  it('does not match the same parts in another order', () => {
    expect(nameKey('Nguyễn Văn An')).not.toBe(nameKey('Văn Nguyễn An'));
    expect(nameKey('Nguyễn An')).not.toBe(nameKey('An Nguyễn'));
  });

  it('does not match when a tone sits on another word', () => {
    expect(nameKey('Hòa An')).not.toBe(nameKey('Hoa Àn'));
  });

  it("tells a name stored with ’ (before cleanName made it ') from the same name with ': the registry does, and ' in its place is a correction", () => {
    expect(nameKey('H\u2019Hen Niê')).not.toBe(nameKey("H'Hen Niê"));
    expect(nameKey('  h\u2019hen  NIÊ')).toBe(nameKey('H\u2019Hen Niê'));
  });

  it('does not join or split parts', () => {
    expect(nameKey('Thanh Hoa')).not.toBe(nameKey('ThanhHoa'));
  });
});

describe('nameHint', () => {
  it('names the registry word that differs only by its marks', () => {
    expect(nameHint('Nguyễn Văn Hùng', 'Nguyễn Văn Hưng')).toBe('gần giống: Hưng');
  });

  it('names the registry word for a one-letter typo', () => {
    expect(nameHint('Trần Thị Huong', 'Trần Thị Hương')).toBe('gần giống: Hương');
    expect(nameHint('Lê Văn Namm', 'Lê Văn Nam')).toBe('gần giống: Nam');
  });

  it('gives the whole registry name when the number of parts differs', () => {
    expect(nameHint('Nguyễn Thị Xuân Mai', 'Nguyễn Thị XuânMai')).toBe('gần giống: Nguyễn Thị XuânMai');
  });

  it('gives no hint when the names match', () => {
    expect(nameHint('Nguyễn Văn Hoà', 'NGUYỄN VĂN HÒA')).toBeNull();
  });

  it('gives no hint for a different person', () => {
    expect(nameHint('Nguyễn Văn An', 'Trần Thị Bình')).toBeNull();
    expect(nameHint('Lê Na', 'Lê Hải')).toBeNull();
  });

  it('gives no hint for parts in another order', () => {
    expect(nameHint('Nguyễn Văn An', 'Văn Nguyễn An')).toBeNull();
  });
});
