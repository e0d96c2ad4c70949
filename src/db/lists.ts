import type pg from 'pg';
import type { Queryable } from './pool.js';
import type { EscalationRow, ListRow } from '../domain/list-row.js';

export interface ListScope {
  province: string | null; // ma_tinh
  unit: string | null; // ma_don_vi
  /** ma_huyen within the province: the portal's district users see only their district's people. */
  district?: string | null;
}

const FORM_STATUSES = { mau01: `'MATCHED'`, mau02: `'MISMATCHED', 'MISSING_ID', 'CONFLICT'` } as const;

/** A person on Mẫu 01 or Mẫu 02, with the unit and form it belongs to. */
export interface ListDbRow extends ListRow {
  maTinh: string | null;
  maDonVi: string | null;
  form: 'mau01' | 'mau02';
}

export interface UnitRecord {
  tenDonVi: string;
  diaChi: string;
  /** The unit's managing office: its province, and its district when a district office manages it. */
  maTinh: string | null;
  maHuyen: string | null;
}

export async function unitRecords(q: Queryable, scope: ListScope): Promise<Map<string, UnitRecord>> {
  // One unit (the portal's downloads): its own people tell whether it has any in the province, by index. The list
  // of every unit of a province reads the province's people once instead.
  const inProvince = scope.unit !== null
    ? `EXISTS (SELECT 1 FROM participant p WHERE p.ma_don_vi = unit.ma_don_vi AND p.ma_tinh = $2::text)`
    : `ma_don_vi IN (SELECT DISTINCT ma_don_vi FROM participant WHERE ma_tinh = $2::text)`;
  const res = await q.query<UnitRecord & { maDonVi: string }>(
    `SELECT ma_don_vi AS "maDonVi", ten_don_vi AS "tenDonVi", dia_chi AS "diaChi", ma_tinh AS "maTinh", ma_huyen AS "maHuyen" FROM unit
      WHERE ($1::text IS NULL OR ma_don_vi = $1::text)
        AND ($2::text IS NULL OR ${inProvince})`,
    [scope.unit, scope.province],
  );
  return new Map(res.rows.map(({ maDonVi, ...unit }) => [maDonVi, unit]));
}

// The registry's disclosed values and the conflict partners come from the verification that set the outcome.
const LAST_VERIFICATION = `LEFT JOIN LATERAL (
    SELECT v.so_ddcn, v.detail FROM verification v
     WHERE p.status <> 'MATCHED' AND v.batch_id = p.last_batch_id AND v.ma_so_bhxh = p.ma_so_bhxh) v ON true`;

const PERSON_COLUMNS = `p.ma_so_bhxh AS "maSoBhxh", p.ho_ten AS "hoTen", p.ngay_sinh AS "ngaySinh", p.gioi_tinh AS "gioiTinh",
       p.so_giay_to AS "soGiayTo", CASE WHEN p.status = 'MATCHED' THEN p.so_ddcn ELSE v.so_ddcn END AS "soDdcn",
       p.vssid, p.email, p.status, p.status_fields AS fields, p.findings, v.detail`;

/**
 * The corrections of a person on Mẫu 02, in one look-up (list pages read it for every such person): the version
 * the last one made, and those made since the last verification (the next run checks them) — the day of the
 * last, the fields.
 */
const CORRECTIONS = `LEFT JOIN LATERAL (
    SELECT max(c.data_version) AS last_version, max(c.changed_at) AS last_at,
           max(c.changed_at) FILTER (WHERE c.data_version > coalesce(p.verified_version, 0)) AS pending_at,
           array_agg(DISTINCT c.field) FILTER (WHERE c.data_version > coalesce(p.verified_version, 0)) AS pending_fields
      FROM participant_correction c
     WHERE p.status IN ('MISMATCHED', 'MISSING_ID', 'CONFLICT') AND c.ma_so_bhxh = p.ma_so_bhxh) fix ON true`;

/**
 * SQL: no import has changed what the registry compares of person `p` since their last correction (of data version
 * `version`): the data verified is still the data as the unit corrected it. A new value at the source replaces the
 * correction (README, *Re-import*), and an import changing a compared field sets the person PENDING and records the
 * version it made (participant_state.changed_version, migration 0028; also for a person PENDING already, a registry
 * failure after the correction: 0036); verified on that data, a person no longer
 * matching is an ordinary Mẫu 02 case of the new data, not one the unit's correction failed to settle: not on the
 * escalation list, not told "Đã chuyển TT CNTT hỗ trợ" (which says not to correct again), not counted in Mẫu 03's
 * (12)/(13). A later correction makes them the unit's correction again.
 */
export const CORRECTED_DATA_STANDS = (version: string, person = 'p.ma_so_bhxh') =>
  `NOT EXISTS (SELECT 1 FROM participant_state st_ch WHERE st_ch.ma_so_bhxh = ${person} AND st_ch.changed_version > ${version})`;

/**
 * SQL: the outcome (`status`, `fields`, of a verification of the number `number`) is the registry not knowing a number
 * that no correction of person `person` gave — it compared nothing else, as for MISSING_ID (docs/matching-rules.md):
 * whatever the unit corrected (a name, a date) was never checked, and Mẫu 02 still asks the unit for the number. Such
 * a person is not the IT centre's case (Plan II.6.2: still not matching although the data equals the dossier): not on
 * the escalation list, not told "Đã chuyển TT CNTT hỗ trợ" (which says to wait and not correct again), not in Mẫu
 * 03's (13). A number the unit gave that the registry does not know is.
 */
export const NUMBER_NEVER_COMPARED = (status: string, fields: string, number: string, person = 'p.ma_so_bhxh') =>
  `(${status} = 'MISMATCHED' AND ${fields} = ARRAY['id_number']::text[]
    AND NOT EXISTS (SELECT 1 FROM participant_correction nc
                     WHERE nc.ma_so_bhxh = ${person} AND nc.field = 'id_number' AND nc.new_value = ${number}))`;

/**
 * What column (9) says beyond the outcome (read with CORRECTIONS). `escalatedOn`: the day a person went on the
 * escalation list (see forEachEscalationPage), the re-verification after their last correction, which the next
 * `ddcn lists` puts on de-nghi-ho-tro.xlsx — so that the unit does not send the same correction again.
 * `correctedSince`: the corrections awaiting the next run, so that column (9) says they are in rather than
 * comparing a corrected value with what the registry said of the old one. Null for everyone else.
 */
const COLUMN9_STATE = `CASE WHEN fix.last_version <= p.verified_version AND p.status <> 'MISSING_ID'
              AND NOT ${NUMBER_NEVER_COMPARED('p.status', 'p.status_fields', 'p.so_giay_to')}
         THEN CASE WHEN ${CORRECTED_DATA_STANDS('fix.last_version')}
                   THEN to_char(p.verified_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') END END AS "escalatedOn",
       -- Verified since the last correction, but on data an import changed after it: the source's new values replaced
       -- (some of) what the unit corrected, and the outcome is about them — said, or the unit sees its correction
       -- come back as a mismatch with no word why.
       CASE WHEN fix.last_version <= p.verified_version AND NOT ${CORRECTED_DATA_STANDS('fix.last_version')}
            THEN to_char(fix.last_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') END AS "sourceChangedAfter",
       CASE WHEN fix.pending_at IS NOT NULL THEN json_build_object(
         'on', to_char(fix.pending_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'), 'fields', fix.pending_fields) END AS "correctedSince"`;

/** Who of the scope is on a list, with the columns of ListDbRow; `$1`–`$3` are the scope's province, unit, district. */
const listRowsSql = (statuses: string) => `
     SELECT p.ma_tinh AS "maTinh", p.ma_don_vi AS "maDonVi",
            CASE WHEN p.status = 'MATCHED' THEN 'mau01' ELSE 'mau02' END AS form, ${PERSON_COLUMNS}, ${COLUMN9_STATE}
       FROM participant p ${LAST_VERIFICATION} ${CORRECTIONS}
      WHERE p.status IN (${statuses})
        AND ($1::text IS NULL OR p.ma_tinh = $1::text) AND ($2::text IS NULL OR p.ma_don_vi = $2::text)
        AND ($3::text IS NULL OR p.ma_huyen = $3::text)`;

/**
 * Everyone on a list, ordered by province, unit, form and code, read through a cursor in pages: the caller
 * sees one page at a time and memory does not grow with the number of participants. Run it inside a
 * transaction (a cursor lives only there).
 */
export async function forEachListPage(
  tx: Queryable,
  scope: ListScope,
  pageSize: number,
  onPage: (rows: ListDbRow[]) => Promise<void>,
): Promise<void> {
  await forEachPage(
    tx,
    `${listRowsSql(`${FORM_STATUSES.mau01}, ${FORM_STATUSES.mau02}`)} ORDER BY p.ma_tinh, p.ma_don_vi, form, p.ma_so_bhxh`,
    [scope.province, scope.unit, scope.district ?? null],
    pageSize,
    onPage,
  );
}

/** The rows of `sql` a page at a time, through a cursor of the caller's transaction (forEachListPage). */
async function forEachPage<R extends pg.QueryResultRow>(
  tx: Queryable,
  sql: string,
  values: unknown[],
  pageSize: number,
  onPage: (rows: R[]) => Promise<void>,
): Promise<void> {
  await tx.query(`DECLARE page_rows NO SCROLL CURSOR FOR ${sql}`, values);
  const size = Math.trunc(pageSize);
  for (;;) {
    const page = await tx.query<R>(`FETCH FORWARD ${size} FROM page_rows`);
    if (page.rows.length > 0) await onPage(page.rows);
    if (page.rows.length < size) break; // the last page: no round trip to learn that nothing follows
  }
  await tx.query('CLOSE page_rows');
}

const UNIT_LIST_ORDER = 'ORDER BY p.ma_tinh, p.ma_so_bhxh';

/**
 * One unit's people on one form within the scope, as `ddcn lists` writes them (same columns, same order): the
 * portal's unit page, `limit` of them from `offset` (`more` says there are others after).
 */
export async function unitListRows(
  q: Queryable,
  scope: ListScope & { unit: string; form: 'mau01' | 'mau02'; /** One person of the unit's list (the portal's form). */ person?: string },
  limit: number,
  offset = 0,
): Promise<{ rows: ListDbRow[]; more: boolean }> {
  const res = await q.query<ListDbRow>(
    `${listRowsSql(FORM_STATUSES[scope.form])} AND ($6::text IS NULL OR p.ma_so_bhxh = $6::text)
     ${UNIT_LIST_ORDER} LIMIT $4::bigint OFFSET $5::bigint`,
    [scope.province, scope.unit, scope.district ?? null, limit + 1, offset, scope.person ?? null],
  );
  return { rows: res.rows.slice(0, limit), more: res.rows.length > limit };
}

/**
 * The same people a page at a time, through a cursor of the caller's transaction: the portal's downloads, whose
 * memory then does not grow with the size of the unit. `province` null: the unit's people of every province (the
 * unit's own account and the national one, whose unit page lists them all), ordered by province.
 */
export async function forEachUnitListPage(
  tx: Queryable,
  scope: { province: string | null; unit: string; district: string | null; form: 'mau01' | 'mau02' },
  pageSize: number,
  onPage: (rows: ListDbRow[]) => Promise<void>,
): Promise<void> {
  // The cursor is read to its end: planned for all its rows, not for its first ones (cursor_tuple_fraction 0.1 walked
  // the whole table in key order for a unit of over ~0.5 % of it, instead of the unit's index and a sort).
  await tx.query('SET LOCAL cursor_tuple_fraction = 1');
  await forEachPage(
    tx,
    `${listRowsSql(FORM_STATUSES[scope.form])} ${UNIT_LIST_ORDER}`,
    [scope.province, scope.unit, scope.district],
    pageSize,
    onPage,
  );
}

/**
 * Plan II.6.2: people corrected from a unit's return whose outcome, decided on the corrected data
 * (verified_version has reached the correction), is still not a match. With their last correction — the last by
 * data version, as column (9)'s escalation line takes it (a correction's time is taken when its request begins, so
 * two made at once may commit in the other order). Ordered by province, read a page at a time as forEachListPage
 * reads.
 */
export async function forEachEscalationPage(
  tx: Queryable,
  scope: ListScope,
  pageSize: number,
  onPage: (rows: Array<EscalationRow & { maTinh: string | null }>) => Promise<void>,
): Promise<void> {
  await forEachPage<EscalationRow & { maTinh: string | null; correctedAt: Date }>(
    tx,
    `WITH last_fix AS (
       SELECT DISTINCT ON (c.ma_so_bhxh) c.ma_so_bhxh, c.changed_at, c.source_file, c.source_row, c.data_version
         FROM participant_correction c ORDER BY c.ma_so_bhxh, c.data_version DESC, c.changed_at DESC, c.id DESC
     )
     SELECT p.ma_tinh AS "maTinh", p.ma_don_vi AS "maDonVi", coalesce(u.ten_don_vi, '') AS "tenDonVi", ${PERSON_COLUMNS},
            f.changed_at AS "correctedAt", f.source_file AS "sourceFile", f.source_row AS "sourceRow"
       FROM participant p JOIN last_fix f ON f.ma_so_bhxh = p.ma_so_bhxh
       LEFT JOIN unit u ON u.ma_don_vi = p.ma_don_vi
       ${LAST_VERIFICATION}
      -- Not MISSING_ID: a person corrected without a number was never compared with the registry (Plan II.6.2
      -- escalates who still does not match once their data fits the dossier); the unit is still asked for it.
      WHERE p.status IN ('MISMATCHED', 'CONFLICT') AND p.verified_version >= f.data_version
        AND ${CORRECTED_DATA_STANDS('f.data_version')}
        AND NOT ${NUMBER_NEVER_COMPARED('p.status', 'p.status_fields', 'p.so_giay_to')}
        AND ($1::text IS NULL OR p.ma_tinh = $1::text) AND ($2::text IS NULL OR p.ma_don_vi = $2::text)
        AND ($3::text IS NULL OR p.ma_huyen = $3::text)
      ORDER BY p.ma_tinh, p.ma_don_vi, p.ma_so_bhxh`,
    [scope.province, scope.unit, scope.district ?? null],
    pageSize,
    (rows) => onPage(rows.map((r) => ({ ...r, correctedAt: r.correctedAt.toISOString() }))),
  );
}

/**
 * The people of `codes` as a Mẫu 02 shows them now, with their unit and outcome, locked for the caller's
 * transaction: what a returned row's columns (1)–(9) are checked against before its corrections are applied.
 */
export async function listRowsOf(q: Queryable, codes: string[]): Promise<Map<string, ListRow & { maDonVi: string | null; updatedAt: Date }>> {
  const res = await q.query<ListRow & { maDonVi: string | null; updatedAt: Date }>(
    `SELECT p.ma_don_vi AS "maDonVi", p.updated_at AS "updatedAt", ${PERSON_COLUMNS}, ${COLUMN9_STATE}
       FROM participant p ${LAST_VERIFICATION} ${CORRECTIONS}
      WHERE p.ma_so_bhxh = ANY($1::text[])
      ORDER BY p.ma_so_bhxh -- locked in code order, as an import and the write step take them: no deadlock with either
      FOR UPDATE OF p`,
    [codes],
  );
  return new Map(res.rows.map((r) => [r.maSoBhxh, r]));
}
