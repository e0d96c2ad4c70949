// Mẫu 03 counts through figures_cache (migrations 0014, 0017): the national query reads the whole history (≈1.8 s
// per cut-off at 1 M participants), which a dashboard cannot wait for on every visit.
import type { Queryable } from './pool.js';
import { correctionCountsAsOf, mergeCounts, outcomeCountsAsOf, type CountsArgs, type GroupCounts } from './reports.js';

/**
 * A cut-off this far behind the clock is past for good: nothing can still be written with an earlier time — but
 * for an import of participants under way, whose state rows all carry its start however long it runs (a national
 * file, most of an hour): a cut-off after its start is not past until it ends (settled(), below).
 */
const SETTLED_MS = 5 * 60_000;
/** An import unfinished this long after its start died (Ctrl-C, a crash): it holds no cut-off back any more. */
const IMPORT_DEAD_MS = 24 * 3_600_000;

/** Whether `cutoff` is past for good (see SETTLED_MS): no figure as of it can change any more. */
async function settled(q: Queryable, cutoff: Date, now: Date): Promise<boolean> {
  if (cutoff.getTime() > now.getTime() - SETTLED_MS) return false;
  const res = await q.query(
    `SELECT 1 FROM import_run WHERE kind = 'participants' AND finished_at IS NULL
        AND started_at < $1::timestamptz AND started_at > $2::timestamptz LIMIT 1`,
    [cutoff, new Date(now.getTime() - IMPORT_DEAD_MS)],
  );
  return res.rowCount === 0;
}

export interface CacheLimits {
  /** Figures worked out longer ago than this are dropped (and worked out again when asked for). */
  keepMs: number;
  /** At most this many figures are kept; the oldest go first. */
  maxRows: number;
}

/**
 * A week of figures, and 50 000 rows at most: each is one scope's counts at one cut-off, a few hundred bytes for a
 * unit or district, about 10 kB for the national one (README, "The portal").
 */
export const CACHE_LIMITS: CacheLimits = { keepMs: 7 * 86_400_000, maxRows: 50_000 };

/**
 * What changes whenever a figure can. The outcomes: the newest state row, and the chunks verified (each chunk's
 * outcomes are stored in the transaction that marks it verified) and written (an outcome found out of date when
 * written is marked not applied), and the imports of participants begun and ended (a move between units writes a
 * state row since migration 0029; the imports are kept in the key all the same: while an import is under way a
 * unit's figures may lag it, and they are counted again when it ends). The corrections: their number
 * and newest row — the number as well, since a correction committed after a newer one does not move the newest.
 * Each with its table's file node, which a
 * TRUNCATE (a database emptied and filled again, as the tests do) changes: counts and ids starting again from the
 * same values must not find the old figures.
 */
async function fingerprints(q: Queryable): Promise<{ outcomes: string; corrections: string }> {
  const res = await q.query<{ outcomes: string; corrections: string }>(
    `SELECT concat_ws(':',
              pg_relation_filenode('participant_state'), (SELECT max(id) FROM participant_state),
              (SELECT count(verified_at) || '@' || coalesce(max(verified_at)::text, '') || ';' || count(written_at) || '@' || coalesce(max(written_at)::text, '')
                 FROM batch_chunk),
              (SELECT max(id) || '@' || coalesce(max(finished_at)::text, '') FROM import_run WHERE kind = 'participants')) AS outcomes,
            (SELECT pg_relation_filenode('participant_correction') || ':' || count(*) || '@' || coalesce(max(id), 0) FROM participant_correction) AS corrections`,
  );
  const r = res.rows[0]!;
  return { outcomes: r.outcomes, corrections: `${r.outcomes}/${r.corrections}` };
}

/**
 * Figures being worked out in this process, per database: a second visitor waits for the first one's instead of
 * starting its own.
 */
const workingOn = new WeakMap<Queryable, Map<string, Promise<unknown>>>();

/**
 * The figures this process read or worked out lately, per database, under the same key as the table (cut-off,
 * scope, fingerprint): with the fingerprint unchanged they are the table's figures, so a dashboard pays one
 * fingerprint query instead of four look-ups and their JSON. The oldest go beyond MEMO_ENTRIES (≤ ~10 kB each).
 */
const memo = new WeakMap<Queryable, Map<string, unknown>>();
const MEMO_ENTRIES = 500;
function remember(db: Queryable, key: string, counts: unknown): void {
  const m = memo.get(db) ?? memo.set(db, new Map()).get(db)!;
  m.delete(key);
  m.set(key, counts);
  if (m.size > MEMO_ENTRIES) m.delete(m.keys().next().value!);
}
const storing = new Set<Promise<unknown>>();

/** Resolves once every figure worked out so far in this process is stored (tests look at the table after it). */
export async function figuresStored(): Promise<void> {
  while (storing.size) await Promise.all([...storing]);
}

/**
 * countsAsOf, from the cache when it still holds: exactly the same rows (test/portal/figures-cache.test.ts). Kept
 * in two parts: everyone's outcomes, which only a run or an import moves, and the corrections, which come in all
 * day and are quick to count again. Reads in the caller's snapshot `q` (its fingerprint and its counts agree);
 * stores through `db`, outside that snapshot, which may be read-only.
 */
export const cachedCountsAsOf =
  (db: Queryable, now: Date, limits: CacheLimits = CACHE_LIMITS) =>
  async (q: Queryable, args: CountsArgs): Promise<GroupCounts[]> => {
    const narrow = `p=${args.province ?? ''};d=${args.district ?? ''};u=${args.unit ?? ''}`;
    const working = workingOn.get(db) ?? workingOn.set(db, new Map()).get(db)!;
    const print = (await settled(q, args.cutoff, now)) ? { outcomes: 'past', corrections: 'past' } : await fingerprints(q);
    const part = async <T>(name: string, fingerprint: string, count: () => Promise<T>): Promise<T> => {
      const key = `${name}:${narrow}`;
      const flight = `${args.cutoff.toISOString()}|${key}|${fingerprint}`;
      const known = memo.get(db)?.get(flight);
      if (known !== undefined) return known as T;
      const hit = await q.query<{ counts: T }>(
        `SELECT counts FROM figures_cache WHERE cutoff = $1::timestamptz AND narrow = $2::text AND fingerprint = $3::text`,
        [args.cutoff, key, fingerprint],
      );
      if (hit.rows[0]) {
        remember(db, flight, hit.rows[0].counts);
        return hit.rows[0].counts;
      }
      const pending = working.get(flight) as Promise<T> | undefined;
      if (pending) return pending;
      const counting = count().then((counts) => {
        remember(db, flight, counts);
        return counts;
      });
      working.set(flight, counting);
      // Stored without waiting: the caller holds a pool connection for its transaction, and a store awaited here
      // needs a second one — with every connection held by a visitor waiting for figures, nobody got one. The
      // figures stay shared until they are stored; a figure that could not be stored is worked out again next time.
      const stored = counting.then((counts) => store(db, { cutoff: args.cutoff, narrow: key, fingerprint, counts, now, limits })).catch(() => undefined);
      storing.add(stored);
      void stored.finally(() => {
        working.delete(flight);
        storing.delete(stored);
      });
      return counting;
    };
    const outcomes = await part('outcomes', print.outcomes, () => outcomeCountsAsOf(q, args));
    const corrections = await part('corrections', print.corrections, () => correctionCountsAsOf(q, args));
    return mergeCounts(outcomes, corrections);
  };

/**
 * Stores one part's counts and bounds the table: figures as of a moment now settled that were kept with a
 * fingerprint (never asked for again: a settled cut-off is looked up as 'past'), figures older than
 * `limits.keepMs`, and the oldest beyond `limits.maxRows` are deleted.
 */
async function store(
  db: Queryable,
  e: { cutoff: Date; narrow: string; fingerprint: string; counts: unknown; now: Date; limits: CacheLimits },
): Promise<void> {
  await db.query(
    `INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES ($1::timestamptz, $2::text, $3::text, $4::jsonb, $5::timestamptz)
     ON CONFLICT (cutoff, narrow) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, counts = EXCLUDED.counts, computed_at = EXCLUDED.computed_at`,
    [e.cutoff, e.narrow, e.fingerprint, JSON.stringify(e.counts), e.now],
  );
  await db.query(
    `DELETE FROM figures_cache
      WHERE (fingerprint <> 'past' AND cutoff <= $1::timestamptz)
         OR computed_at < $2::timestamptz
         OR (cutoff, narrow) IN (SELECT cutoff, narrow FROM figures_cache ORDER BY computed_at DESC, cutoff DESC, narrow OFFSET $3::int)`,
    [new Date(e.now.getTime() - SETTLED_MS), new Date(e.now.getTime() - e.limits.keepMs), e.limits.maxRows],
  );
}
