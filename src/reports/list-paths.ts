// Where `ddcn lists` puts its files: DIR/<ma_tinh>/<ma_don_vi>/mau01.xlsx, …/mau02.xlsx, DIR/<ma_tinh>/de-nghi-ho-tro.xlsx.
// Codes come from data files. A code that is safe as a folder name on every file system we may be copied to
// (Windows, macOS, Linux, a zip opened anywhere) is used as it is; any other code is encoded into a name that no
// ordinary code can take, so two units never share a folder (README "Lists: folder names").
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FormKind } from './list-row.js';

export const FILE_NAMES: Record<FormKind, string> = {
  mau01: 'mau01.xlsx',
  mau02: 'mau02.xlsx',
  'ho-tro': 'de-nghi-ho-tro.xlsx',
};

export const NO_PROVINCE = '_chua-co-ma-tinh';
export const NO_UNIT = '_chua-co-ma-don-vi';

/**
 * Ordinary: upper-case ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 long.
 * Upper case only, because Windows and macOS do not tell `dv01` from `DV01`: were lower case ordinary, two units
 * could share a folder there. No dots or spaces (Windows drops them at the end of a name).
 */
const ORDINARY = /^[0-9A-Z][0-9A-Z_-]{0,63}$/;
/** Device names Windows reserves whatever the extension. */
const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$/;
const READABLE_CHARS = 32;
const HASH_HEX = 16;

/**
 * A code as a folder name. An ordinary code is itself. Any other one becomes `_<readable>_<hash>`: up to 32
 * characters of the code in ASCII (diacritics dropped, everything else `-`) for people, then the first 16 hex digits
 * of the SHA-256 of the exact code, so that codes differing in any way (`a/b`, `a\b`, `a b`, `A/B`) get
 * different names. It starts with `_`, which no ordinary code does, and is at most 50 characters long whatever
 * the code's length. A missing code is `missing`.
 */
export function pathSegment(code: string | null, missing: string): string {
  if (code === null || code === '') return missing;
  if (ORDINARY.test(code) && !RESERVED.test(code)) return code;
  const readable = code
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^0-9A-Za-z-]+/g, '-')
    .slice(0, READABLE_CHARS);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, HASH_HEX); // a string is hashed as UTF-8
  return `_${readable}_${hash}`;
}

export function provinceDir(out: string, maTinh: string | null): string {
  return path.join(out, pathSegment(maTinh, NO_PROVINCE));
}

export function unitDir(out: string, maTinh: string | null, maDonVi: string | null): string {
  return path.join(provinceDir(out, maTinh), pathSegment(maDonVi, NO_UNIT));
}

/** A province named for people: its code, or that it has none. Codes are not personal data. */
export function provinceLabel(maTinh: string | null): string {
  return `province ${maTinh === null ? '(no ma_tinh)' : `"${maTinh}"`}`;
}

/** A unit named for people: its code, or that it has none. */
export function unitLabel(maTinh: string | null, maDonVi: string | null): string {
  return `unit ${maDonVi === null ? '(no ma_don_vi)' : `"${maDonVi}"`} of ${provinceLabel(maTinh)}`;
}

/**
 * The folders units were given in one run, compared as a case-insensitive file system would. A second unit
 * that would land in a folder already given to another is refused: it must never overwrite that unit's files.
 */
export class FolderClaims {
  private readonly owners = new Map<string, string>();

  /** Null when `dir` is free or already `me`'s; otherwise who holds it (a unitLabel). */
  claim(dir: string, me: string): string | null {
    // Stryker disable next-line MethodExpression: either folds case: folder names are ASCII, and the --out part is the same for every unit
    const key = dir.normalize('NFC').toLowerCase();
    const owner = this.owners.get(key);
    if (owner === undefined) this.owners.set(key, me);
    return owner === undefined || owner === me ? null : owner;
  }
}
