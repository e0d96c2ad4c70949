// Mẫu 03 for a user's scope: the same figures as `ddcn report progress`, narrowed to the scope.
import { progressFigures } from '../pipeline/progress-report.js';
import { cachedCountsAsOf } from '../db/figures-cache.js';
import type { Deps } from '../pipeline/deps.js';
import type { ProgressReport } from '../reports/mau03.js';
import { parseIsoDate, startOfDay, type CalendarDate } from '../reports/vn-date.js';
import type { Scope } from '../db/portal-scope.js';
import { HttpError } from './errors.js';

export interface FigureQuery {
  asOf: CalendarDate | null;
  period: 'week' | 'month';
}

/** `?as_of=YYYY-MM-DD&period=week|month`; a wrong value is a 400 with what to write. */
export function figureQuery(query: Record<string, unknown>, now: Date): FigureQuery {
  const rawDate = typeof query.as_of === 'string' ? query.as_of.trim() : '';
  const asOf = rawDate ? parseIsoDate(rawDate) : null;
  if (rawDate && !asOf) throw new HttpError(400, 'Ngày báo cáo phải có dạng YYYY-MM-DD, ví dụ 2024-06-30.');
  // As `ddcn report progress --as-of` (the same rule): figures of a day still to come would be today's under a later date.
  if (asOf && startOfDay(asOf) > now) {
    throw new HttpError(400, 'Ngày báo cáo không được sau hôm nay.');
  }
  const rawPeriod = typeof query.period === 'string' ? query.period : 'week';
  if (rawPeriod !== 'week' && rawPeriod !== 'month') throw new HttpError(400, 'Kỳ báo cáo là week (tuần) hoặc month (tháng).');
  return { asOf, period: rawPeriod };
}

export async function scopeFigures(deps: Deps, scope: Scope, q: FigureQuery): Promise<ProgressReport> {
  const narrow =
    scope.role === 'national' ? { province: null }
    : scope.role === 'province' ? { province: scope.maTinh }
    : scope.role === 'district' ? { province: scope.maTinh, district: scope.maHuyen }
    : { province: null, unit: scope.maDonVi };
  const report = await progressFigures(deps, { ...narrow, asOf: q.asOf, period: q.period }, cachedCountsAsOf(deps.db, deps.now()));
  if (scope.role !== 'unit') return report;
  // VssID targets are set per province or district: against one unit's people they mean nothing.
  const untargeted = <T extends { target: number | null; vssidRate: number | null }>(r: T): T => ({ ...r, target: null, vssidRate: null });
  return { ...report, rows: report.rows.map(untargeted), total: untargeted(report.total) };
}

/**
 * The national figures as of now, worked out ahead of the first visitor: `ddcn serve` calls this every 15 s, so
 * after a run or an import moved the history the morning's first national dashboard finds them ready instead of
 * waiting for the whole-history count (from the cache, this is a fingerprint and two look-ups).
 */
export async function warmNationalFigures(deps: Deps): Promise<void> {
  await scopeFigures(deps, { role: 'national' }, { asOf: null, period: 'week' });
}
