// Mẫu 03 counts through figures_cache (migration 0014): the national query reads the whole history (≈1.8 s per
// cut-off at 1 M participants), which a dashboard cannot wait for on every visit.
import type { Queryable } from './pool.js';
import { countsAsOf, type GroupCounts } from './reports.js';

type CountsArgs = Parameters<typeof countsAsOf>[1];

/** A cut-off this far behind the clock is past for good: nothing can still be written with an earlier time. */
const SETTLED_MS = 5 * 60_000;

/**
 * What changes whenever any figure can: the newest state and correction rows, and the chunks applied (each
 * chunk's outcomes are written in the transaction that marks it verified).
 */
async function fingerprint(q: Queryable): Promise<string> {
  const res = await q.query<{ f: string }>(
    `SELECT concat_ws(':',
              (SELECT max(id) FROM participant_state),
              (SELECT max(id) FROM participant_correction),
              (SELECT count(*) || '@' || coalesce(max(verified_at)::text, '') FROM batch_chunk WHERE verified_at IS NOT NULL)) AS f`,
  );
  return res.rows[0]!.f;
}

/**
 * countsAsOf, from the cache when it still holds: exactly the same rows (test/portal/figures-cache.test.ts). Reads
 * in the caller's snapshot `q` (its fingerprint and its counts agree); stores through `db`, outside that snapshot,
 * which may be read-only.
 */
export const cachedCountsAsOf = (db: Queryable, now: Date) => async (q: Queryable, args: CountsArgs): Promise<GroupCounts[]> => {
  const narrow = `p=${args.province ?? ''};d=${args.district ?? ''};u=${args.unit ?? ''}`;
  const print = args.cutoff.getTime() <= now.getTime() - SETTLED_MS ? 'past' : await fingerprint(q);
  const hit = await q.query<{ counts: GroupCounts[] }>(
    `SELECT counts FROM figures_cache WHERE cutoff = $1::timestamptz AND narrow = $2::text AND fingerprint = $3::text`,
    [args.cutoff, narrow, print],
  );
  if (hit.rows[0]) return hit.rows[0].counts;
  const counts = await countsAsOf(q, args);
  await db.query(
    `INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES ($1::timestamptz, $2::text, $3::text, $4::jsonb, $5::timestamptz)
     ON CONFLICT (cutoff, narrow) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, counts = EXCLUDED.counts, computed_at = EXCLUDED.computed_at`,
    [args.cutoff, narrow, print, JSON.stringify(counts), now],
  );
  return counts;
};
