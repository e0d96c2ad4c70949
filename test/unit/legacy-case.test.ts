// TCVN3 (VN3) has no capitals with a tone: a clerk typed them in lower case in a capitals font, so the case of a
// converted name comes back from its words. Names in capitals, in title case, in lower case, and mixed (a family
// name in capitals), with toned capitals first, inside and last: each comes back exactly as it was written.
import { describe, expect, it } from 'vitest';
import {
  decodeDoubleUtf8, decodeTcvn3, decodeVni, encodeDoubleUtf8, encodeTcvn3, fixLegacyText, isVietnameseText,
} from '../../src/domain/legacy-text.js';

const WRITTEN = [
  'NGUYỄN VĂN ÁNH', 'Nguyễn Văn Ánh', 'nguyễn văn ánh', 'NGUYỄN Văn Ánh', 'LÊ ÂN', 'Lê Ân', 'Ân Lê', 'ĐỖ ĂN', 'Đỗ Ăn',
  'Trần Thị Ứng', 'TRẦN THỊ ỨNG', 'Ứng Trần', 'ỨNG TRẦN', 'Lý Ánh', 'LÝ ÁNH', 'Số 12, Ngõ Ánh Dương',
  // a given name in capitals after a name in title case: the word's capitals decide, to its last letter
  'Nguyễn Văn LỘC', 'Lê Văn AN',
  // few letters of plain ASCII to judge the case by: two capitals make a name in capitals, one does not
  'LỮ LỢI', 'Lư',
  // two capitals of their own (Đ, I) in the whole name, none after the code of Ỗ in its word: that word is in capitals too
  'ĐỖ ÁI',
];

describe('the case of a name converted from TCVN3', () => {
  it.each(WRITTEN)('%s comes back as written', (name) => {
    const legacy = encodeTcvn3(name);
    expect(legacy).not.toBe(name);
    expect(decodeTcvn3(legacy)).toBe(name);
    expect(fixLegacyText(legacy)).toEqual({ text: name, from: 'TCVN3' });
  });
});

describe('what counts as Vietnamese text', () => {
  it('any case, separators at either end, digits as house numbers; never empty, never two tones in a word', () => {
    expect(['NGUYỄN VĂN AN', ' Hà Nội ', 'Số 12, ngõ 3/5 (khu phố 2) – Hà Nội.', 'Toán'].filter((t) => !isVietnameseText(t))).toEqual([]);
    expect(['', ' , ', 'Tóán', 'Hòà Bình'].filter((t) => isVietnameseText(t))).toEqual([]);
  });
});

describe('a genuine name that also reads as Vietnamese in a legacy encoding', () => {
  // Hoàng read as VNI is Hồng, Bùi read as TCVN3 is Bựi: every word of these is a syllable both ways, and only how
  // name-like each reading is tells them apart.
  // Unit names too: a court (Tòa án, TCVN3 "Tũa ỏn") and a word no name holds (Chè, TCVN3 "Chố") score no name
  // syllable either way, and a tie keeps the text as it is.
  it.each(['Hoàng Công Toàn', 'Bùi Hùng Tùng', 'Ngô Hòa', 'Võ Phúc Bình', 'Lê Quân', 'Hòa', 'Tòa án nhân dân', 'Chè', 'Tòa'])('%s is left as it is', (name) => {
    expect(fixLegacyText(name)).toBeNull();
  });
});

describe('a legacy name that reads as Vietnamese in both encodings', () => {
  // Phan Minh Yến typed in TCVN3 is "Phan Minh YÕn"; read as VNI that is "Phan Minh Ỹn", Vietnamese too (Ỹ is a
  // valid letter), and VNI is tried first. The likelier name must win whichever reading came first: TCVN3's here,
  // VNI's for Lê Minh Hưng typed in VNI ("Leâ Minh Höng", in TCVN3 "Leõ Minh Hửng"). Found by searching the
  // synthetic names for texts that decode both ways.
  it.each([
    ['Phan Minh YÕn', 'Phan Minh Yến', 'TCVN3'],
    ['PHAN MINH YÕN', 'PHAN MINH YẾN', 'TCVN3'],
    ['Leâ Minh Höng', 'Lê Minh Hưng', 'VNI'],
    // No name syllable either way (Trưng / Trửng, Phủ / Phuỷ score alike): the tie goes to VNI, which is right here.
    ['Tröng', 'Trưng', 'VNI'],
    ['Phuû', 'Phủ', 'VNI'],
  ])('%s is %s (%s)', (legacy, name, from) => {
    expect(decodeVni(legacy)).not.toBeNull();
    expect(decodeTcvn3(legacy)).not.toBeNull();
    expect(fixLegacyText(legacy)).toEqual({ text: name, from });
  });
});

describe('the decoders, on text that is not in their encoding', () => {
  it('give nothing for a character their encoding does not have, or for text that reads the same', () => {
    expect(decodeTcvn3('Łukasz')).toBeNull();
    expect(decodeVni('Łukasz')).toBeNull();
    expect(decodeDoubleUtf8('Łukasz')).toBeNull();
    expect(decodeDoubleUtf8('Nguyen Van An')).toBeNull();
  });

  it('write and read UTF-8 decoded twice as Windows shows it, € for the byte 0x80 included', () => {
    expect(encodeDoubleUtf8('Nguyễn Văn Ề')).toBe('Nguyá»…n VÄƒn á»€');
    expect(decodeDoubleUtf8('Nguyá»…n VÄƒn á»€')).toBe('Nguyễn Văn Ề');
  });
});
