// What the portal reads about units and people. Every function takes the user's Scope and passes it through
// scopeCondition: a unit or person outside it is simply not found.
import type { Queryable } from './pool.js';
import { scopeCondition, type Scope } from './portal-scope.js';
import type { AuditEntry } from './audit.js';
import { lookupNumberAudited, type LookupRow } from './results.js';

export interface UnitCounts {
  total: number;
  matched: number;
  mismatched: number;
  missing: number;
  conflict: number;
  pending: number;
  corrected: number; // people with a correction received (file, upload or form)
}

export interface UnitSummary extends UnitCounts {
  maDonVi: string;
  tenDonVi: string;
  maTinh: string | null;
  maHuyen: string | null;
}

export interface UnitDetail extends UnitSummary {
  diaChi: string;
}

const COUNTS = `count(*)::int AS total,
  count(*) FILTER (WHERE p.status = 'MATCHED')::int AS matched,
  count(*) FILTER (WHERE p.status = 'MISMATCHED')::int AS mismatched,
  count(*) FILTER (WHERE p.status = 'MISSING_ID')::int AS missing,
  count(*) FILTER (WHERE p.status = 'CONFLICT')::int AS conflict,
  count(*) FILTER (WHERE p.status = 'PENDING')::int AS pending,
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM participant_correction c WHERE c.ma_so_bhxh = p.ma_so_bhxh))::int AS corrected`;

/**
 * What a typed search compares: NFC, white space runs made one space, LIKE's `%`, `_` and `\\` escaped (so that
 * "100%" finds "100%", not every name with "100"). The name side is then folded in SQL (search_fold, migration 0025).
 */
export function searchPattern(typed: string): string {
  return typed.normalize('NFC').replace(/\s+/g, ' ').trim().replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * One page of the units in scope, by code, with their counts. `q` matches the start of the code in any letter case
 * (in the database's collation: in the code's own, "C", ILIKE folds ASCII letters only, and a code may hold Đ), or
 * any part of the name whatever its tones, letter case and spacing (both folded by search_fold, the name's stored
 * in unit.ten_don_vi_fold: migrations 0025–0026; a name not folded yet — 0026 not applied — is folded as it is
 * read). The page is read from the unit table's key and only its units' people
 * are counted, so a page costs the same in a province of 5 000 units as in one of 50. Offsets are bounded by the
 * caller.
 */
export async function unitsPage(
  q: Queryable,
  scope: Scope,
  args: { search: string | null; offset: number; limit: number },
): Promise<{ units: UnitSummary[]; more: boolean }> {
  const params: unknown[] = [];
  const inScope = scopeCondition(scope, 'u', params);
  params.push(args.search === null ? null : searchPattern(args.search), args.limit + 1, args.offset);
  const [search, limit, offset] = [params.length - 2, params.length - 1, params.length];
  const peopleScope = scopeCondition(scope, 'p', params);
  const res = await q.query<UnitSummary>(
    `WITH page AS (
       SELECT u.ma_don_vi, u.ten_don_vi, u.ma_tinh, u.ma_huyen FROM unit u
        WHERE ${inScope}
          AND ($${search}::text IS NULL OR u.ma_don_vi COLLATE "default" ILIKE $${search}::text || '%'
               OR (search_fold($${search}::text) <> ''
                   AND coalesce(u.ten_don_vi_fold, search_fold(u.ten_don_vi)) LIKE '%' || search_fold($${search}::text) || '%'))
        ORDER BY u.ma_don_vi LIMIT $${limit}::int OFFSET $${offset}::int
     )
     SELECT page.ma_don_vi AS "maDonVi", page.ten_don_vi AS "tenDonVi", page.ma_tinh AS "maTinh", page.ma_huyen AS "maHuyen", c.*
       FROM page CROSS JOIN LATERAL (SELECT ${COUNTS} FROM participant p WHERE p.ma_don_vi = page.ma_don_vi AND ${peopleScope}) c
      ORDER BY page.ma_don_vi`,
    params,
  );
  return { units: res.rows.slice(0, args.limit), more: res.rows.length > args.limit };
}

/**
 * The people of an office's scope without a unit code: counted in its dashboard, on no unit's row (their Mẫu 02 is
 * the IT centre's `ddcn lists` folder `_chua-co-ma-don-vi`), so the unit list says how many, else its rows would not
 * add up to the dashboard. Through the index on ma_don_vi (`IS NULL` is indexed).
 */
export async function unitlessInScope(q: Queryable, scope: Scope): Promise<number> {
  const params: unknown[] = [];
  const peopleScope = scopeCondition(scope, 'p', params);
  const res = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM participant p WHERE p.ma_don_vi IS NULL AND ${peopleScope}`, params);
  return res.rows[0]!.n;
}

/** One unit with its counts, or null when it does not exist or is outside the scope. */
export async function unitInScope(q: Queryable, scope: Scope, maDonVi: string): Promise<UnitDetail | null> {
  const params: unknown[] = [maDonVi];
  const inScope = scopeCondition(scope, 'u', params);
  const peopleScope = scopeCondition(scope, 'p', params);
  const res = await q.query<UnitDetail>(
    `SELECT u.ma_don_vi AS "maDonVi", u.ten_don_vi AS "tenDonVi", u.dia_chi AS "diaChi", u.ma_tinh AS "maTinh", u.ma_huyen AS "maHuyen", c.*
       FROM unit u CROSS JOIN LATERAL (SELECT ${COUNTS} FROM participant p WHERE p.ma_don_vi = u.ma_don_vi AND ${peopleScope}) c
      WHERE u.ma_don_vi = $1::text AND ${inScope}`,
    params,
  );
  return res.rows[0] ?? null;
}

/**
 * A unit's name and office codes without its counts (one look-up by key), or null when it does not exist or is
 * outside the scope: for the labels of Mẫu 03 and the links of the error pages.
 */
export async function unitNameInScope(q: Queryable, scope: Scope, maDonVi: string): Promise<{ maDonVi: string; tenDonVi: string; maTinh: string | null } | null> {
  const params: unknown[] = [maDonVi];
  const inScope = scopeCondition(scope, 'u', params);
  const res = await q.query<{ maDonVi: string; tenDonVi: string; maTinh: string | null }>(
    `SELECT u.ma_don_vi AS "maDonVi", u.ten_don_vi AS "tenDonVi", u.ma_tinh AS "maTinh" FROM unit u WHERE u.ma_don_vi = $1::text AND ${inScope}`,
    params,
  );
  return res.rows[0] ?? null;
}

/** A person of the unit within the scope, whatever their outcome (on Mẫu 01, 02 or not verified yet); null otherwise. */
export async function unitPersonInScope(q: Queryable, scope: Scope, maDonVi: string, maSoBhxh: string): Promise<{ maSoBhxh: string; status: string } | null> {
  const params: unknown[] = [maDonVi, maSoBhxh];
  const inScope = scopeCondition(scope, 'p', params);
  const res = await q.query<{ maSoBhxh: string; status: string }>(
    `SELECT p.ma_so_bhxh AS "maSoBhxh", p.status FROM participant p WHERE p.ma_don_vi = $1::text AND p.ma_so_bhxh = $2::text AND ${inScope}`,
    params,
  );
  return res.rows[0] ?? null;
}

/** Those of `codes` who are people of the unit within the scope: whom an upload for that unit may correct. */
export async function unitPeopleInScope(q: Queryable, scope: Scope, maDonVi: string, codes: string[]): Promise<Set<string>> {
  const params: unknown[] = [maDonVi, codes];
  const inScope = scopeCondition(scope, 'p', params);
  const res = await q.query<{ code: string }>(
    `SELECT p.ma_so_bhxh AS code FROM participant p WHERE p.ma_don_vi = $1::text AND p.ma_so_bhxh = ANY($2::text[]) AND ${inScope}`,
    params,
  );
  return new Set(res.rows.map((r) => r.code));
}

/**
 * `ddcn lookup`'s search, keeping only the people in scope, with the look-up's audit row (result: how many were
 * found), all in one statement.
 */
export async function lookupInScopeAudited(
  q: Queryable,
  scope: Scope,
  number: string,
  entry: Omit<AuditEntry, 'action' | 'result'>,
): Promise<Array<LookupRow & { maDonVi: string | null; unitInScope: boolean }>> {
  const found = await lookupNumberAudited(q, number, (alias, params) => scopeCondition(scope, alias, params), entry);
  // A person in scope may belong to a unit managed by another office, whose page is not the user's (a 404): its
  // code is shown without a link.
  const params: unknown[] = [[...new Set(found.map((r) => r.ma_don_vi).filter((c) => c !== null))]];
  const units = found.length
    ? new Set((await q.query<{ code: string }>(`SELECT u.ma_don_vi AS code FROM unit u WHERE u.ma_don_vi = ANY($1::text[]) AND ${scopeCondition(scope, 'u', params)}`, params)).rows.map((r) => r.code))
    : new Set<string>();
  return found.map(({ ma_don_vi, ...r }) => ({ ...r, maDonVi: ma_don_vi, unitInScope: ma_don_vi !== null && units.has(ma_don_vi) }));
}
