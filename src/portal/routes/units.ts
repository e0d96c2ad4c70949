import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unitListRows, type ListDbRow } from '../../db/lists.js';
import { unitInScope, unitlessInScope, unitsPage } from '../../db/portal-queries.js';
import { scopeDistrict, scopeProvince, type Scope } from '../../db/portal-scope.js';
import { mismatchLines } from '../../reports/mismatch-text.js';
import type { PortalContext } from '../context.js';
import { notFound } from '../errors.js';
import { number, render } from '../render.js';
import { requireUser } from '../session.js';
import type { Queryable } from '../../db/pool.js';

const PAGE_SIZE = 50;
// An offset walks the unit key this far at most: beyond, the search box is the way (20 000 units = 400 pages).
const MAX_PAGE = 1_000;
// A unit's Mẫu 02 people, this many a page (a phone shows them as cards; a unit of thousands pages through them).
const PEOPLE_PAGE_SIZE = 100;

export const STATUS_TEXT: Record<string, string> = {
  MATCHED: 'Đã khớp',
  MISMATCHED: 'Chưa khớp',
  MISSING_ID: 'Chưa có số ĐDCN',
  CONFLICT: 'Trùng số ĐDCN',
  PENDING: 'Chưa xác thực',
};

/** `?page=` as a page number: past the last page allowed it is the last (`1001` and `9999999` alike), else 1. */
export const pageNumber = (raw: unknown): number => {
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : 1;
  return Math.min(Math.max(n, 1), MAX_PAGE);
};

/**
 * The people of a unit's Mẫu 02, read with `ddcn lists`' own columns, within the scope's province or district;
 * `person`: only that one (the form of one person reads one row, not the unit's list).
 */
export function mau02People(
  tx: Queryable, scope: Scope, maDonVi: string, limit: number, offset = 0, person?: string,
): Promise<{ rows: ListDbRow[]; more: boolean }> {
  return unitListRows(tx, { province: scopeProvince(scope), unit: maDonVi, district: scopeDistrict(scope), form: 'mau02', person }, limit, offset);
}

export function registerUnits(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/units', async (req, reply) => {
    const { scope } = requireUser(req);
    const query = req.query as Record<string, unknown>;
    const search = typeof query.q === 'string' && query.q.trim() ? query.q.trim().slice(0, 100) : null;
    const page = pageNumber(query.page);
    const { units, more } = await unitsPage(ctx.deps.db, scope, { search, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
    // On the list's first page, for an office: those of its people who have no unit code, and so no row here.
    const unitless = scope.role !== 'unit' && search === null && page === 1 ? await unitlessInScope(ctx.deps.db, scope) : 0;
    const link = (p: number) => `/units?${new URLSearchParams({ ...(search ? { q: search } : {}), page: String(p) })}`;
    // A page past the last (a link kept while units moved, a page number typed): it says so and leads to the first
    // page, rather than "no unit" and a "previous page" that is as empty, and the one before it too.
    const beyond = units.length === 0 && page > 1;
    return render(reply, req, 'units', {
      title: 'Đơn vị quản lý', units, unitless, search: search ?? '', page, beyond: beyond ? link(1) : null,
      prev: page > 1 && !beyond ? link(page - 1) : null, next: more && page < MAX_PAGE ? link(page + 1) : null, number,
    });
  });

  app.get('/units/:ma_don_vi', async (req, reply) => {
    const { ma_don_vi: code } = req.params as { ma_don_vi: string };
    const page = pageNumber((req.query as Record<string, unknown>).page);
    const shown = await unitPage(ctx, req, reply, code, page, null);
    if (!shown) throw notFound();
    return shown;
  });
}

/**
 * The page of a unit in the user's scope (null when it is not), page `page` of its Mẫu 02 people. `uploadError`: why
 * the file just sent was refused, said in the upload form, beside the field, so that the clerk can pick another file
 * at once rather than find the way back from an error page (the answer keeps the refusal's status).
 */
export async function unitPage(
  ctx: PortalContext, req: FastifyRequest, reply: FastifyReply, code: string, page: number, uploadError: string | null,
) {
  const { scope } = requireUser(req);
  const unit = await unitInScope(ctx.deps.db, scope, code);
  if (!unit) return null;
  const people = await mau02People(ctx.deps.db, scope, code, PEOPLE_PAGE_SIZE, (page - 1) * PEOPLE_PAGE_SIZE);
  const onForm = unit.mismatched + unit.missing + unit.conflict;
  const link = (p: number) => `/units/${encodeURIComponent(code)}?page=${p}`;
  return render(reply, req, 'unit', {
    title: uploadError ? `Chưa nhận tệp Mẫu số 02 — Đơn vị ${unit.maDonVi}` : `Đơn vị ${unit.maDonVi}`,
    unit,
    people: people.rows.map((r) => ({ ...r, column9: mismatchLines(r), statusText: STATUS_TEXT[r.status] ?? r.status })),
    onForm,
    first: (page - 1) * PEOPLE_PAGE_SIZE + 1,
    page,
    pages: Math.max(1, Math.ceil(onForm / PEOPLE_PAGE_SIZE)),
    prev: page > 1 ? link(page - 1) : null,
    next: people.more && page < MAX_PAGE ? link(page + 1) : null,
    number,
    maxUploadMb: Math.round(ctx.settings.maxUploadBytes / 1024 / 1024),
    maxUploadRows: ctx.settings.maxUploadRows,
    uploadError,
  });
}
