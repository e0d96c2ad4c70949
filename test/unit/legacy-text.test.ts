import { describe, expect, it } from 'vitest';
import {
  decodeDoubleUtf8, decodeTcvn3, decodeVni, encodeDoubleUtf8, encodeTcvn3, encodeVni, fixLegacyText, isVietnameseText,
} from '../../src/domain/legacy-text.js';
import { TCVN3_DECODE, VOWELS } from '../../src/domain/legacy-tables.js';
import * as W from '../../scripts/lib/synth-names.js';

const LOWER = [...Object.values(VOWELS).flat(), 'đ'];
const UPPER = LOWER.map((l) => l.toUpperCase());

describe('the legacy tables, both ways, on every Vietnamese letter with every tone', () => {
  it('TCVN3: every lower-case letter and the seven capitals have a code of their own and come back from it', () => {
    const codes = new Set<string>();
    for (const l of [...LOWER, 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ']) {
      const code = encodeTcvn3(l);
      expect(code).toHaveLength(1);
      if (/^[aeiouy]$/.test(code)) continue; // the six plain vowels are ASCII
      codes.add(code);
      expect(TCVN3_DECODE.get(code)).toBe(l);
      expect(decodeTcvn3(`th${code}`)).toBe(`th${l}`); // in a word: the case is that of the code
    }
    expect(codes.size).toBe(LOWER.length - 6 + 7); // one code each, none shared
    // the issue's own example, as it reads once saved as UTF-8
    expect(decodeTcvn3('NguyÔn V¨n Hïng')).toBe('Nguyễn Văn Hùng');
  });

  it('TCVN3: capitals with a tone (typed in lower case in a capitals font) come back from the case of the word', () => {
    for (const u of UPPER) expect(decodeTcvn3(encodeTcvn3(`${u}NH`))).toBe(`${u}NH`);
  });

  it('VNI-Windows: every letter in both cases', () => {
    for (const l of [...LOWER, ...UPPER]) {
      const code = encodeVni(l);
      if (!/^[a-zA-Z]$/.test(code)) expect(decodeVni(code)).toBe(l);
    }
    expect(decodeVni('Nguyeãn Vaên Huøng')).toBe('Nguyễn Văn Hùng');
  });

  it('UTF-8 decoded twice: every letter in both cases', () => {
    for (const l of [...LOWER, ...UPPER].filter((c) => /[^a-zA-Z]/.test(c))) expect(decodeDoubleUtf8(encodeDoubleUtf8(l))).toBe(l);
    expect(decodeDoubleUtf8('Nguyá»…n')).toBe('Nguyễn');
  });
});

/** 384 names: every family name with middle and given names, in turn. */
function names(): string[] {
  const out: string[] = [];
  const middles = [...W.MIDDLE_MALE, ...W.MIDDLE_FEMALE, ...W.MIDDLE_EXTRA];
  const givens = [...W.GIVEN_MALE, ...W.GIVEN_FEMALE];
  for (let i = 0; out.length < 384; i++) {
    const f = W.FAMILY_NAMES[i % W.FAMILY_NAMES.length]!.text;
    const m = middles[(i * 7) % middles.length]!.text;
    const g = givens[(i * 13) % givens.length]!.text;
    out.push(i % 5 === 4 ? `${f} ${m} ${g}`.toUpperCase() : `${f} ${m} ${g}`);
  }
  return out;
}

describe('whole names', () => {
  const all = names();

  it.each([
    ['TCVN3', encodeTcvn3],
    ['VNI', encodeVni],
    ['UTF-8', encodeDoubleUtf8],
  ] as const)('finds and converts all 384 names written in %s', (from, encode) => {
    const missed: string[] = [];
    for (const n of all) {
      const legacy = encode(n);
      const fixed = fixLegacyText(legacy);
      if (legacy === n) continue; // a name of plain letters reads the same in every encoding
      if (fixed?.text !== n || fixed.from !== from) missed.push(`${n} ← ${legacy} → ${JSON.stringify(fixed)}`);
    }
    expect(missed).toEqual([]);
  });

  it('leaves genuine Unicode names, foreign names and plain text alone', () => {
    const keep = [
      ...all, 'José', 'Müller', 'Østby', 'François', 'Nguyễn', 'Zoë Brontë', 'Renée André', 'Søren Kierkegaard',
      'Łukasz Żółć', 'Ærø', 'Björk Guðmundsdóttir', 'Đoàn Thị Điểm', 'Lê Hé', 'Hà Nội', 'Ông Bà', 'Ñoño', 'Ðinh Lê',
      'Ân', 'Ê-đê', 'Số 12 Lê Lợi, Q. 1', 'Công ty TNHH Thương mại Ánh Dương', 'O\'Brien', 'Smith', 'Trần Thị Ớt',
    ];
    const touched = keep.map((n) => [n, fixLegacyText(n)] as const).filter(([, f]) => f !== null);
    expect(touched).toEqual([]);
  });

  // Unit names and addresses are converted too, though their words are not names: any Vietnamese reading beats
  // text that is not Vietnamese at all.
  it('converts a legacy address or unit name that holds no name syllable', () => {
    for (const text of ['Số nhà 12', 'Công ty Cổ phần Xây dựng', 'Tổ 5, khu phố 3']) {
      expect(fixLegacyText(encodeTcvn3(text))).toEqual({ text, from: 'TCVN3' });
      expect(fixLegacyText(encodeVni(text))).toEqual({ text, from: 'VNI' });
    }
  });

  it('checks syllables, not just characters', () => {
    expect(isVietnameseText('Nguyễn Văn Hùng')).toBe(true);
    expect(isVietnameseText('NGUYỄN THỊ HOÀ')).toBe(true);
    expect(isVietnameseText('Mỹller')).toBe(false); // Müller read as TCVN3
    expect(isVietnameseText('Josộ')).toBe(false); // José read as TCVN3
    expect(isVietnameseText('Hùùng')).toBe(false);
  });
});
