// Downloads, made from the current data by the same writers as `ddcn lists` and `ddcn report progress`, on the
// portal's workbook threads and in memory.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pLimit from 'p-limit';
import { audit } from '../../db/audit.js';
import { forEachUnitListPage } from '../../db/lists.js';
import { unitInScope } from '../../db/portal-queries.js';
import { scopeDistrict, scopeProvince } from '../../db/portal-scope.js';
import { FILE_NAMES } from '../../reports/list-paths.js';
import type { ListFileSpec } from '../../reports/list-row.js';
import { issuingDistrict } from '../../reports/office.js';
import type { ProgressReport } from '../../reports/mau03.js';
import type { BytesFile, ListWorkerPool } from '../../reports/worker-sink.js';
import { vnDate } from '../../reports/vn-date.js';
import type { PortalContext } from '../context.js';
import { figureQuery, scopeFigures } from '../figures.js';
import { attachment, DOWNLOAD, notFound } from '../errors.js';
import { requireUser } from '../session.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** People read at a time for a download, as `ddcn lists` reads them. */
const PAGE_ROWS = 5_000;

const isoDay = (t: Date) => {
  const d = vnDate(t);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
};

function sendXlsx(reply: FastifyReply, name: string, body: Buffer) {
  return reply
    .type(XLSX)
    .header('content-disposition', attachment(name))
    .header('cache-control', 'no-store')
    .send(body);
}

/**
 * Mẫu 03 workbooks lately made, by what they show: the same figures for the same scope, period and day give the
 * same sheet, so an office asking again (or another office of the same scope) gets the bytes already made instead of
 * an exceljs run (~100 ms of CPU for the national report: a third of the CPU the portal benchmark's 20 users spent).
 * Only the workbook's "created" property then says when it was first made that day.
 */
class MadeReports {
  private readonly made = new Map<string, Promise<Buffer>>();
  constructor(private readonly limit: number) {}

  get(report: ProgressReport, make: () => Promise<Buffer>): Promise<Buffer> {
    const printed = vnDate(report.issuedAt); // the sheet prints the day it was issued, not the time
    const key = createHash('sha256').update(JSON.stringify({ ...report, issuedAt: printed })).digest('base64');
    const known = this.made.get(key);
    if (known) return known;
    const making = make();
    this.made.set(key, making);
    making.catch(() => this.made.delete(key));
    if (this.made.size > this.limit) this.made.delete(this.made.keys().next().value!);
    return making;
  }
}

/** `threads`: those that make the workbooks, so that this thread goes on answering pages meanwhile. */
export function registerFiles(app: FastifyInstance, ctx: PortalContext, threads: { lists: ListWorkerPool; reports: ListWorkerPool }): void {
  const madeReports = new MadeReports(100);
  // A unit's rows are read a page at a time through a cursor and sent on to the lists thread, which makes the
  // workbook with `ddcn lists`' own writer, in memory; the next page is read once the thread has room for it. Read
  // whole before it was sent, a download of 90 000 people added ~215 MB to this process, and eight at once ~850 MB;
  // a page at a time, ~165 and ~370 MB (scripts/bench-download.ts). A unit within one page (most) is read in one
  // FETCH and its connection goes back once its rows are handed to the thread (at once, unless the thread is
  // behind); a large unit holds its connection while the thread makes its file. At most half the connections are
  // held so at once, so that pages are still answered.
  const reading = pLimit(Math.max(1, Math.floor(ctx.settings.dbConnections / 2)));
  const list = (form: 'mau01' | 'mau02') => async (req: FastifyRequest, reply: FastifyReply) => {
    const { user, scope } = requireUser(req);
    const { ma_don_vi: code } = req.params as { ma_don_vi: string };
    const unit = await unitInScope(ctx.deps.db, scope, code);
    if (!unit) throw notFound();
    const now = ctx.deps.now();
    // A province or district office: its province's people of the unit, as `ddcn lists` files them. The unit itself
    // and the national account: the unit's people of every province, as its page lists them (a unit whose people
    // some other province manages too), under the unit's own province's heading.
    // The issuing office: a district account's is its own; else the unit's district office when it manages the
    // people on the file (issuingDistrict), as `ddcn lists` heads them.
    const province = scopeProvince(scope);
    const maHuyen = scope.role === 'district' ? scope.maHuyen : issuingDistrict(province ?? unit.maTinh, unit);
    const spec: ListFileSpec = {
      path: FILE_NAMES[form], form, unit: { maTinh: province ?? unit.maTinh, maHuyen, maDonVi: code, tenDonVi: unit.tenDonVi, diaChi: unit.diaChi },
      issuedAt: now.toISOString(),
    };
    const made: { file?: BytesFile } = {};
    let body: Buffer | null;
    try {
      await reading(() =>
        ctx.deps.db.withTransaction((tx) =>
          forEachUnitListPage(tx, { province, unit: code, district: scopeDistrict(scope), form }, PAGE_ROWS, async (rows) => {
            made.file ??= await threads.lists.openBytes(spec);
            await made.file.add(rows);
          }),
        ),
      );
      body = made.file ? await made.file.bytes() : null;
    } catch (err) {
      made.file?.abandon();
      throw err;
    }
    await audit(ctx.deps.db, { at: now, login: user.login, action: 'download', object: `${form} ${code}`, result: body ? 'ok' : 'no-rows', ip: req.ip });
    if (!body) throw notFound(); // the form has no rows: there is no such file (docs/interface.md)
    return sendXlsx(reply, `${form}-${code}-${isoDay(now)}.xlsx`, body);
  };
  // Downloads answer GET only: Fastify's HEAD would make the file, and audit a download nobody received.
  app.get('/units/:ma_don_vi/mau01.xlsx', DOWNLOAD, list('mau01'));
  app.get('/units/:ma_don_vi/mau02.xlsx', DOWNLOAD, list('mau02'));

  app.get('/report/mau03.xlsx', DOWNLOAD, async (req, reply) => {
    const { user, scope } = requireUser(req);
    const q = figureQuery(req.query as Record<string, unknown>, ctx.deps.now());
    const report = await scopeFigures(ctx.deps, scope, q);
    const body = await madeReports.get(report, () => threads.reports.mau03Bytes(report));
    const day = `${report.asOf.year}-${String(report.asOf.month).padStart(2, '0')}-${String(report.asOf.day).padStart(2, '0')}`;
    const scopeCode = scope.role === 'national' ? 'toan-quoc' : scope.role === 'province' ? scope.maTinh : scope.role === 'district' ? `${scope.maTinh}-${scope.maHuyen}` : scope.maDonVi;
    await audit(ctx.deps.db, { at: ctx.deps.now(), login: user.login, action: 'download', object: `mau03 ${scopeCode} ${q.period} ${day}`, result: 'ok', ip: req.ip });
    return sendXlsx(reply, `mau03-${scopeCode}-${day}.xlsx`, body);
  });
}
