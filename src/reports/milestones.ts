// Progress against the milestones offices work to for verified personal numbers: 60 % by 30/6, 80 % by 30/9,
// 100 % by 31/12 (docs/plan-2207.md, "Reporting"). The milestone for a date is the next one due.
import type { CalendarDate } from './vn-date.js';

export const MILESTONES = [
  { month: 6, day: 30, rate: 0.6 },
  { month: 9, day: 30, rate: 0.8 },
  { month: 12, day: 31, rate: 1 },
] as const;

export type Level = 'good' | 'onTrack' | 'behind' | 'none';

export interface Assessment {
  level: Level;
  text: string;
}

const pct = (r: number) => `${Math.round(r * 100)}%`;
const two = (n: number) => String(n).padStart(2, '0');
const dm = (m: { month: number; day: number }) => `${two(m.day)}/${two(m.month)}`;
const ord = (d: { month: number; day: number }) => d.month * 100 + d.day;

/**
 * Đạt: the rate has reached the next milestone. Chậm tiến độ: a milestone already due was missed.
 * Đang thực hiện: neither — the next milestone is still ahead.
 */
export function assess(rate: number | null, asOf: CalendarDate): Assessment {
  if (rate === null) return { level: 'none', text: 'Chưa có người tham gia' };
  const next = MILESTONES.find((m) => ord(m) >= ord(asOf)) ?? MILESTONES[2]; // 31/12 is never passed within a year
  const due = MILESTONES.filter((m) => ord(m) < ord(asOf));
  const last = due[due.length - 1];
  if (rate >= next.rate) return { level: 'good', text: `Đạt mốc ${pct(next.rate)} (hạn ${dm(next)})` };
  if (last && rate < last.rate) return { level: 'behind', text: `Chậm tiến độ: chưa đạt mốc ${pct(last.rate)} (hạn ${dm(last)})` };
  return { level: 'onTrack', text: `Đang thực hiện: cần đạt ${pct(next.rate)} trước ${dm(next)}/${asOf.year}` };
}
