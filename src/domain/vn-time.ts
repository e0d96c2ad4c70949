// A moment as the offices and the IT centre read it: Vietnam's time, which is UTC+7 all year (no daylight saving),
// so a fixed offset is exact. One rule for every line an operator reads (`batch status`, the file exchange's
// summary and its overdue message); `--json` output keeps ISO 8601 in UTC for scripts.

const OFFSET_MS = 7 * 3_600_000;

/** `2026-12-03 22:00:05 (UTC+7)`. */
export function vnTime(t: Date): string {
  return `${new Date(t.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')} (UTC+7)`;
}
