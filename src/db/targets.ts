import type { Queryable } from './pool.js';

export interface Target {
  maTinh: string;
  maHuyen: string; // '' for the province as a whole
  chiTieu: number;
}

/** Stores one import of VssID targets; earlier imports stay, so past reports keep the targets of their time. */
export async function insertTargets(tx: Queryable, args: { importId: number; now: Date; targets: Target[] }): Promise<number> {
  const t = args.targets;
  const res = await tx.query(
    `INSERT INTO vssid_target (ma_tinh, ma_huyen, chi_tieu_vssid, import_id, valid_from)
     SELECT u.tinh, u.huyen, u.chi_tieu, $1::bigint, $2::timestamptz FROM unnest($3::text[], $4::text[], $5::int[]) AS u(tinh, huyen, chi_tieu)
     ON CONFLICT (ma_tinh, ma_huyen, valid_from) DO UPDATE SET chi_tieu_vssid = EXCLUDED.chi_tieu_vssid, import_id = EXCLUDED.import_id`,
    [args.importId, args.now, t.map((x) => x.maTinh), t.map((x) => x.maHuyen), t.map((x) => x.chiTieu)],
  );
  return res.rowCount ?? 0;
}

/**
 * Whether anyone was ever recorded in this district of the province (`maTinh` in 3 digits; the participants' files
 * may write it `079`, `79`, or `1` for `001`), so that Mẫu 03 has, or had, a row for it.
 */
export async function districtHasParticipants(q: Queryable, maTinh: string, maHuyen: string): Promise<boolean> {
  const forms = [maTinh, maTinh.slice(1), maTinh.replace(/^0+/, '')];
  const res = await q.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM participant_state WHERE ma_tinh = ANY($1::text[]) AND ma_huyen = $2::text) AS found',
    [forms, maHuyen],
  );
  return res.rows[0]?.found === true;
}

/**
 * The targets in force before `cutoff`: per province/district the latest import before it, or — when targets
 * were first imported after that date — the first import, since a plan's targets hold from its start.
 */
export async function targetsAsOf(q: Queryable, cutoff: Date): Promise<Target[]> {
  const res = await q.query<Target>(
    // A province in either form (`79`, `079`: an older ddcn stored the file's): one target, the latest, in 3 digits.
    `SELECT DISTINCT ON (p.ma_tinh, ma_huyen) p.ma_tinh AS "maTinh", ma_huyen AS "maHuyen", chi_tieu_vssid AS "chiTieu"
       FROM vssid_target CROSS JOIN LATERAL (SELECT CASE WHEN ma_tinh ~ '^[0-9]{1,2}$' THEN lpad(ma_tinh, 3, '0') ELSE ma_tinh END AS ma_tinh) p
      ORDER BY p.ma_tinh, ma_huyen, (valid_from < $1::timestamptz) DESC,
               CASE WHEN valid_from < $1::timestamptz THEN valid_from END DESC NULLS LAST, valid_from`,
    [cutoff],
  );
  return res.rows;
}
