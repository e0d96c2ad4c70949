import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError, UserError } from '../../errors.js';
import { firstImportAt } from '../../db/import-runs.js';
import { withContext } from '../context.js';
import { onDisk, requireCode, requireParticipants } from '../checks.js';
import { percentDown } from '../summary.js';
import { afterDay, EARLIEST_REPORT_YEAR, formatDate, parseIsoDate, startOfDay, vnDate, type CalendarDate } from '../../reports/vn-date.js';

function asOfDate(value: string): CalendarDate {
  const d = parseIsoDate(value);
  if (!d) {
    // Well formed but not in the calendar (2025-02-29): the form is right, the day is not.
    throw new UsageError(/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `--as-of ${value.trim()} is not a day of the calendar` : `--as-of must be a date YYYY-MM-DD, got "${value}"`);
  }
  if (d.year < EARLIEST_REPORT_YEAR) throw new UsageError(`--as-of ${value.trim()} is before ${EARLIEST_REPORT_YEAR}, before any figures were kept: check the year`);
  // Figures of a day to come would be today's under that day's heading: a typo in the year, most likely.
  if (startOfDay(d) > new Date()) throw new UsageError(`--as-of ${value} is a day still to come (in Vietnam); give today or a past day`);
  return d;
}

/** Mẫu 03 is a workbook: a name ending otherwise (`mau03.csv`) would hand the office an .xlsx under a wrong name. */
function xlsxOut(value: string): string {
  // An existing folder is said as such when the file is prepared (exit 1, as for every --out).
  if (isFolder(value)) return value;
  if (!/\.xlsx$/i.test(value)) throw new UsageError(`--out must name an .xlsx file (Mẫu 03 is a workbook), got "${value}"`);
  return value;
}

const isFolder = (p: string): boolean => onDisk(p)?.isDirectory() ?? false;

export function registerReport(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('report')
    .description('reports on progress')
    .command('progress')
    .description('Mẫu 03: verified personal numbers and VssID per province (or per district with --province), as of a date')
    .requiredOption('--out <file>', 'output .xlsx file', xlsxOut)
    .addOption(new Option('--period <period>', 'report period').choices(['week', 'month']).default('week'))
    .option('--as-of <date>', 'figures at the end of this day, YYYY-MM-DD (default: today)', asOfDate)
    .option('--province <code>', 'one province office (ma_tinh): one row per district')
    .action(async (o: { out: string; period: 'week' | 'month'; asOf?: CalendarDate; province?: string }) => {
      // Loaded here, not with the CLI (exceljs, as for `lists`).
      const { progressReport } = await import('../../pipeline/progress-report.js');
      const r = await withContext(logLevel(), async (deps, { database }) => {
        await requireParticipants(database);
        // A province that had people on an earlier day is reported too: its figures of that day, or of now (0).
        const province = await requireCode(database, 'province', o.province, { formerProvince: true, targeted: true });
        // A day before the first import (a year mistyped: 2025 for 2026) is an empty Mẫu 03, every figure 0, written
        // as if it were a report; an office sent it would read that nothing was done.
        const first = o.asOf ? await firstImportAt(database.db, 'participants') : null;
        if (o.asOf && first && afterDay(first, o.asOf)) {
          throw new UserError(
            `nobody was on file at the end of ${formatDate(o.asOf)}: the first import of participants was on ${formatDate(vnDate(first))}; ` +
              'check the year of --as-of (nothing was written)',
          );
        }
        return progressReport(deps, { out: o.out, period: o.period, asOf: o.asOf ?? null, province: province ?? null });
      });
      const rate = r.total.matchedRate === null ? '-' : percentDown(r.total.matchedRate);
      process.stderr.write(
        `wrote Mẫu 03 to ${o.out}: ${r.rows.length} ${r.province === null ? 'province' : 'district'}${r.rows.length === 1 ? '' : 's'}, ` +
          `as of ${formatDate(r.asOf)} (${o.period} from ${formatDate(r.from)}): ${r.total.total} participants · ` +
          `${r.total.matched} matched (${rate}) · ${r.total.vssid} VssID\n`,
      );
    });
}
