// Calendar dates as people in Vietnam read them. Vietnam keeps UTC+7 all year (no daylight saving), so a fixed
// offset is exact and no time-zone database is needed.

const OFFSET_MS = 7 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CalendarDate {
  year: number;
  month: number; // 1–12
  day: number;
}

/** Midnight UTC of a calendar date, in milliseconds; years 0–99 too (Date.UTC would take them for 1900–1999). */
function utcMs(d: CalendarDate): number {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day);
  return t.getTime();
}

/** The calendar date in Vietnam at the instant `t`. */
export function vnDate(t: Date): CalendarDate {
  const local = new Date(t.getTime() + OFFSET_MS);
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The first instant of a Vietnamese calendar day (00:00 in Vietnam). */
export function startOfDay(d: CalendarDate): Date {
  return new Date(utcMs(d) - OFFSET_MS);
}

/** The first instant after a Vietnamese calendar day: "as of D" means everything before this. */
export function endOfDay(d: CalendarDate): Date {
  return new Date(startOfDay(d).getTime() + DAY_MS);
}

/**
 * Whether `instant` comes after the whole of day `d` in Vietnam: nothing then is in figures as of `d`, whose cut-off
 * is endOfDay(d), exclusive. `report progress --as-of` and the portal's dashboard tell a day before the first import so.
 */
export function afterDay(instant: Date, d: CalendarDate): boolean {
  return instant.getTime() >= endOfDay(d).getTime();
}

export function addDays(d: CalendarDate, days: number): CalendarDate {
  const t = new Date(utcMs(d) + days * DAY_MS);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekday(d: CalendarDate): number {
  const w = new Date(utcMs(d)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** `YYYY-MM-DD` → a real calendar date, or null. */
export function parseIsoDate(raw: string): CalendarDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const back = addDays(d, 0);
  // Stryker disable next-line LogicalOperator,ConditionalExpression: a date that does not exist changes its day, or its month and year together (month 00 or 13): any two of the three comparisons catch it
  return back.year === d.year && back.month === d.month && back.day === d.day ? d : null;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * The first year a report may be as of: figures are kept from when ddcn first ran (long after); an earlier as-of is
 * a slip of the year (`0024-06-30`), and a report of zeros under it would be taken for figures.
 */
export const EARLIEST_REPORT_YEAR = 2000;

/** `dd/mm/yyyy`, the way dates are written on the forms. */
export function formatDate(d: CalendarDate): string {
  return `${two(d.day)}/${two(d.month)}/${d.year}`;
}

/** `dd/mm/yyyy hh:mm` in Vietnam, for "when corrected" columns. */
export function formatDateTime(t: Date): string {
  const local = new Date(t.getTime() + OFFSET_MS);
  return `${formatDate(vnDate(t))} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}

/**
 * The place-and-date line above a signature: `Hà Nội, ngày 03 tháng 6 năm 2024`, `…, ngày 12 tháng 02 năm 2025`.
 * As Nghị định 30/2020/NĐ-CP writes the date of a document (and the plan's own `ngày 12 tháng 8 năm 2022`): a zero
 * before a day under 10 and before months 1 and 2 only.
 */
export function placeDateLine(place: string, d: CalendarDate): string {
  return `${place}, ngày ${two(d.day)} tháng ${d.month <= 2 ? two(d.month) : String(d.month)} năm ${d.year}`;
}

/** The same line left blank for the person who signs: `………, ngày … tháng … năm ……`. */
export const BLANK_PLACE_DATE_LINE = '……………, ngày …… tháng …… năm ………';
