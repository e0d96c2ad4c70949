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
 * The targets in force before `cutoff`. Each import is the whole assignment of the provinces it names: per province,
 * the rows of its latest import before `cutoff` — its province row, its district rows, whichever that file gave; an
 * older import's rows of that province no longer count, so a province target dropped for district targets (or a
 * district dropped) is gone, rather than still read beside the new ones. Provinces a file does not name keep theirs.
 * When a province's targets were first imported after that date, its first import, since a plan's targets hold from
 * its start. Every import stays stored, so a past date gets the assignment of its time.
 */
export async function targetsAsOf(q: Queryable, cutoff: Date): Promise<Target[]> {
  const res = await q.query<Target>(
    // A province in either form (`79`, `079`: an older ddcn stored the file's) is one province, in 3 digits; so is a
    // district (`1`: an older ddcn kept a number cell's as it came). An import is its valid_from (and, for two at the
    // same instant, the later id: ON CONFLICT gave the rows they share to it). Where an older ddcn's file wrote a code
    // both ways, the one taken is the same on every run: by the codes as stored.
    `WITH t AS (
       SELECT CASE WHEN ma_tinh ~ '^[0-9]{1,2}$' THEN lpad(ma_tinh, 3, '0') ELSE ma_tinh END AS ma_tinh,
              CASE WHEN ma_huyen ~ '^[0-9]{1,2}$' THEN lpad(ma_huyen, 3, '0') ELSE ma_huyen END AS ma_huyen,
              ma_tinh || '/' || ma_huyen AS stored, chi_tieu_vssid, import_id, valid_from
         FROM vssid_target
     ), assignment AS (
       SELECT DISTINCT ON (ma_tinh) ma_tinh, valid_from, import_id
         FROM t
        ORDER BY ma_tinh, (valid_from < $1::timestamptz) DESC,
                 CASE WHEN valid_from < $1::timestamptz THEN valid_from END DESC NULLS LAST, valid_from, import_id DESC
     )
     SELECT DISTINCT ON (t.ma_tinh, t.ma_huyen) t.ma_tinh AS "maTinh", t.ma_huyen AS "maHuyen", t.chi_tieu_vssid AS "chiTieu"
       FROM t JOIN assignment a ON a.ma_tinh = t.ma_tinh AND a.valid_from = t.valid_from AND a.import_id = t.import_id
      ORDER BY t.ma_tinh, t.ma_huyen, t.stored`,
    [cutoff],
  );
  return res.rows;
}
