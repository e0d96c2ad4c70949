// Names and addresses typed in a legacy font encoding (TCVN3, VNI-Windows) or decoded twice from UTF-8, found and
// converted. A character list alone would take José or Müller for TCVN3: a text is converted only when the
// result is made of valid Vietnamese syllables and the text as given is not.
import { TCVN3_DECODE, TCVN3_ENCODE, VNI_DECODE, VNI_ENCODE, VOWELS } from './legacy-tables.js';
import { FAMILY_SYLLABLES, NAME_SYLLABLES } from './name-syllables.js';

export type LegacyEncoding = 'TCVN3' | 'VNI' | 'UTF-8';

/** How Mẫu 02 names the encoding a value was converted from. */
export const ENCODING_LABEL: Readonly<Record<LegacyEncoding, string>> = {
  TCVN3: 'mã TCVN3',
  VNI: 'mã VNI',
  'UTF-8': 'UTF-8 hai lần',
};

const NON_ASCII = /[^\p{ASCII}]/u;
// Letters only Unicode Vietnamese has: none of them is in Windows-1252 or Latin-1, so a text that holds one was not
// read from single bytes (TCVN3, VNI, UTF-8 decoded as Windows-1252) and is left alone without judging it. Most
// real names have one (Nguyễn, Văn, Thị, Đức): judging every name was ~40 % of the import's normalisation time.
const UNICODE_ONLY = /[ĂăĐđĨĩŨũƠơƯư\u1EA0-\u1EF9]/;

type Fixed = { text: string; from: LegacyEncoding } | null;

// Unit names and addresses repeat on every row of a unit, and names repeat too: each text is judged once (the
// cache is bounded; it starts over when full).
const SEEN = new Map<string, Fixed>();
const SEEN_MAX = 20_000;
/** Forgets every judged text (for the mutation runs, which run the tests again in one process: see docs/mutation-testing.md). */
// Stryker disable next-line BlockStatement: test tooling: only the Stryker set-up file calls it, the program never does
export function forgetJudgedTexts(): void {
  SEEN.clear();
}

/** The converted text and the encoding it was in, or null when the text is left as it is. */
export function fixLegacyText(text: string): Fixed {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: a shortcut: ASCII has no other reading, and a text with a letter only Unicode has (ă, ơ, ư, a precomposed tone) is no legacy text: judging them finds nothing
  if (!NON_ASCII.test(text) || UNICODE_ONLY.test(text)) return null;
  let fixed = SEEN.get(text);
  // Stryker disable next-line ConditionalExpression: a cache: a text is judged the same every time
  if (fixed === undefined) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a cache: a text is judged the same every time
    if (SEEN.size >= SEEN_MAX) SEEN.clear();
    fixed = judge(text);
    // A key of its own: the text is usually a slice of the reader's 64 KB block, and a cached slice keeps the whole
    // block alive (a 1 M-row import grew to 1.1 GB that way).
    // Stryker disable next-line StringLiteral: an empty encoding is Node's default, UTF-8, both ways
    SEEN.set(Buffer.from(text, 'utf8').toString('utf8'), fixed);
  }
  return fixed;
}

function judge(text: string): Fixed {
  const utf8 = decodeDoubleUtf8(text);
  // UTF-8 read as Windows-1252 leaves byte patterns (Ã©, á»…) that no real name has: the strict decode is the check.
  if (utf8 !== null) return { text: utf8, from: 'UTF-8' };
  // Text that is Vietnamese as it stands is kept, unless a legacy reading is a clearly likelier name: some legacy
  // spellings are valid syllables too (VNI "Hoà Thò Loan" is Hồ Thị Loan), and only their likelihood tells.
  const asIs = isVietnameseText(text) ? nameScore(text) : -1;
  let best: { text: string; from: LegacyEncoding } | null = null;
  let bestScore = asIs;
  for (const [from, decode] of [['VNI', decodeVni], ['TCVN3', decodeTcvn3]] as const) {
    const out = decode(text);
    // Stryker disable next-line ConditionalExpression: a reading equal to the text scores as the text does, never strictly more, and a text that is no Vietnamese fails the last test
    if (out === null || out === text || !isVietnameseText(out)) continue;
    const score = nameScore(out);
    // Stryker disable next-line ConditionalExpression: bestScore starts at asIs, -1 for text that is not Vietnamese, and every score is >= 0: the first reading is taken either way
    if (asIs < 0 ? best === null || score > bestScore : score > bestScore) {
      best = { text: out, from };
      bestScore = score;
    }
  }
  return best;
}

/** How name-like a Vietnamese text is: its syllables common in names, and a family name first. */
function nameScore(text: string): number {
  // Stryker disable next-line MethodExpression,Regex,ConditionalExpression,StringLiteral: the text is trimmed before it gets here (participant-row.ts), so splitting on whitespace leaves no empty word to drop
  const words = text.normalize('NFC').toLowerCase().split(/\s+/).filter((w) => w !== '');
  // Called only for Vietnamese text, which has a word: words[0] is there.
  return words.filter((w) => NAME_SYLLABLES.has(w)).length + (FAMILY_SYLLABLES.has(words[0]!) ? 1 : 0);
}

// ---- TCVN3 ----

export function encodeTcvn3(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    out += TCVN3_ENCODE.get(ch) ?? (NON_ASCII.test(ch) ? TCVN3_ENCODE.get(ch.toLowerCase()) : undefined) ?? ch;
  }
  return out;
}

/** null when a character is neither ASCII nor a TCVN3 letter. Capitals come back from the case of the word. */
export function decodeTcvn3(text: string): string | null {
  let out = '';
  const fromCode: boolean[] = [];
  for (const ch of text) {
    const letter = TCVN3_DECODE.get(ch);
    if (letter !== undefined) {
      out += letter;
      fromCode.push(letter === letter.toLowerCase());
    } else if (NON_ASCII.test(ch)) return null;
    else {
      out += ch;
      fromCode.push(false);
    }
  }
  return restoreCase(out, fromCode);
}

/**
 * VN3 has no capitals with a tone; they were typed in lower case in a capitals font. A word whose other letters are
 * all capitals is put in capitals; in a name whose words all begin with a capital, a word beginning with such a
 * letter gets its capital back.
 */
function restoreCase(text: string, fromCode: boolean[]): string {
  const chars = [...text];
  const words: Array<[number, number]> = [];
  for (let i = 0; i < chars.length; ) {
    if (chars[i] === ' ') {
      i++;
      continue;
    }
    let j = i;
    while (j < chars.length && chars[j] !== ' ') j++;
    words.push([i, j]);
    i = j;
  }
  const plainLetters = (a: number, b: number) => chars.slice(a, b).filter((c, k) => !fromCode[a + k] && /\p{L}/u.test(c));
  const all = plainLetters(0, chars.length);
  if (all.length >= 2 && all.every((c) => c === c.toUpperCase())) return text.toUpperCase();
  const titled = words.every(([a]) => fromCode[a] || chars[a] === chars[a]!.toUpperCase());
  for (const [a, b] of words) {
    const plain = plainLetters(a, b);
    if (plain.length >= 2 && plain.every((c) => c === c.toUpperCase())) {
      for (let k = a; k < b; k++) chars[k] = chars[k]!.toUpperCase();
    } else if (titled && fromCode[a]) chars[a] = chars[a]!.toUpperCase();
  }
  return chars.join('');
}

// ---- VNI-Windows ----

export function encodeVni(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) out += VNI_ENCODE.get(ch) ?? ch;
  return out;
}

/** null when a character is neither ASCII nor part of a VNI code. */
export function decodeVni(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const two = VNI_DECODE.get(text.slice(i, i + 2));
    if (two !== undefined) {
      out += two;
      i++;
      continue;
    }
    const one = VNI_DECODE.get(text[i]!);
    if (one !== undefined) out += one;
    else if (NON_ASCII.test(text[i]!)) return null;
    else out += text[i];
  }
  return out;
}

// ---- UTF-8 decoded twice ----

// Windows-1252 0x80–0x9F (written out: Node's TextDecoder reads this range as Latin-1's C1 controls); the five
// codes Windows leaves undefined keep their C1 control, as Windows' own conversion does.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const cp1252Char = (b: number) => (b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b));
/** Windows-1252 character → byte, and the C1 controls a Latin-1 decode would have left. */
const CP1252_BYTE: ReadonlyMap<string, number> = new Map([
  ...Array.from({ length: 32 }, (_, k) => [String.fromCharCode(0x80 + k), 0x80 + k] as [string, number]),
  ...Array.from({ length: 256 }, (_, b) => [cp1252Char(b), b] as [string, number]),
]);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function encodeDoubleUtf8(text: string): string {
  let out = '';
  // Stryker disable next-line StringLiteral: an empty encoding is Node's default, UTF-8
  for (const b of Buffer.from(text.normalize('NFC'), 'utf8')) out += cp1252Char(b);
  return out;
}

/** The text its characters' Windows-1252 bytes make as UTF-8, or null when they are not UTF-8 (or nothing changes). */
export function decodeDoubleUtf8(text: string): string | null {
  const bytes: number[] = [];
  for (const ch of text) {
    const b = CP1252_BYTE.get(ch);
    if (b === undefined) return null;
    bytes.push(b);
  }
  try {
    const out = UTF8.decode(Uint8Array.from(bytes));
    return out === text ? null : out.normalize('NFC');
  } catch {
    return null;
  }
}

// ---- Vietnamese syllables ----

const TONED = new Map<string, [string, number]>(
  Object.entries(VOWELS).flatMap(([base, forms]) => forms.map((f, t) => [f, [base, t]] as [string, [string, number]])),
);
const ONSET = '(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?';
// Vowel groups that may take a final consonant, and those that end in a glide and take none.
const OPEN = 'uyê|iê|yê|oa|oă|oe|uâ|uê|uô|uy|ươ|uơ|[aăâeêioôơuưy]';
const CLOSED = 'iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu';
const SYLLABLE = new RegExp(`^${ONSET}(?:(?:${OPEN})(?:ch|nh|ng|[cmnpt])?|(?:${CLOSED}))$`);

/** True when every word is a Vietnamese syllable (any case, any Unicode form, at most one tone each). */
export function isVietnameseText(text: string): boolean {
  // Stryker disable next-line Regex: separators side by side leave empty words, which the filter drops
  const words = text.normalize('NFC').toLowerCase().split(/[\s,.\-–()/]+/).filter((w) => w !== '');
  return words.length > 0 && words.every(isSyllable);
}

function isSyllable(word: string): boolean {
  if (/^\d+$/.test(word)) return true; // house numbers in addresses
  let base = '';
  let tones = 0;
  for (const ch of word) {
    const v = TONED.get(ch);
    if (v) {
      base += v[0];
      if (v[1] > 0) tones++;
    } else base += ch;
  }
  return tones <= 1 && SYLLABLE.test(base);
}
