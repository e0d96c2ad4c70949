import { prepareOutputFile } from './output-file.js';
import { countsAsOf, type GroupCounts } from '../db/reports.js';
import { targetsAsOf, type Target } from '../db/targets.js';
import { assess } from '../reports/milestones.js';
import { writeMau03, type ProgressReport, type ProgressRow } from '../reports/mau03.js';
import { provinceLabel } from '../reports/office.js';
import { districtLabel } from '../reports/districts.js';
import { addDays, endOfDay, startOfDay, vnDate, weekday, type CalendarDate } from '../reports/vn-date.js';
import type { Deps } from './deps.js';
import type { Queryable } from '../db/pool.js';
import { provinceKey } from '../domain/provinces.js';

export interface ProgressOptions {
  out: string;
  period: 'week' | 'month';
  asOf: CalendarDate | null; // default: today in Vietnam
  province: string | null; // null: national report, one row per province
  district?: string | null; // only the people of this district of `province` (the portal's district accounts)
  unit?: string | null; // only the people of this managing unit (the portal's unit accounts)
}

/** The report period: the calendar week (from Monday) or month that contains the as-of date, up to that date. */
export function periodStart(period: 'week' | 'month', asOf: CalendarDate): CalendarDate {
  return period === 'week' ? addDays(asOf, 1 - weekday(asOf)) : { ...asOf, day: 1 };
}

function targetFor(targets: Target[], province: string | null, key: string | null): number | null {
  if (key === null) return null;
  const [given, maHuyen] = province === null ? [key, ''] : [province, key];
  // Targets are held in the 3-digit form; the participants' offices may write 79 for 079.
  const maTinh = provinceKey(given);
  const own = targets.find((t) => t.maTinh === maTinh && t.maHuyen === maHuyen);
  if (own) return own.chiTieu;
  // A province without a target of its own: the sum of its districts' targets, when there are any.
  const parts = maHuyen === '' ? targets.filter((t) => t.maTinh === maTinh && t.maHuyen !== '') : [];
  return parts.length ? parts.reduce((s, t) => s + t.chiTieu, 0) : null;
}

const ratio = (a: number, b: number | null) => (b ? a / b : null);

function row(label: string, now: GroupCounts | undefined, before: GroupCounts | undefined, target: number | null, asOf: CalendarDate): ProgressRow {
  const c = now ?? { total: 0, matched: 0, mismatched: 0, missing: 0, conflict: 0, pending: 0, vssid: 0, corrected: 0, rematched: 0, escalated: 0 };
  const matchedRate = ratio(c.matched, c.total);
  return {
    label,
    total: c.total,
    matched: c.matched,
    matchedRate,
    matchedIncrease: c.matched - (before?.matched ?? 0),
    mismatched: c.mismatched,
    missing: c.missing,
    conflict: c.conflict,
    pending: c.pending,
    corrected: c.corrected,
    rematched: c.rematched,
    escalated: c.escalated,
    target,
    vssid: c.vssid,
    vssidRate: ratio(c.vssid, target),
    vssidIncrease: c.vssid - (before?.vssid ?? 0),
    assessment: assess(matchedRate, asOf),
  };
}

function sum(rows: ProgressRow[], pick: (r: ProgressRow) => number): number {
  return rows.reduce((s, r) => s + pick(r), 0);
}

/**
 * `ddcn report progress` (Mẫu 03): figures as they stood at the end of the as-of day, and their increase since
 * the start of the period, read from the stored history — the same command for a past date gives that date's
 * figures whenever it is run.
 */
export async function progressReport(deps: Deps, opts: ProgressOptions): Promise<ProgressReport> {
  const report = await progressFigures(deps, opts);
  await writeMau03(await prepareOutputFile(opts.out, 'mau03.xlsx'), report);
  deps.log.info({ stage: 'report', period: opts.period, province: opts.province, rows: report.rows.length, participants: report.total.total }, 'progress report written');
  return report;
}

/** The figures of Mẫu 03 without writing the file: the portal draws them as bars. */
export async function progressFigures(
  deps: Deps,
  opts: Omit<ProgressOptions, 'out'>,
  // the portal passes a cached reader of the same counts (src/db/figures-cache.ts)
  counts: (q: Queryable, args: Parameters<typeof countsAsOf>[1]) => Promise<GroupCounts[]> = countsAsOf,
): Promise<ProgressReport> {
  const issuedAt = deps.now();
  const asOf = opts.asOf ?? vnDate(issuedAt);
  const from = periodStart(opts.period, asOf);
  const cutoff = endOfDay(asOf);
  const start = startOfDay(from);

  const narrow = { province: opts.province, district: opts.district ?? null, unit: opts.unit ?? null };
  const { now, before, targets } = await deps.db.withSession((s) =>
    // The national counts sort the whole history: in memory rather than in temporary files.
    s.withTransaction(
      async (tx) => ({
        now: await counts(tx, { ...narrow, cutoff }),
        before: await counts(tx, { ...narrow, cutoff: start }),
        targets: await targetsAsOf(tx, cutoff),
      }),
      { snapshot: true, workMem: '64MB' },
    ),
  );

  const keys = [...new Set([...now.map((c) => c.key), ...before.map((c) => c.key)])].sort((a, b) =>
    a === null ? 1 : b === null ? -1 : a.localeCompare(b),
  );
  const label = (key: string | null) =>
    opts.province === null ? (key === null ? '(chưa có mã tỉnh)' : `${provinceLabel(key)} (${key})`) : districtLabel(opts.province, key);
  // A province whose participants are written both ways (79 and 079) has two rows: its target goes with the first,
  // so that the national total counts it once.
  const targeted = new Set<string>();
  const rowTarget = (k: string | null): number | null => {
    if (opts.province !== null || k === null) return targetFor(targets, opts.province, k);
    const province = provinceKey(k);
    if (targeted.has(province)) return null;
    targeted.add(province);
    return targetFor(targets, null, k);
  };
  const rows = keys.map((k) => row(label(k), now.find((c) => c.key === k), before.find((c) => c.key === k), rowTarget(k), asOf));

  const rowTargets = rows.map((r) => r.target).filter((t): t is number => t !== null);
  const rowSum = rowTargets.length ? rowTargets.reduce((a, b) => a + b, 0) : null;
  // One district's figures (a district account) are of that district, its target too, never the province's.
  const totalTarget = opts.district ? (targetFor(targets, opts.province, opts.district) ?? rowSum)
    : opts.province !== null ? (targetFor(targets, null, opts.province) ?? rowSum)
      : rowSum;
  const totals = {
    key: null, total: sum(rows, (r) => r.total), matched: sum(rows, (r) => r.matched), mismatched: sum(rows, (r) => r.mismatched),
    missing: sum(rows, (r) => r.missing), conflict: sum(rows, (r) => r.conflict), pending: sum(rows, (r) => r.pending),
    vssid: sum(rows, (r) => r.vssid), corrected: sum(rows, (r) => r.corrected), rematched: sum(rows, (r) => r.rematched),
    escalated: sum(rows, (r) => r.escalated),
  };
  const total = {
    ...row('Tổng cộng', totals, undefined, totalTarget, asOf),
    matchedIncrease: sum(rows, (r) => r.matchedIncrease),
    vssidIncrease: sum(rows, (r) => r.vssidIncrease),
  };

  return { province: opts.province, period: opts.period, from, asOf, issuedAt, rows, total };
}
