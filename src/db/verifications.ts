import type { Queryable } from './pool.js';
import { CopyWriter } from './copy-text.js';
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
  soGiayTo: string | null; // the number on file at export, as sent; null when none was usable
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

/**
 * One chunk, in the caller's transaction, so that it is all there or not at all:
 * 1. store every outcome (history), skipping people this batch already decided (a conflict party from an earlier chunk);
 * 2. resolve conflicts (resolveChunkConflicts);
 * 3. Plan I.3: write the ĐDCN in place of the number on file, the old one into number_history, and set every
 *    person's current outcome — unless their data changed since the export: the next run verifies the new data;
 * 4. mark the chunk done with its counts.
 */
export async function recordChunk(
  tx: Queryable,
  args: { batchId: number; chunkNo: number; keyFrom: string; keyTo: string; now: Date; outcomes: Outcome[] },
): Promise<{ conflicts: number }> {
  const stored = await storeOutcomes(tx, args);
  const parties = (await anyContested(tx, stored)) ? await resolveChunkConflicts(tx, args) : [];
  // One join: the chunk's outcomes (and conflict parties outside it) with their participants, only while the data is
  // still what was exported (same data_version, so the number on file is still the one sent, x.so_giay_to).
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
       FROM verification x
       WHERE x.batch_id = $1::bigint
         AND ((x.ma_so_bhxh BETWEEN $3::text AND $4::text AND x.chunk_no = $2::int) OR x.ma_so_bhxh = ANY($6::text[]))
         AND p.ma_so_bhxh = x.ma_so_bhxh AND p.data_version = x.data_version
       RETURNING p.ma_so_bhxh, x.so_giay_to AS old_number, x.status, x.so_ddcn
     )
     INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
     SELECT ma_so_bhxh, old_number, so_ddcn, 'registry', $1::bigint, $5::timestamptz
       FROM updated WHERE status = 'MATCHED' AND old_number IS NOT NULL AND old_number <> so_ddcn
     ON CONFLICT (ma_so_bhxh, so_cu) DO NOTHING`,
    [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, args.now, parties],
  );
  await tx.query(
    `UPDATE batch_chunk c SET verified_at = $5::timestamptz, n_read = $6::int, n_errors = $7::int,
            n_matched = s.matched, n_mismatched = s.mismatched, n_missing = s.missing, n_conflict = s.conflict, n_pending = s.pending
       FROM (SELECT count(*) FILTER (WHERE status = 'MATCHED')::int AS matched,
                    count(*) FILTER (WHERE status = 'MISMATCHED')::int AS mismatched,
                    count(*) FILTER (WHERE status = 'MISSING_ID')::int AS missing,
                    count(*) FILTER (WHERE status = 'CONFLICT')::int AS conflict,
                    count(*) FILTER (WHERE status = 'PENDING')::int AS pending
               FROM verification
              WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $3::text AND $4::text AND chunk_no = $2::int) s
      WHERE c.batch_id = $1::bigint AND c.chunk_no = $2::int`,
    [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, args.now, args.outcomes.length, args.outcomes.filter((x) => x.detail?.error).length],
  );
  return { conflicts: parties.length };
}

/** A PostgreSQL array literal of plain words, for COPY text format. */
const arrayLiteral = (words: readonly string[]): string => `{${words.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/**
 * Step 1 of recordChunk: the chunk's outcomes into `verification` by COPY — the cheapest way PostgreSQL takes
 * ten thousand rows. COPY has no ON CONFLICT, so the few people this batch already decided (conflict parties
 * named by an earlier chunk, whose rows carry that chunk's number) are looked up first and left out.
 */
async function storeOutcomes(
  tx: Queryable,
  args: { batchId: number; chunkNo: number; keyFrom: string; keyTo: string; now: Date; outcomes: Outcome[] },
): Promise<Outcome[]> {
  const decided = await tx.query<{ ma_so_bhxh: string }>(
    'SELECT ma_so_bhxh FROM verification WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $2::text AND $3::text',
    [args.batchId, args.keyFrom, args.keyTo],
  );
  const skip = new Set(decided.rows.map((r) => r.ma_so_bhxh));
  const at = args.now.toISOString();
  const stored = skip.size === 0 ? args.outcomes : args.outcomes.filter((x) => !skip.has(x.maSoBhxh));
  const copy = new CopyWriter(
    tx.copyIn('COPY verification (batch_id, ma_so_bhxh, chunk_no, data_version, so_giay_to, status, fields, so_ddcn, detail, verified_at) FROM STDIN'),
  );
  for (const x of stored) {
    await copy.row([
      args.batchId, x.maSoBhxh, args.chunkNo, x.dataVersion, x.soGiayTo, x.status, arrayLiteral(x.fields), x.soDdcn,
      x.detail ? JSON.stringify(x.detail) : null, at,
    ]);
  }
  await copy.end();
  return stored;
}

/**
 * Whether any of the chunk's matches can be in conflict: a number matched twice within the chunk, or held on
 * file by another participant. Almost always no, and then this one index probe per match is all it costs.
 */
async function anyContested(tx: Queryable, stored: Outcome[]): Promise<boolean> {
  const matched = stored.filter((x) => x.status === 'MATCHED');
  const numbers = new Set(matched.map((x) => x.soDdcn));
  if (numbers.size < matched.length) return true;
  const held = await tx.query(
    `SELECT 1 FROM unnest($1::text[], $2::text[]) AS m(code, ddcn)
      WHERE EXISTS (SELECT 1 FROM participant p WHERE p.so_giay_to = m.ddcn AND p.ma_so_bhxh <> m.code)
      LIMIT 1`,
    [matched.map((x) => x.maSoBhxh), matched.map((x) => x.soDdcn)],
  );
  return (held.rowCount ?? 0) > 0;
}

/**
 * Conflicts of one chunk's matches: a personal number returned for two social-insurance codes, or returned for
 * one while another participant holds it already (from an earlier batch, or from an earlier chunk of this batch).
 * Neither gets it: both become CONFLICT, each naming the others. A holder that got the number in this very batch
 * has it taken back (its old number restored, the history row removed), so the end state does not depend on
 * which chunk came first. Claims are grouped by number, so the plan stays linear whatever the statistics say.
 * Returns the codes in conflict (the caller applies those whose rows are not among the chunk's own).
 */
async function resolveChunkConflicts(tx: Queryable, args: { batchId: number; chunkNo: number; keyFrom: string; keyTo: string; now: Date }): Promise<string[]> {
  const contested = `
    WITH m AS (
      SELECT ma_so_bhxh, so_ddcn FROM verification
       WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $3::text AND $4::text AND chunk_no = $2::int AND status = 'MATCHED'
    ), claims AS (
      SELECT so_ddcn, ma_so_bhxh FROM m
      UNION
      SELECT p.so_giay_to, p.ma_so_bhxh FROM participant p WHERE p.so_giay_to IN (SELECT so_ddcn FROM m)
    ), contested AS (
      SELECT so_ddcn, array_agg(ma_so_bhxh ORDER BY ma_so_bhxh) AS parties FROM claims GROUP BY so_ddcn HAVING count(*) > 1
    )
    SELECT DISTINCT ON (code) code AS ma_so_bhxh, so_ddcn, array_remove(parties, code) AS others
      FROM contested, unnest(parties) AS code ORDER BY code, so_ddcn`;
  const found = await tx.query<{ ma_so_bhxh: string; so_ddcn: string; others: string[] }>(contested, [
    args.batchId, args.chunkNo, args.keyFrom, args.keyTo,
  ]);
  if (found.rowCount === 0) return [];
  const rows = found.rows;
  const codes = rows.map((r) => r.ma_so_bhxh);
  // A number given earlier in this batch to a party is taken back.
  await tx.query(
    `WITH taken AS (
       DELETE FROM number_history h USING unnest($2::text[], $3::text[]) AS c(code, ddcn)
        WHERE h.ma_so_bhxh = c.code AND h.so_moi = c.ddcn AND h.batch_id = $1::bigint AND h.source = 'registry'
       RETURNING h.ma_so_bhxh, h.so_cu
     )
     UPDATE participant p SET so_giay_to = taken.so_cu FROM taken WHERE p.ma_so_bhxh = taken.ma_so_bhxh`,
    [args.batchId, codes, rows.map((r) => r.so_ddcn)],
  );
  await tx.query(
    `INSERT INTO verification AS v (batch_id, ma_so_bhxh, chunk_no, data_version, status, fields, so_ddcn, detail, verified_at)
     SELECT $1::bigint, c.code, $2::int, p.data_version, 'CONFLICT', '{}', c.ddcn,
            jsonb_build_object('conflictWith', c.others::jsonb), $3::timestamptz
       FROM unnest($4::text[], $5::text[], $6::text[]) AS c(code, ddcn, others)
       JOIN participant p ON p.ma_so_bhxh = c.code
     ON CONFLICT (batch_id, ma_so_bhxh) DO UPDATE SET
       status = 'CONFLICT',
       so_ddcn = EXCLUDED.so_ddcn,
       detail = coalesce(v.detail, '{}'::jsonb) || EXCLUDED.detail
                || CASE WHEN v.status <> 'CONFLICT' THEN jsonb_build_object('registryStatus', v.status, 'registryFields', to_jsonb(v.fields)) ELSE '{}'::jsonb END,
       fields = '{}'`,
    [args.batchId, args.chunkNo, args.now, codes, rows.map((r) => r.so_ddcn), rows.map((r) => JSON.stringify(r.others))],
  );
  return codes;
}
