// Mẫu 03 for a user's scope: the same figures as `ddcn report progress`, narrowed to the scope.
import { progressFigures } from '../pipeline/progress-report.js';
import { cachedCountsAsOf } from '../db/figures-cache.js';
import type { Deps } from '../pipeline/deps.js';
import type { ProgressReport } from '../reports/mau03.js';
import { EARLIEST_REPORT_YEAR, parseIsoDate, startOfDay, type CalendarDate } from '../reports/vn-date.js';
import type { Scope } from '../db/portal-scope.js';
import { HttpError } from './errors.js';
import { unitNameInScope } from '../db/portal-queries.js';

export interface FigureQuery {
  asOf: CalendarDate | null;
  period: 'week' | 'month';
}

/** `?as_of=YYYY-MM-DD&period=week|month`; a wrong value is a 400 with what to write. */
export function figureQuery(query: Record<string, unknown>, now: Date): FigureQuery {
  const rawDate = typeof query.as_of === 'string' ? query.as_of.trim() : '';
  const asOf = rawDate ? parseIsoDate(rawDate) : null;
  if (rawDate && !asOf) {
    // Well formed but not in the calendar (2026-02-30): the form is right, the day is not.
    throw new HttpError(400, /^\d{4}-\d{2}-\d{2}$/.test(rawDate) ? `Ngày báo cáo ${rawDate} không có trong lịch.` : 'Ngày báo cáo phải có dạng YYYY-MM-DD, ví dụ 2024-06-30.');
  }
  if (asOf && asOf.year < EARLIEST_REPORT_YEAR) throw new HttpError(400, `Ngày báo cáo trước năm ${EARLIEST_REPORT_YEAR}, khi chưa có số liệu: kiểm tra lại năm.`);
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
  if (scope.role === 'district') return { ...report, within: { kind: 'district', maTinh: scope.maTinh, maHuyen: scope.maHuyen } };
  if (scope.role !== 'unit') return report;
  // A unit's people are counted per province like the nation's, but the sheet and the dashboard are of the unit:
  // one row, the unit's, labelled as the unit (not as "Hà Nội (001)", which would read as the province's figures).
  const unit = await unitNameInScope(deps.db, scope, scope.maDonVi);
  const within = { kind: 'unit' as const, maDonVi: scope.maDonVi, tenDonVi: unit?.tenDonVi ?? '', maTinh: unit?.maTinh ?? null };
  // VssID targets are set per province or district: against one unit's people they mean nothing.
  const untargeted = <T extends { target: number | null; vssidRate: number | null }>(r: T): T => ({ ...r, target: null, vssidRate: null });
  const total = untargeted(report.total);
  const label = within.tenDonVi ? `${within.tenDonVi} (${within.maDonVi})` : `Đơn vị ${within.maDonVi}`;
  return { ...report, within, rows: [{ ...total, label }], total };
}

/**
 * The national figures as of now, worked out ahead of the first visitor: `ddcn serve` calls this every 15 s, so
 * after a run or an import moved the history the morning's first national dashboard finds them ready instead of
 * waiting for the whole-history count (from the cache, this is a fingerprint and two look-ups).
 */
export async function warmNationalFigures(deps: Deps): Promise<void> {
  await scopeFigures(deps, { role: 'national' }, { asOf: null, period: 'week' });
}
