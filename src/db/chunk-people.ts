import type { Batch, Chunk } from './batches.js';
import { NEEDS_VERIFICATION } from './batches.js';
import type { Queryable } from './pool.js';

/**
 * How many people a chunk holds now, for the progress bar's total: one range scan on the primary key. Chunks are
 * cut full from a numbered list, so only the last one needs counting.
 */
export async function peopleInChunk(q: Queryable, batch: Pick<Batch, 'province'>, chunk: Pick<Chunk, 'keyFrom' | 'keyTo'>): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM participant p
      WHERE p.ma_so_bhxh BETWEEN $1::text AND $2::text AND ${NEEDS_VERIFICATION} AND ($3::text IS NULL OR p.ma_tinh = $3::text)`,
    [chunk.keyFrom, chunk.keyTo, batch.province],
  );
  return r.rows[0]!.n;
}
