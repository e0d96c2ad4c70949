import type { Queryable } from './pool.js';

/** The counts of one import of a returned Mẫu 02 (the pipeline's CorrectionsResult fits). */
export interface UploadCounts {
  importId: number;
  rowsRead: number;
  corrected: number;
  unchanged: number;
  empty: number;
  rejected: number;
}

export interface UploadRecord {
  id: number;
  login: string;
  maDonVi: string;
  at: Date;
  fileName: string;
  rowsRead: number;
  corrected: number;
  unchanged: number;
  empty: number;
  rejected: number;
  /** The import of `ddcn import corrections` it was (its corrections carry it). */
  importId: number;
}

/**
 * Records an upload, and marks the corrections it made as uploaded by `login` (the import itself is the one of
 * `ddcn import corrections`, which records a file as their source).
 */
export async function recordUpload(
  q: Queryable,
  u: { login: string; maDonVi: string; at: Date; fileName: string; result: UploadCounts; rejectsCsv: Buffer },
): Promise<number> {
  await q.query(`UPDATE participant_correction SET source = 'upload', changed_by = $2::text WHERE import_id = $1::bigint`, [u.result.importId, u.login]);
  const r = u.result;
  const res = await q.query<{ id: number }>(
    `INSERT INTO portal_upload (import_id, login, ma_don_vi, at, file_name, rows_read, corrected, unchanged, empty, rejected, rejects_csv)
     VALUES ($1::bigint, $2::text, $3::text, $4::timestamptz, $5::text, $6::int, $7::int, $8::int, $9::int, $10::int, $11::bytea) RETURNING id`,
    [r.importId, u.login, u.maDonVi, u.at, u.fileName, r.rowsRead, r.corrected, r.unchanged, r.empty, r.rejected, u.rejectsCsv],
  );
  return res.rows[0]!.id;
}

/**
 * Which uploads `uploader` may read: of this unit (the caller has checked the unit is in the user's scope), made by
 * `uploader` (null: by anyone, for the national account). Their rejects hold the rows as the uploader's file had them
 * — names, dates and numbers typed in, people of other provinces or districts for a unit account's sheet — so another
 * office with the unit in scope must not read them: only the account that sent the file, as its result page offers.
 */
const READABLE_UPLOAD = 'ma_don_vi = $1::text AND id = $2::bigint AND ($3::text IS NULL OR login = $3::text)';

/** An upload's result (UploadRecord), with the values its corrections changed (`fields`), as READABLE_UPLOAD allows. */
export async function findUpload(q: Queryable, maDonVi: string, id: number, uploader: string | null): Promise<(UploadRecord & { fields: number }) | null> {
  const res = await q.query<UploadRecord & { fields: number }>(
    `SELECT id, login, ma_don_vi AS "maDonVi", at, file_name AS "fileName", rows_read AS "rowsRead", corrected, unchanged, empty, rejected,
            import_id::int AS "importId",
            (SELECT count(*)::int FROM participant_correction c WHERE c.import_id = u.import_id) AS fields
       FROM portal_upload u WHERE ${READABLE_UPLOAD}`,
    [maDonVi, id, uploader],
  );
  return res.rows[0] ?? null;
}

/** An upload's rejects file, as READABLE_UPLOAD allows; null when there is no such upload for `uploader`. */
export async function uploadRejects(q: Queryable, maDonVi: string, id: number, uploader: string | null): Promise<Buffer | null> {
  const res = await q.query<{ rejects: Buffer }>(`SELECT rejects_csv AS rejects FROM portal_upload WHERE ${READABLE_UPLOAD}`, [maDonVi, id, uploader]);
  return res.rows[0]?.rejects ?? null;
}

/**
 * The values one person's correction typed into the portal's form recorded (import `importId`, made by `login`): 0
 * when it changed nothing; null when that is no such correction of that account (a number typed into the address).
 */
export async function webCorrectionFields(q: Queryable, importId: number, login: string, maSoBhxh: string): Promise<number | null> {
  const res = await q.query<{ fields: number }>(
    `SELECT (SELECT count(*)::int FROM participant_correction c WHERE c.ma_so_bhxh = $3::text AND c.import_id = r.id) AS fields
       FROM import_run r WHERE r.id = $1::bigint AND r.kind = 'corrections-web' AND r.file_name = 'web:' || $2::text`,
    [importId, login, maSoBhxh],
  );
  return res.rows[0]?.fields ?? null;
}
