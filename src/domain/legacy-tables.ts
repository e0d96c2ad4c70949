// The legacy Vietnamese font encodings still found in old spreadsheets, as their text reads once the file was saved
// as Unicode on a Windows machine (each byte taken as the Windows-1252 character of the same code). iconv-lite
// does not cover them; the tables are written from the standards.

/** Vowels with their tones, in the order: no tone, sắc, huyền, hỏi, ngã, nặng. */
export const VOWELS: Readonly<Record<string, readonly string[]>> = {
  a: ['a', 'á', 'à', 'ả', 'ã', 'ạ'],
  ă: ['ă', 'ắ', 'ằ', 'ẳ', 'ẵ', 'ặ'],
  â: ['â', 'ấ', 'ầ', 'ẩ', 'ẫ', 'ậ'],
  e: ['e', 'é', 'è', 'ẻ', 'ẽ', 'ẹ'],
  ê: ['ê', 'ế', 'ề', 'ể', 'ễ', 'ệ'],
  i: ['i', 'í', 'ì', 'ỉ', 'ĩ', 'ị'],
  o: ['o', 'ó', 'ò', 'ỏ', 'õ', 'ọ'],
  ô: ['ô', 'ố', 'ồ', 'ổ', 'ỗ', 'ộ'],
  ơ: ['ơ', 'ớ', 'ờ', 'ở', 'ỡ', 'ợ'],
  u: ['u', 'ú', 'ù', 'ủ', 'ũ', 'ụ'],
  ư: ['ư', 'ứ', 'ừ', 'ử', 'ữ', 'ự'],
  y: ['y', 'ý', 'ỳ', 'ỷ', 'ỹ', 'ỵ'],
};

/**
 * TCVN 5712:1993, the VN3 set of the ABC fonts (.VnTime …): one byte per letter. VN3 has codes for lower-case letters
 * only, plus the seven capitals Ă Â Ê Ô Ơ Ư Đ; capitals with a tone were typed with the lower-case code in a
 * capitals font (.VnTimeH), so they come back as lower case and the reader restores the case from the word.
 * Each entry: the letter, then its byte in the order no tone, sắc, huyền, hỏi, ngã, nặng.
 */
const TCVN3_BYTES: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['a', [0x61, 0xb8, 0xb5, 0xb6, 0xb7, 0xb9]],
  ['ă', [0xa8, 0xbe, 0xbb, 0xbc, 0xbd, 0xc6]],
  ['â', [0xa9, 0xca, 0xc7, 0xc8, 0xc9, 0xcb]],
  ['e', [0x65, 0xd0, 0xcc, 0xce, 0xcf, 0xd1]],
  ['ê', [0xaa, 0xd5, 0xd2, 0xd3, 0xd4, 0xd6]],
  ['i', [0x69, 0xdd, 0xd7, 0xd8, 0xdc, 0xde]],
  ['o', [0x6f, 0xe3, 0xdf, 0xe1, 0xe2, 0xe4]],
  ['ô', [0xab, 0xe8, 0xe5, 0xe6, 0xe7, 0xe9]],
  ['ơ', [0xac, 0xed, 0xea, 0xeb, 0xec, 0xee]],
  ['u', [0x75, 0xf3, 0xef, 0xf1, 0xf2, 0xf4]],
  ['ư', [0xad, 0xf8, 0xf5, 0xf6, 0xf7, 0xf9]],
  ['y', [0x79, 0xfd, 0xfa, 0xfb, 0xfc, 0xfe]],
];
const TCVN3_OTHER: ReadonlyArray<readonly [string, number]> = [
  ['đ', 0xae], ['Ă', 0xa1], ['Â', 0xa2], ['Ê', 0xa3], ['Ô', 0xa4], ['Ơ', 0xa5], ['Ư', 0xa6], ['Đ', 0xa7],
];

/** Unicode letter → its TCVN3 character (as read through Windows-1252), for every lower-case letter and the 7 capitals. */
export const TCVN3_ENCODE: ReadonlyMap<string, string> = new Map([
  ...TCVN3_BYTES.flatMap(([v, bytes]) => bytes.map((b, t) => [VOWELS[v]![t]!, String.fromCharCode(b)] as [string, string])),
  ...TCVN3_OTHER.map(([l, b]) => [l, String.fromCharCode(b)] as [string, string]),
]);

/** TCVN3 character → Unicode letter (ASCII letters, which map to themselves, are left out). */
export const TCVN3_DECODE: ReadonlyMap<string, string> = new Map(
  [...TCVN3_ENCODE].filter(([, c]) => c.charCodeAt(0) > 0x7f).map(([l, c]) => [c, l]),
);

/**
 * VNI-Windows: a base letter followed by a mark character (the tone, or the hat or horn and the tone together).
 * i with a tone, ơ, ư, ỵ and đ have characters of their own. Capitals use the capital forms of the same marks.
 * Each entry: the letter, then its code in the order no tone, sắc, huyền, hỏi, ngã, nặng (lower case).
 */
const VNI_CODES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['a', ['a', 'aù', 'aø', 'aû', 'aõ', 'aï']],
  ['ă', ['aê', 'aé', 'aè', 'aú', 'aü', 'aë']],
  ['â', ['aâ', 'aá', 'aà', 'aå', 'aã', 'aä']],
  ['e', ['e', 'eù', 'eø', 'eû', 'eõ', 'eï']],
  ['ê', ['eâ', 'eá', 'eà', 'eå', 'eã', 'eä']],
  ['i', ['i', 'í', 'ì', 'æ', 'ó', 'ò']],
  ['o', ['o', 'où', 'oø', 'oû', 'oõ', 'oï']],
  ['ô', ['oâ', 'oá', 'oà', 'oå', 'oã', 'oä']],
  ['ơ', ['ô', 'ôù', 'ôø', 'ôû', 'ôõ', 'ôï']],
  ['u', ['u', 'uù', 'uø', 'uû', 'uõ', 'uï']],
  ['ư', ['ö', 'öù', 'öø', 'öû', 'öõ', 'öï']],
  ['y', ['y', 'yù', 'yø', 'yû', 'yõ', 'î']],
];

/** Unicode letter (both cases) → its VNI-Windows characters. */
export const VNI_ENCODE: ReadonlyMap<string, string> = new Map([
  ...VNI_CODES.flatMap(([v, codes]) =>
    codes.flatMap((code, t) => {
      const letter = VOWELS[v]![t]!;
      return [[letter, code], [letter.toUpperCase(), code.toUpperCase()]] as Array<[string, string]>;
    }),
  ),
  ['đ', 'ñ'],
  ['Đ', 'Ñ'],
]);

/** VNI-Windows code (one or two characters) → Unicode letter; only codes that are not plain ASCII. */
export const VNI_DECODE: ReadonlyMap<string, string> = new Map(
  [...VNI_ENCODE].filter(([, code]) => [...code].some((c) => c.charCodeAt(0) > 0x7f)).map(([l, code]) => [code, l]),
);
