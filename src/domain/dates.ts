// Dates of birth (ngày sinh) at the precision a record holds: year, month/year or full date.
import type { BirthDate } from './types.js';

export const MIN_BIRTH_YEAR = 1880;
export const MAX_BIRTH_YEAR = 2100;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Gregorian calendar; worked out rather than asked of Date, which allocates (two dates per person verified). */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!;
}

/** True when the parts form a real calendar date (or month/year) inside the accepted birth-year range. */
export function isValidBirthDate(d: BirthDate): boolean {
  if (!Number.isInteger(d.year) || d.year < MIN_BIRTH_YEAR || d.year > MAX_BIRTH_YEAR) return false;
  if (d.precision === 'year') return true;
  if (d.month === undefined || !Number.isInteger(d.month) || d.month < 1 || d.month > 12) return false;
  if (d.precision === 'month') return true;
  return d.day !== undefined && Number.isInteger(d.day) && d.day >= 1 && d.day <= daysInMonth(d.year, d.month);
}

function build(year: string, month?: string, day?: string): BirthDate | null {
  const d: BirthDate =
    // Stryker disable next-line ConditionalExpression: build is private, and its callers pass a day only together with a month
    day !== undefined && month !== undefined
      ? { precision: 'day', year: Number(year), month: Number(month), day: Number(day) }
      : month !== undefined
        ? { precision: 'month', year: Number(year), month: Number(month) }
        : { precision: 'year', year: Number(year) };
  return isValidBirthDate(d) ? d : null;
}

// Day first is the Vietnamese order; the separator must be the same on both sides (`1/2-1990` is not a date).
// A day (and month) of 00 is how registers write "unknown": `00/00/2003` is the year 2003, `00/05/2003` May 2003.
const DAY_FIRST = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/; // yyyymmdd; never ddmmyyyy, which no valid date can also be read as
const MONTH_FIRST = /^(\d{1,2})[/.-](\d{4})$/;
const ISO_DAY = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const ISO_MONTH = /^(\d{4})-(\d{1,2})$/;
const YEAR = /^(\d{4})$/;
/** A date followed by the time 00:00, 0:00, 00:00:00 or 00:00:00.000, after a space or a `T`. */
const MIDNIGHT = /^(\S+)[ T]0?0:00(?::00(?:\.0{1,3})?)?$/;

/**
 * Accepts `dd/mm/yyyy`, `d/m/yyyy` (also with `-` or `.`), `mm/yyyy`, `m/yyyy`, `yyyy`, `yyyy-mm-dd`, `yyyy-mm`,
 * `yyyymmdd`, a whole date followed by the time of midnight (`05/03/1990 00:00:00`); a day or month of `00` means unknown (`00/00/2003` → 2003, `00/05/2003` → 05/2003, `00/2003` → 2003).
 * Null for anything else, impossible dates (31/02) and years outside 1880–2100.
 */
export function parseBirthDate(raw: string): BirthDate | null {
  const s = raw.trim();
  // A whole date with the time of midnight, as a database's or a spreadsheet's date-and-time column is exported
  // (`05/03/1990 00:00:00`, `1990-03-05T00:00:00`): the date. Was unreadable, and the date of birth of everyone on
  // file left out. Any other time is not read: a local midnight written in UTC is the day before at 17:00.
  const midnight = MIDNIGHT.exec(s);
  if (midnight) {
    const d = parseBirthDate(midnight[1]!);
    return d?.precision === 'day' ? d : null;
  }
  // The year group is not optional in any of these patterns: once one matched, `m[n]!` is its text.
  let m: RegExpExecArray | null;
  if ((m = DAY_FIRST.exec(s))) {
    const [day, month] = [Number(m[1]), Number(m[3])];
    if (day === 0 && month === 0) return build(m[4]!);
    return day === 0 ? build(m[4]!, m[3]) : build(m[4]!, m[3], m[1]);
  }
  if ((m = MONTH_FIRST.exec(s))) return Number(m[1]) === 0 ? build(m[2]!) : build(m[2]!, m[1]);
  if ((m = COMPACT.exec(s))) return build(m[1]!, m[2], m[3]);
  if ((m = ISO_DAY.exec(s))) return build(m[1]!, m[2], m[3]);
  if ((m = ISO_MONTH.exec(s))) return build(m[1]!, m[2]);
  if ((m = YEAR.exec(s))) return build(m[1]!);
  return null;
}

/** A birth date after `now` (at the precision held: a year after this year, a month after this month…). */
export function isFutureBirthDate(d: BirthDate, now: Date): boolean {
  const [y, m, day] = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()];
  // Stryker disable next-line EqualityOperator: the years differ there: > and >= agree
  if (d.year !== y) return d.year > y;
  // Stryker disable next-line ConditionalExpression,StringLiteral: a year-only date has no month: the month comparison below is false for undefined
  if (d.precision === 'year') return false;
  // Stryker disable next-line EqualityOperator: the months differ there: > and >= agree
  if (d.month! !== m) return d.month! > m;
  // Stryker disable next-line ConditionalExpression: a date without a day has day undefined: undefined > day is false
  return d.precision === 'day' && d.day! > day;
}

/**
 * A full date from an Excel date cell. Spreadsheet libraries hand dates over as UTC midnight, so the UTC parts
 * are the calendar date; local parts would slip a day west of Greenwich. Not range-checked: call
 * isValidBirthDate on the result. Throws RangeError for an invalid Date.
 */
export function birthDateFromJsDate(d: Date): BirthDate {
  if (Number.isNaN(d.getTime())) throw new RangeError('birthDateFromJsDate: invalid Date');
  return { precision: 'day', year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (n: number | undefined, width: number): string => String(n ?? 0).padStart(width, '0');

/** Canonical form used in the database and in registry requests: `yyyy` | `yyyy-mm` | `yyyy-mm-dd`. */
export function dateKey(d: BirthDate): string {
  const year = pad(d.year, 4);
  if (d.precision === 'year') return year;
  if (d.precision === 'month') return `${year}-${pad(d.month, 2)}`;
  return `${year}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

const DATE_KEY = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Inverse of dateKey; strict (zero-padded, valid), null otherwise. */
export function parseDateKey(key: string): BirthDate | null {
  const m = DATE_KEY.exec(key);
  if (!m) return null;
  return build(m[1]!, m[2], m[3]);
}

/** The form people read on Mẫu 01/02: `dd/mm/yyyy`, `mm/yyyy` or `yyyy`. */
export function formatBirthDate(d: BirthDate): string {
  const year = pad(d.year, 4);
  if (d.precision === 'year') return year;
  if (d.precision === 'month') return `${pad(d.month, 2)}/${year}`;
  return `${pad(d.day, 2)}/${pad(d.month, 2)}/${year}`;
}

/**
 * Plan 2207: compared at the precision WE hold. Year only → years equal; month/year → month and year equal;
 * full date → all equal. When the registry holds less than we do, the missing part cannot confirm ours:
 * a mismatch.
 */
export function datesMatch(ours: BirthDate, theirs: BirthDate): boolean {
  if (ours.year !== theirs.year) return false;
  if (ours.precision === 'year') return true;
  if (ours.month !== theirs.month) return false;
  if (ours.precision === 'month') return true;
  return ours.day === theirs.day;
}
