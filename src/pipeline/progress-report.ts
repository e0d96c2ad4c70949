import { prepareOutputFile } from './output-file.js';
import { countsAsOf, type GroupCounts } from '../db/reports.js';
import { targetsAsOf, type Target } from '../db/targets.js';
import { firstImportAt } from '../db/import-runs.js';
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

/**
 * A row's VssID target. A province without a target of its own has the sum of its districts' — only when every
 * district with people has one (`districts`: their codes): against the targets of some districts, the whole
 * province's VssID count would read 130 %. Otherwise none is known, and (14) and (16) say so ("–").
 */
function targetFor(targets: Target[], province: string | null, key: string | null, districts: Array<string | null> = []): number | null {
  if (key === null) return null;
  const [given, maHuyen] = province === null ? [key, ''] : [province, key];
  // Targets are held in the 3-digit form; the participants' offices may write 79 for 079.
  const maTinh = provinceKey(given);
  const own = targets.find((t) => t.maTinh === maTinh && t.maHuyen === maHuyen);
  if (own) return own.chiTieu;
  const parts = maHuyen === '' ? targets.filter((t) => t.maTinh === maTinh && t.maHuyen !== '') : [];
  if (parts.length === 0) return null;
  const covered = districts.every((d) => d !== null && parts.some((t) => t.maHuyen === d));
  return covered ? parts.reduce((s, t) => s + t.chiTieu, 0) : null;
}

/** Provinces (as the national rows write them) whose target can only be their districts' sum. */
function byDistrictsOnly(targets: Target[], keys: Array<string | null>): string[] {
  return keys.filter((k): k is string => {
    if (k === null) return false;
    const maTinh = provinceKey(k);
    return !targets.some((t) => t.maTinh === maTinh && t.maHuyen === '') && targets.some((t) => t.maTinh === maTinh && t.maHuyen !== '');
  });
}

const ratio = (a: number, b: number | null) => (b ? a / b : null);

/** The campaign a first load of participants on `day` belongs to: its year, or the next from October on. */
export const campaignYear = (day: CalendarDate): number => (day.month >= 10 ? day.year + 1 : day.year);

function row(label: string, now: GroupCounts | undefined, before: GroupCounts | undefined, target: number | null, asOf: CalendarDate, planYear: number, dayOver = false): ProgressRow {
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
    assessment: assess(matchedRate, asOf, planYear, dayOver),
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
  const { now, before, targets, districtsOf, firstImport } = await deps.db.withSession((s) =>
    // The national counts sort the whole history: in memory rather than in temporary files.
    s.withTransaction(
      async (tx) => {
        const now = await counts(tx, { ...narrow, cutoff });
        const targets = await targetsAsOf(tx, cutoff);
        // Nationally, for the provinces whose target is their districts' sum: which districts have people (few
        // provinces, each counted by index; see targetFor).
        const districtsOf = new Map<string, Array<string | null>>();
        if (opts.province === null) {
          for (const k of byDistrictsOnly(targets, now.map((c) => c.key))) {
            districtsOf.set(k, (await counts(tx, { province: k, district: null, unit: narrow.unit, cutoff })).filter((c) => c.total > 0).map((c) => c.key));
          }
        }
        const firstImport = deps.planYear === undefined ? await firstImportAt(tx, 'participants') : null;
        return { now, before: await counts(tx, { ...narrow, cutoff: start }), targets, districtsOf, firstImport };
      },
      { snapshot: true, workMem: '64MB' },
    ),
  );

  // The year of column (18)'s milestones: DDCN_PLAN_YEAR, else the year the campaign began here, that of the first
  // participants import. Not the as-of date's: from 1 January the milestones would start again, and an office that
  // missed 100 % by 31/12 would read "Đạt mốc 60%" in green. The first import never changes, so a past date's report
  // stays as it was; before any import (nobody to assess) the as-of date's year. A first load in the last quarter
  // (October–December) is taken for the next year's campaign made ready: its milestones are then still ahead.
  const planYear = deps.planYear ?? (firstImport ? campaignYear(vnDate(firstImport)) : asOf.year);

  // One row per province (per district in a province's report) that has people or a target: a province with a target
  // and nobody yet has its row of zeros, and the total counts its target on every day alike.
  const withPeople = [...new Set([...now.map((c) => c.key), ...before.map((c) => c.key)])];
  const targetOnly =
    opts.unit || opts.district
      ? []
      : opts.province === null
        ? targets.filter((t) => !withPeople.some((k) => k !== null && provinceKey(k) === t.maTinh)).map((t) => t.maTinh)
        : targets.filter((t) => t.maTinh === provinceKey(opts.province!) && t.maHuyen !== '' && !withPeople.includes(t.maHuyen)).map((t) => t.maHuyen);
  const keys = [...new Set([...withPeople, ...targetOnly])].sort((a, b) =>
    a === null ? 1 : b === null ? -1 : a.localeCompare(b),
  );
  const label = (key: string | null) =>
    opts.province === null ? (key === null ? '(chưa có mã tỉnh)' : `${provinceLabel(key)} (${key})`) : districtLabel(opts.province, key);
  // A province whose participants are written both ways (79 and 079) has two rows: its target goes with the first,
  // so that the national total counts it once.
  const targeted = new Set<string>();
  const countedElsewhere = new Set<string>();
  const rowTarget = (k: string | null): number | null => {
    if (opts.province !== null || k === null) return targetFor(targets, opts.province, k);
    const province = provinceKey(k);
    if (targeted.has(province)) {
      countedElsewhere.add(k);
      return null;
    }
    targeted.add(province);
    return targetFor(targets, null, k, districtsOf.get(k));
  };
  // A past as-of day is over (made at or after its cut-off): its figures are final, and a milestone that fell on it
  // is judged (milestones.ts).
  const dayOver = issuedAt >= cutoff;
  const rows = keys.map((k) => row(label(k), now.find((c) => c.key === k), before.find((c) => c.key === k), rowTarget(k), asOf, planYear, dayOver));

  const rowTargets = rows.map((r) => r.target).filter((t): t is number => t !== null);
  // A province's (or the nation's) total target is its rows' sum only when every row with people has one.
  const everyRow = keys.every((k, i) => rows[i]!.target !== null || rows[i]!.total === 0 || (k !== null && countedElsewhere.has(k)));
  const rowSum = rowTargets.length && everyRow ? rowTargets.reduce((a, b) => a + b, 0) : null;
  // One district's figures (a district account) are of that district, its target too, never the province's.
  const totalTarget = opts.district ? (targetFor(targets, opts.province, opts.district) ?? rowSum)
    : opts.province !== null ? (targetFor(targets, null, opts.province, keys.filter((_, i) => rows[i]!.total > 0)) ?? rowSum)
      : rowSum;
  const totals = {
    key: null, total: sum(rows, (r) => r.total), matched: sum(rows, (r) => r.matched), mismatched: sum(rows, (r) => r.mismatched),
    missing: sum(rows, (r) => r.missing), conflict: sum(rows, (r) => r.conflict), pending: sum(rows, (r) => r.pending),
    vssid: sum(rows, (r) => r.vssid), corrected: sum(rows, (r) => r.corrected), rematched: sum(rows, (r) => r.rematched),
    escalated: sum(rows, (r) => r.escalated),
  };
  const total = {
    ...row('Tổng cộng', totals, undefined, totalTarget, asOf, planYear, dayOver),
    matchedIncrease: sum(rows, (r) => r.matchedIncrease),
    vssidIncrease: sum(rows, (r) => r.vssidIncrease),
  };

  return { province: opts.province, period: opts.period, from, asOf, issuedAt, rows, total };
}
