import type { FastifyInstance } from 'fastify';
import type { PortalContext } from '../context.js';
import { figureQuery, scopeFigures } from '../figures.js';
import { number, percent, render } from '../render.js';
import { requireUser } from '../session.js';
import { MILESTONES } from '../../reports/milestones.js';
import { afterDay, EARLIEST_REPORT_YEAR, formatDate, vnDate, type CalendarDate } from '../../reports/vn-date.js';
import { reportScope } from '../../reports/mau03.js';
import { firstImportAt } from '../../db/import-runs.js';

export function registerDashboard(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/', async (req, reply) => {
    const { scope } = requireUser(req);
    const q = figureQuery(req.query as Record<string, unknown>, ctx.deps.now());
    const report = await scopeFigures(ctx.deps, scope, q);
    const iso = (d: CalendarDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
    const isoAsOf = iso(report.asOf);
    // A day before the first import of participants has nobody on file: its figures are all 0, which an office would
    // read as nothing done (the CLI's `report progress --as-of` refuses such a day). Said above them.
    const first = await firstImportAt(ctx.deps.db, 'participants');
    return render(reply, req, 'dashboard', {
      title: 'Tổng quan tiến độ',
      report,
      // A district's or unit's figures say what they cover, as their Mẫu 03 does.
      coverage: report.within ? reportScope(report) : null,
      isoAsOf,
      // The days figureQuery takes: the date field refuses another in the browser, with the field still in view, where
      // it sent the clerk to an error page.
      minAsOf: `${EARLIEST_REPORT_YEAR}-01-01`,
      beforeFirst: first && afterDay(first, report.asOf) ? formatDate(vnDate(first)) : null,
      maxAsOf: iso(vnDate(ctx.deps.now())),
      period: q.period,
      asOfText: formatDate(report.asOf),
      fromText: formatDate(report.from),
      milestones: MILESTONES.map((m) => ({ rate: m.rate, label: `${Math.round(m.rate * 100)}% (${String(m.day).padStart(2, '0')}/${String(m.month).padStart(2, '0')})` })),
      number,
      percent,
    });
  });
}
