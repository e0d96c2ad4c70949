// Names (họ và tên): the storage form, the comparison key of Plan 2207's matching rules, and a hint for people.
import { distance } from 'fastest-levenshtein';

/** The five Vietnamese tone marks as combining characters: huyền, sắc, ngã, hỏi, nặng. */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;

/** Zero-width characters that ride along when names are copied from web pages or Word; they are not spaces to \s. */
const INVISIBLE = /[\u200b-\u200d\u2060]/g;

/** Whitespace other than a lone space: a clean name (the usual case) then goes through untouched. */
const UNTIDY_SPACE = /\s{2,}|[^\S ]/g;

/** Ð/ð (U+00D0/U+00F0, Icelandic eth) look like Đ/đ and are typed for them; they never match the registry. */
const ETH = /[\u00d0\u00f0]/g;
const fromEth = (c: string) => (c === '\u00d0' ? 'Đ' : 'đ');

/**
 * Apostrophes other than `'`: ’ and ‘ (Word's and LibreOffice's autocorrect put them in place of `'` as it is typed)
 * and ʼ (the modifier letter, from some keyboards). Names of the Central Highlands have one (`H'Hen Niê`, `Y'…`,
 * `K'…`) and the registry writes `'`: the same name with ’ does not match it, and looks the same on every list.
 */
const TYPOGRAPHIC_APOSTROPHE = /[\u2018\u2019\u02bc]/g;

/** NFC, trimmed, inner whitespace collapsed, Ð/ð as Đ/đ, case kept as given. */
export function tidyName(raw: string): string {
  return raw.normalize('NFC').replace(INVISIBLE, '').replace(ETH, fromEth).trim().replace(UNTIDY_SPACE, ' ');
}

/** Display/storage form: tidied (tidyName), and any apostrophe as `'`. */
export function cleanName(raw: string): string {
  return tidyName(raw).replace(TYPOGRAPHIC_APOSTROPHE, "'");
}

/**
 * Comparison key. Equal keys ⇔ the names match under Plan 2207: same letters, same diacritics, same tones,
 * same order of parts, ignoring Unicode form, case, stray spaces and where the tone mark sits (`hoà` = `hòa`).
 * Each word's tone marks are pulled out and appended after the toneless word, so only their placement is lost;
 * vowel marks (ư ơ ă â ê ô) and đ stay part of the word.
 * An apostrophe is compared as written, not as cleanName stores it: the registry tells ’ from `'`, and a name stored
 * with ’ before cleanName made it `'` must differ from the same name with `'`, so that a unit's `'` is a correction.
 */
export function nameKey(raw: string): string {
  const words = tidyName(raw).toLowerCase().split(' ');
  return words.map(wordKey).join(' ');
}

// A name has few distinct syllables across a whole population, and every verification compares two names:
// each syllable's key is worked out once and remembered (the cache is bounded; it starts over when full).
const WORD_KEYS = new Map<string, string>();
const WORD_KEYS_MAX = 50_000;
/** Forgets every word key worked out (for the mutation runs: see docs/mutation-testing.md). */
// Stryker disable next-line BlockStatement: test tooling: only the Stryker set-up file calls it, the program never does
export function forgetWordKeys(): void {
  WORD_KEYS.clear();
}

function wordKey(word: string): string {
  let key = WORD_KEYS.get(word);
  // Stryker disable next-line ConditionalExpression: a cache: a word's key is worked out the same every time
  if (key === undefined) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a cache: a word's key is worked out the same every time
    if (WORD_KEYS.size >= WORD_KEYS_MAX) WORD_KEYS.clear();
    key = computeWordKey(word);
    WORD_KEYS.set(word, key);
  }
  return key;
}

function computeWordKey(word: string): string {
  const decomposed = word.normalize('NFD');
  // Stryker disable next-line StringLiteral: both names' keys get the same separator between tone marks: equal keys stay equal, different ones different
  const tones = decomposed.match(TONE_MARKS)?.join('') ?? '';
  const base = decomposed.replace(TONE_MARKS, '').normalize('NFC');
  // The tone goes last as a combining mark: base has none left, so the key is unambiguous.
  return base + tones;
}

/** Letters only, no marks at all: the space in which "close" is measured for hints. */
function stripDiacritics(key: string): string {
  return key.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd');
}

/**
 * A hint for the people who fix Mẫu 02 (e.g. `gần giống: Hưng`), never an input to matching.
 * Close = at most 1 edit apart once diacritics are stripped (2 for names of 10+ letters), so a wrong mark or a
 * typo is hinted but another person's name is not. Returns the registry's words that differ when both names
 * have the same number of parts, else the registry's whole name; null when the names match or are not close.
 */
export function nameHint(ours: string, theirs: string): string | null {
  const ourKey = nameKey(ours);
  const theirKey = nameKey(theirs);
  if (ourKey === theirKey) return null;
  const a = stripDiacritics(ourKey);
  const b = stripDiacritics(theirKey);
  const allowed = Math.max(a.length, b.length) >= 10 ? 2 : 1;
  if (distance(a, b) > allowed) return null;

  const ourWords = ourKey.split(' ');
  const theirKeys = theirKey.split(' ');
  const theirWords = cleanName(theirs).split(' ');
  if (ourWords.length !== theirWords.length) return `gần giống: ${theirWords.join(' ')}`;
  const differing = theirWords.filter((_, i) => ourWords[i] !== theirKeys[i]);
  return `gần giống: ${differing.join(' ')}`;
}
