// Progress against the milestones offices work to for verified personal numbers: 60 % by 30/6, 80 % by 30/9,
// 100 % by 31/12 (docs/plan-2207.md, "Reporting"), all three of one year, the campaign's: the plan year. The
// milestone for a date is the next one due; once the plan year is over there is none left, and an office short of
// 100 % is behind until it gets there — a new calendar year does not start the milestones again.
import type { CalendarDate } from './vn-date.js';

export const MILESTONES = [
  { month: 6, day: 30, rate: 0.6 },
  { month: 9, day: 30, rate: 0.8 },
  { month: 12, day: 31, rate: 1 },
] as const;

type Milestone = (typeof MILESTONES)[number];

export type Level = 'good' | 'onTrack' | 'behind' | 'none';

export interface Assessment {
  level: Level;
  text: string;
}

const pct = (r: number) => `${Math.round(r * 100)}%`;
const two = (n: number) => String(n).padStart(2, '0');
const dm = (m: { month: number; day: number }) => `${two(m.day)}/${two(m.month)}`;
const ord = (year: number, d: { month: number; day: number }) => year * 10_000 + d.month * 100 + d.day;

/**
 * Đạt: the rate has reached the next milestone. Chậm tiến độ: a milestone already due was missed.
 * Đang thực hiện: neither — the next milestone is still ahead. `planYear`: the year the milestones fall in
 * (src/pipeline/progress-report.ts says which). A deadline is written with its year when it is not the as-of
 * date's, so that in January "hạn 31/12" cannot be read as the coming December.
 */
export function assess(rate: number | null, asOf: CalendarDate, planYear: number, dayOver = false): Assessment {
  if (rate === null) return { level: 'none', text: 'Chưa có người tham gia' };
  const today = ord(asOf.year, asOf);
  const deadline = (m: Milestone) => (asOf.year === planYear ? dm(m) : `${dm(m)}/${planYear}`);
  const next = MILESTONES.find((m) => ord(planYear, m) >= today);
  if (next === undefined) {
    // After the plan year: every milestone is due, and the last, 100 %, is the one still to reach.
    const end = MILESTONES[2];
    if (rate >= end.rate) return { level: 'good', text: `Đạt mốc ${pct(end.rate)} (hạn ${deadline(end)})` };
    return { level: 'behind', text: `Chậm tiến độ: chưa đạt mốc ${pct(end.rate)} (hạn ${deadline(end)})` };
  }
  const last = MILESTONES.filter((m) => ord(planYear, m) < today).at(-1);
  if (rate >= next.rate) return { level: 'good', text: `Đạt mốc ${pct(next.rate)} (hạn ${deadline(next)})` };
  // `dayOver`: the as-of day has ended (a report of a past day: its figures are those at the end of it). A milestone
  // falling on it is then due, not still ahead: the June, September and December reports are the ones it is judged on.
  // Before an earlier milestone missed too: the latest one due is said, as on the day after.
  if (dayOver && ord(planYear, next) === today) return { level: 'behind', text: `Chậm tiến độ: chưa đạt mốc ${pct(next.rate)} (hạn ${deadline(next)})` };
  if (last && rate < last.rate) return { level: 'behind', text: `Chậm tiến độ: chưa đạt mốc ${pct(last.rate)} (hạn ${deadline(last)})` };
  return { level: 'onTrack', text: `Đang thực hiện: cần đạt ${pct(next.rate)} trước ${dm(next)}/${planYear}` };
}
