import type { Queryable } from './pool.js';
import { NEEDS_VERIFICATION } from './batches.js';
import type { Field, Sex, Status } from '../domain/types.js';

/** Plan I.1: what is exported for one person. */
export interface ExportedPerson {
  maSoBhxh: string;
  hoTen: string;
  ngaySinh: string | null;
  gioiTinh: Sex | null;
  soGiayTo: string | null;
  dataVersion: number;
}

export interface Outcome {
  maSoBhxh: string;
  dataVersion: number;
  status: Status;
  fields: Field[];
  soDdcn: string | null;
  detail: Record<string, unknown> | null;
}

export async function exportChunk(
  q: Queryable,
  args: { keyFrom: string; keyTo: string; province: string | null },
): Promise<ExportedPerson[]> {
  const res = await q.query<ExportedPerson>(
    `SELECT ma_so_bhxh AS "maSoBhxh", ho_ten AS "hoTen", ngay_sinh AS "ngaySinh", gioi_tinh AS "gioiTinh",
            so_giay_to AS "soGiayTo", data_version AS "dataVersion"
       FROM participant p
      WHERE p.ma_so_bhxh BETWEEN $1::text AND $2::text AND ${NEEDS_VERIFICATION}
        AND ($3::text IS NULL OR p.ma_tinh = $3::text)
      ORDER BY p.ma_so_bhxh`,
    [args.keyFrom, args.keyTo, args.province],
  );
  return res.rows;
}

/** Stores a chunk's outcomes and marks it verified, in the caller's transaction. */
export async function recordVerifiedChunk(
  tx: Queryable,
  args: { batchId: number; chunkNo: number; now: Date; outcomes: Outcome[] },
): Promise<void> {
  const o = args.outcomes;
  await tx.query(
    `INSERT INTO verification (batch_id, ma_so_bhxh, chunk_no, data_version, status, fields, so_ddcn, detail, verified_at)
     SELECT $1::bigint, u.code, $2::int, u.ver, u.status,
            CASE WHEN u.fields = '' THEN '{}'::text[] ELSE string_to_array(u.fields, ';') END, u.ddcn, u.detail, $3::timestamptz
       FROM unnest($4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::jsonb[]) AS u(code, ver, status, fields, ddcn, detail)
     ON CONFLICT (batch_id, ma_so_bhxh) DO NOTHING`,
    [
      args.batchId, args.chunkNo, args.now,
      o.map((x) => x.maSoBhxh), o.map((x) => x.dataVersion), o.map((x) => x.status),
      o.map((x) => x.fields.join(';')), o.map((x) => x.soDdcn), o.map((x) => (x.detail ? JSON.stringify(x.detail) : null)),
    ],
  );
  await tx.query(
    `UPDATE batch_chunk SET verified_at = $3::timestamptz, n_read = $4::int, n_errors = $5::int
      WHERE batch_id = $1::bigint AND chunk_no = $2::int`,
    [args.batchId, args.chunkNo, args.now, o.length, o.filter((x) => x.detail?.error).length],
  );
}

/**
 * Conflicts, over the whole batch at once: a personal number returned for two social-insurance codes in this
 * batch, or returned for one while another participant already holds it. Neither record gets the number:
 * both become CONFLICT, each naming the other. Holders outside the batch get a verification row in an extra
 * chunk so that applying the batch updates them too. Returns how many people are in conflict.
 */
export async function resolveConflicts(tx: Queryable, args: { batchId: number; extraChunkNo: number; now: Date }): Promise<number> {
  const res = await tx.query(
    // Claims are grouped by number rather than self-joined, so the plan stays linear whatever the statistics say.
    `WITH m AS (
       SELECT ma_so_bhxh, so_ddcn FROM verification WHERE batch_id = $1::bigint AND status = 'MATCHED'
     ), claims AS (
       SELECT so_ddcn, ma_so_bhxh FROM m
       UNION
       SELECT p.so_giay_to, p.ma_so_bhxh FROM participant p WHERE p.so_giay_to IN (SELECT so_ddcn FROM m)
     ), contested AS (
       SELECT so_ddcn, array_agg(ma_so_bhxh ORDER BY ma_so_bhxh) AS parties FROM claims GROUP BY so_ddcn HAVING count(*) > 1
     ), parties AS (
       SELECT DISTINCT ON (code) code AS ma_so_bhxh, so_ddcn, array_remove(parties, code) AS others
         FROM contested, unnest(parties) AS code ORDER BY code, so_ddcn
     )
     INSERT INTO verification AS v (batch_id, ma_so_bhxh, chunk_no, data_version, status, fields, so_ddcn, detail, verified_at)
     SELECT $1::bigint, c.ma_so_bhxh, $2::int, p.data_version, 'CONFLICT', '{}', c.so_ddcn,
            jsonb_build_object('conflictWith', to_jsonb(c.others)), $3::timestamptz
       FROM parties c JOIN participant p ON p.ma_so_bhxh = c.ma_so_bhxh
     ON CONFLICT (batch_id, ma_so_bhxh) DO UPDATE SET
       status = 'CONFLICT',
       so_ddcn = EXCLUDED.so_ddcn,
       detail = coalesce(v.detail, '{}'::jsonb) || EXCLUDED.detail || jsonb_build_object('registryStatus', v.status, 'registryFields', to_jsonb(v.fields)),
       fields = '{}'`,
    [args.batchId, args.extraChunkNo, args.now],
  );
  const extra = await tx.query(
    `INSERT INTO batch_chunk (batch_id, chunk_no, key_from, key_to, verified_at)
     SELECT $1::bigint, $2::int, min(ma_so_bhxh), max(ma_so_bhxh), $3::timestamptz
       FROM verification WHERE batch_id = $1::bigint AND chunk_no = $2::int HAVING count(*) > 0`,
    [args.batchId, args.extraChunkNo, args.now],
  );
  if (extra.rowCount) await tx.query('UPDATE batch SET chunks = chunks + 1 WHERE id = $1::bigint', [args.batchId]);
  return res.rowCount ?? 0;
}

/**
 * Plan I.3 for one chunk, in the caller's transaction: write the ĐDCN in place of the number on file (the old
 * one goes to number_history), set every person's current outcome, and record the chunk's counts. A person
 * whose data changed since it was exported is left alone: the next run verifies the new data.
 * The chunk's rows are found through the primary key (batch, code range), then filtered by chunk number.
 */
export async function applyChunk(
  tx: Queryable,
  args: { batchId: number; chunkNo: number; keyFrom: string; keyTo: string; now: Date },
): Promise<void> {
  await tx.query(
    `WITH updated AS (
       UPDATE participant p SET
         status = x.status,
         status_fields = x.fields,
         so_ddcn = CASE WHEN x.status = 'MATCHED' THEN x.so_ddcn END,
         so_giay_to = CASE WHEN x.status = 'MATCHED' THEN x.so_ddcn ELSE p.so_giay_to END,
         verified_version = CASE WHEN x.status = 'PENDING' THEN p.verified_version ELSE x.data_version END,
         verified_at = x.verified_at,
         last_batch_id = x.batch_id
       FROM (SELECT v.*, cur.so_giay_to AS old_number
               FROM verification v JOIN participant cur ON cur.ma_so_bhxh = v.ma_so_bhxh AND cur.data_version = v.data_version
              WHERE v.batch_id = $1::bigint AND v.ma_so_bhxh BETWEEN $3::text AND $4::text AND v.chunk_no = $2::int) x
       WHERE p.ma_so_bhxh = x.ma_so_bhxh
       RETURNING p.ma_so_bhxh, x.old_number, x.status, x.so_ddcn
     )
     INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
     SELECT ma_so_bhxh, old_number, so_ddcn, 'registry', $1::bigint, $5::timestamptz
       FROM updated WHERE status = 'MATCHED' AND old_number IS NOT NULL AND old_number <> so_ddcn
     ON CONFLICT (ma_so_bhxh, so_cu) DO NOTHING`,
    [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, args.now],
  );
  await tx.query(
    `UPDATE batch_chunk c SET applied_at = $5::timestamptz,
            n_matched = s.matched, n_mismatched = s.mismatched, n_missing = s.missing, n_conflict = s.conflict, n_pending = s.pending
       FROM (SELECT count(*) FILTER (WHERE status = 'MATCHED')::int AS matched,
                    count(*) FILTER (WHERE status = 'MISMATCHED')::int AS mismatched,
                    count(*) FILTER (WHERE status = 'MISSING_ID')::int AS missing,
                    count(*) FILTER (WHERE status = 'CONFLICT')::int AS conflict,
                    count(*) FILTER (WHERE status = 'PENDING')::int AS pending
               FROM verification
              WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $3::text AND $4::text AND chunk_no = $2::int) s
      WHERE c.batch_id = $1::bigint AND c.chunk_no = $2::int`,
    [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, args.now],
  );
}
