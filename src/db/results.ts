import type { Queryable } from './pool.js';

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

export interface LookupRow {
  ma_so_bhxh: string;
  ho_ten: string;
  so_ddcn: string | null;
  former_numbers: string[];
}

/** Participants whose current or former number is `number` (already normalised). */
export async function lookupNumber(q: Queryable, number: string): Promise<LookupRow[]> {
  return lookupRows(q, number, null);
}

/**
 * lookupNumber keeping only the people who meet a further condition (the portal's scope), in the same statement,
 * with each one's unit.
 */
export async function lookupNumberWhere(
  q: Queryable,
  number: string,
  where: (alias: string, params: unknown[]) => string,
): Promise<Array<LookupRow & { ma_don_vi: string | null }>> {
  return lookupRows(q, number, where) as Promise<Array<LookupRow & { ma_don_vi: string | null }>>;
}

async function lookupRows(q: Queryable, number: string, where: ((alias: string, params: unknown[]) => string) | null): Promise<LookupRow[]> {
  const params: unknown[] = [number];
  const more = where ? ` AND ${where('p', params)}` : '';
  const unit = where ? ', p.ma_don_vi' : '';
  const res = await q.query<LookupRow>(
    `SELECT p.ma_so_bhxh, p.ho_ten, CASE WHEN p.status = 'MATCHED' THEN p.so_ddcn END AS so_ddcn${unit},
            coalesce((SELECT array_agg(h.so_cu ORDER BY h.changed_at, h.so_cu) FROM number_history h
                       WHERE h.ma_so_bhxh = p.ma_so_bhxh), '{}') AS former_numbers
       FROM participant p
      -- One index look-up on each side: written as \`so_giay_to = $1 OR ma_so_bhxh IN (…)\` it read every participant.
      WHERE p.ma_so_bhxh IN (SELECT c.ma_so_bhxh FROM participant c WHERE c.so_giay_to = $1::text
                             UNION SELECT h.ma_so_bhxh FROM number_history h WHERE h.so_cu = $1::text)${more}
      ORDER BY p.ma_so_bhxh`,
    params,
  );
  return res.rows;
}
