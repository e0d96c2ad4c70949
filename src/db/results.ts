import type { Queryable } from './pool.js';
import type { AuditEntry } from './audit.js';

/** `ddcn export results`: current outcome per participant, or the outcomes of one batch, as CSV via COPY. */
export function resultsCopySql(batchId: number | null): string {
  // fields only for MISMATCHED, so_ddcn only for MATCHED (docs/interface.md); NULL prints as an empty field.
  if (batchId === null) {
    return `COPY (SELECT ma_so_bhxh, status,
                   CASE WHEN status = 'MISMATCHED' THEN array_to_string(status_fields, ';') END AS fields,
                   CASE WHEN status = 'MATCHED' THEN so_ddcn END AS so_ddcn
              FROM participant ORDER BY ma_so_bhxh) TO STDOUT WITH (FORMAT csv, HEADER)`;
  }
  if (!Number.isSafeInteger(batchId)) throw new Error('batch id must be an integer');
  return `COPY (SELECT ma_so_bhxh, status,
                 CASE WHEN status = 'MISMATCHED' THEN array_to_string(fields, ';') END AS fields,
                 CASE WHEN status = 'MATCHED' THEN so_ddcn END AS so_ddcn
            FROM verification WHERE batch_id = ${batchId} ORDER BY ma_so_bhxh) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

export async function batchExists(q: Queryable, batchId: number): Promise<boolean> {
  return ((await q.query('SELECT 1 FROM batch WHERE id = $1::bigint', [batchId])).rowCount ?? 0) > 0;
}

/**
 * A batch still verifying: how many of its chunks are verified (null once they all are — its conflicts are then
 * settled and its outcomes final, whatever is left to write and share — or when there is no such batch).
 */
export async function batchStillVerifying(q: Queryable, batchId: number): Promise<{ chunks: number; verified: number } | null> {
  const res = await q.query<{ chunks: number; verified: number }>(
    `SELECT chunks, chunks_verified AS verified FROM batch WHERE id = $1::bigint AND phase = 'verify'`,
    [batchId],
  );
  return res.rows[0] ?? null;
}

export interface LookupRow {
  ma_so_bhxh: string;
  ho_ten: string;
  so_ddcn: string | null;
  former_numbers: string[];
}

/** Participants whose current or former number is `number` (already normalised). */
export async function lookupNumber(q: Queryable, number: string): Promise<LookupRow[]> {
  return lookupRows(q, number);
}

/**
 * lookupNumber keeping only the people who meet a further condition (the portal's scope), with each one's unit, and
 * the audit row of the look-up (its result: how many were found) written by the same statement: one round trip,
 * and the row stands or falls with the look-up.
 */
export async function lookupNumberAudited(
  q: Queryable,
  number: string,
  where: (alias: string, params: unknown[]) => string,
  entry: Omit<AuditEntry, 'action' | 'result'>,
): Promise<Array<LookupRow & { ma_don_vi: string | null }>> {
  const params: unknown[] = [number];
  const select = lookupSelect(`, p.ma_don_vi`, ` AND ${where('p', params)}`);
  params.push(entry.at, entry.login, entry.object, entry.ip);
  const n = params.length;
  const res = await q.query<LookupRow & { ma_don_vi: string | null }>(
    `WITH found AS MATERIALIZED (${select}),
     logged AS (
       INSERT INTO audit_log (at, login, action, object, result, ip)
       SELECT $${n - 3}::timestamptz, $${n - 2}::text, 'lookup', $${n - 1}::text, (SELECT count(*) FROM found) || ' found', $${n}::text
     )
     SELECT * FROM found ORDER BY ma_so_bhxh`,
    params,
  );
  return res.rows;
}

/** The look-up's statement: `$1` is the number; `columns` and `condition` are added to its select and its WHERE. */
function lookupSelect(columns: string, condition: string): string {
  return `SELECT p.ma_so_bhxh, p.ho_ten, CASE WHEN p.status = 'MATCHED' THEN p.so_ddcn END AS so_ddcn${columns},
            -- The number on file is no former one, though a row may name it: one the export replaced and a run's ĐDCN
            -- or a unit's correction gave back.
            coalesce((SELECT array_agg(h.so_cu ORDER BY h.changed_at, h.so_cu) FROM number_history h
                       WHERE h.ma_so_bhxh = p.ma_so_bhxh AND h.so_cu IS DISTINCT FROM p.so_giay_to), '{}') AS former_numbers
       FROM participant p
      -- One index look-up on each side: written as \`so_giay_to = $1 OR ma_so_bhxh IN (…)\` it read every participant.
      WHERE p.ma_so_bhxh IN (SELECT c.ma_so_bhxh FROM participant c WHERE c.so_giay_to = $1::text
                             UNION SELECT h.ma_so_bhxh FROM number_history h WHERE h.so_cu = $1::text)${condition}`;
}

async function lookupRows(q: Queryable, number: string): Promise<LookupRow[]> {
  const res = await q.query<LookupRow>(`${lookupSelect('', '')} ORDER BY p.ma_so_bhxh`, [number]);
  return res.rows;
}

/** A batch not done yet, with how far it is. */
export interface OpenBatch { id: number; phase: string; chunks: number; verified: number; written: number }

/**
 * The open batch whose people `ddcn lists` of `province` (null: every province) files, if any: a batch of the whole
 * country, or of that province (of any, for lists of the whole country). With `unit` (lists of one unit), only a
 * batch of a province the unit has people in, or of the whole country. Null when every batch is done.
 */
export async function openBatchFor(q: Queryable, province: string | null, unit: string | null = null): Promise<OpenBatch | null> {
  const res = await q.query<{ id: string; phase: string; chunks: number; verified: number; written: number }>(
    `SELECT id, phase, chunks, chunks_verified AS verified, chunks_written AS written FROM batch b
      WHERE phase <> 'done' AND ($1::text IS NULL OR province IS NULL OR province = $1::text)
        AND ($2::text IS NULL OR province IS NULL
             OR EXISTS (SELECT 1 FROM participant p WHERE p.ma_don_vi = $2::text AND p.ma_tinh = b.province))
      ORDER BY id DESC LIMIT 1`,
    [province, unit],
  );
  const b = res.rows[0];
  return b ? { ...b, id: Number(b.id) } : null;
}
