import type { Queryable } from './pool.js';
import { NUMBER_NEVER_COMPARED } from './lists.js';

/** Mẫu 03 figures of one group (a province, or a district in a province report) at one moment. */
export interface GroupCounts {
  key: string | null; // ma_tinh, or ma_huyen when the report is for one province
  total: number;
  matched: number;
  mismatched: number;
  missing: number;
  conflict: number;
  pending: number;
  vssid: number;
  corrected: number; // received a correction from a unit's Mẫu 02
  rematched: number; // … and matched when verified again on the corrected data
  escalated: number; // … and still not matching when verified again (Plan II.6.2)
}

export interface CountsArgs {
  cutoff: Date;
  province: string | null;
  // district and unit narrow the people counted (the portal's district and unit accounts); rows stay per district.
  district?: string | null;
  unit?: string | null;
}

export type OutcomeCounts = Omit<GroupCounts, 'corrected' | 'rematched' | 'escalated'>;
export type CorrectionCounts = Pick<GroupCounts, 'key' | 'corrected' | 'rematched' | 'escalated'>;

/**
 * Every participant's state just before `cutoff`, counted per province — or per district of `province`: who
 * existed, with their VssID account and office, from the state history (migrations 0002 and 0006); their outcome
 * from the outcome history, the last one applied, and the version of their data last decided on (a PENDING
 * outcome decides nothing). Corrections count when made before the cutoff; a correction has been verified again
 * once the version decided on has reached the version it created.
 *
 * Two queries: the outcomes of everyone, and the corrections of the few corrected — so that a dashboard's cache
 * keeps the first, the costly one, when only corrections have come in (src/db/figures-cache.ts).
 */
export async function countsAsOf(q: Queryable, args: CountsArgs): Promise<GroupCounts[]> {
  return mergeCounts(await outcomeCountsAsOf(q, args), await correctionCountsAsOf(q, args));
}

/** One row per key of `outcomes` (in its order), with the correction figures of that key, zero where none. */
export function mergeCounts(outcomes: OutcomeCounts[], corrections: CorrectionCounts[]): GroupCounts[] {
  const fixes = new Map(corrections.map((c) => [c.key, c]));
  return outcomes.map((o) => {
    const c = fixes.get(o.key);
    return { ...o, corrected: c?.corrected ?? 0, rematched: c?.rematched ?? 0, escalated: c?.escalated ?? 0 };
  });
}

/**
 * The people a narrowed count can be about, as a condition on `col`: those of the unit now and those who ever left
 * it (`cand`, below), and those who had the province's (district's) codes at some time before
 * the cutoff — the state as of the cutoff, which decides, is among those (index participant_state_office). Written
 * only when it narrows: a `$4 IS NULL OR …` around a subquery would keep PostgreSQL from turning it into a join, and
 * so from looking the few people up by index.
 */
function candidates(args: CountsArgs, col: string): string {
  const conditions = ['true'];
  // An array of `cand`: as `IN (… UNION …)` the planner misjudged the union's size and sorted the whole state
  // history (1 M people, a 900-person unit: 430 ms; as an array, 16 ms).
  if (args.unit) conditions.push(`${col} = ANY (ARRAY(SELECT ma_so_bhxh FROM cand))`);
  if (args.province) {
    conditions.push(`${col} IN (SELECT ma_so_bhxh FROM participant_state
                                 WHERE ma_tinh = $2::text AND ($3::text IS NULL OR ma_huyen = $3::text) AND valid_from < $1::timestamptz)`);
  }
  return conditions.join(' AND ');
}

/** $1 cutoff, $2 province, $3 district, $4 unit (only when there is one: a parameter must be used). */
const params = (args: CountsArgs) => [args.cutoff, args.province, args.district ?? null, ...(args.unit ? [args.unit] : [])];

/**
 * For a unit's count, `cand`: the people of the unit now (now_in) and those who ever left it (index
 * participant_state_left_unit), made once for the whole statement; then, per person, `mv`: their first change of
 * unit after the cutoff, with the unit they left by it ('' for none; migration 0029). A person's unit as of the
 * cutoff is that one, or their unit now when they have not changed since (moves from before 0029 were not
 * recorded: for those days the first move recorded, or the unit now, stands). Every look-up goes by index whatever
 * the size of the tables. Measured on 1 M people, a unit of 31 659 who all moved in that day:
 * - as of after the move, 340–370 ms (all of them counted), where before the unit history the planner hash-joined
 *   a parallel scan of the whole state history (220–250 ms at 1 M, a scan that grows with the nation's 100 M);
 * - as of before it, 325–365 ms; `mv` as a set joined to the people (the planner cannot size `= ANY (ARRAY(…))`
 *   and chose a nested loop over both) took 13 s;
 * - a unit of 900, 11–16 ms.
 */
const unitCandidates = (args: CountsArgs) =>
  args.unit
    ? `cand AS MATERIALIZED (
       SELECT ma_so_bhxh, bool_or(now_in) AS now_in
         FROM (SELECT ma_so_bhxh, true AS now_in FROM participant WHERE ma_don_vi = $4::text
               UNION ALL SELECT ma_so_bhxh, false FROM participant_state WHERE left_unit = $4::text) x
        GROUP BY ma_so_bhxh
     ), `
    : '';
const withMoves = (args: CountsArgs) =>
  args.unit
    ? ` JOIN cand ON cand.ma_so_bhxh = o.ma_so_bhxh
        LEFT JOIN LATERAL (
          SELECT l.left_unit FROM participant_state l
           WHERE l.ma_so_bhxh = o.ma_so_bhxh AND l.left_unit IS NOT NULL AND l.valid_from >= $1::timestamptz
           ORDER BY l.valid_from, l.id LIMIT 1) mv ON true`
    : '';

// The state as of the cutoff is kept only within the scope; the group key is the province, or the district in a
// province's count.
const inScope = (args: CountsArgs) =>
  `($2::text IS NULL OR o.ma_tinh = $2::text) AND ($3::text IS NULL OR o.ma_huyen = $3::text)` +
  (args.unit ? ` AND (mv.left_unit = $4::text OR (mv.left_unit IS NULL AND cand.now_in))` : '');
const KEY = `CASE WHEN $2::text IS NULL THEN o.ma_tinh ELSE o.ma_huyen END`;

/**
 * Who had what the registry verifies changed by an import before the cutoff, and the data version it made
 * (participant_state.changed_version, migration 0028). Their outcome from before is about other data: not
 * verified until an outcome of that version or a later one — as the import set their status (db/participants.ts).
 * Corrections of Mẫu 02 write no such row: their people stay on Mẫu 02.
 *
 * A narrowed count (a province, district or unit) takes it from the state rows `s` reads anyway, by a window over
 * the same sort: joined from a set of its own (`ch`, by the partial index of migration 0028), it was sized from
 * statistics that lag the nightly imports (1 row for 200 000) and looped over for every person — 4.5 s for a unit
 * of 900 people and 451 s for one of 31 659, on 1 M people with a fifth changed; the window: 12–31 ms and 350 ms.
 * The national count, which reads every state row, joins the set by hash: the window would cost it a pass over all
 * rows (1.35 → 1.9 s at 1 M).
 */
const importChange = (args: CountsArgs) =>
  args.unit || args.province
    ? { column: ', max(changed_version) OVER (PARTITION BY ma_so_bhxh) AS changed', set: '', join: '', version: 's.changed' }
    : {
        column: '',
        set: `, ch AS (
       SELECT ma_so_bhxh, max(changed_version) AS version FROM participant_state
        WHERE changed_version IS NOT NULL AND valid_from < $1::timestamptz GROUP BY ma_so_bhxh
     )`,
        join: ' LEFT JOIN ch ON ch.ma_so_bhxh = s.ma_so_bhxh',
        version: 'ch.version',
      };
/**
 * An outcome (`x`, a verification row) in effect before the cutoff: applied, and written by then. Until its chunk's
 * write step, an outcome is only stored: the person is still PENDING, nobody's number is written, and a MATCHED
 * claim may yet be settled as a CONFLICT (before that, both parties would count as matched) — so it counts from the
 * moment its chunk was written, as participant, the lists and the results have it. A holder outside the batch
 * (chunk -1) is written when the conflicts are settled, the time it carries.
 */
const IN_EFFECT = `x.applied AND x.verified_at < $1::timestamptz AND (x.chunk_no = -1 OR EXISTS (
         SELECT 1 FROM batch_chunk bc WHERE bc.batch_id = x.batch_id AND bc.chunk_no = x.chunk_no AND bc.written_at < $1::timestamptz))`;

/** A person's outcome as of the cutoff, from `v` (the last applied) and the version an import changed them to. */
const statusAsOf = (changed: string) => `CASE WHEN v.status IS NULL OR ${changed} > v.data_version THEN 'PENDING' ELSE v.status END`;

/** Everyone's outcome and VssID as of the cutoff, per group (countsAsOf without the corrections). */
export async function outcomeCountsAsOf(q: Queryable, args: CountsArgs): Promise<OutcomeCounts[]> {
  const and = `AND ${candidates(args, 'ma_so_bhxh')}`;
  const changed = importChange(args);
  const res = await q.query<OutcomeCounts>(
    `WITH ${unitCandidates(args)}s AS (
       SELECT DISTINCT ON (ma_so_bhxh) ma_so_bhxh, vssid, ma_tinh, ma_huyen${changed.column}
         FROM participant_state WHERE valid_from < $1::timestamptz ${and}
        ORDER BY ma_so_bhxh, valid_from DESC, id DESC
     ), v AS (
       -- The last outcome applied: the latest batch's (one row per batch and person, so the order is total). Batches
       -- follow one another; verified_at is the clock of whichever machine did the step, and a fast one stamped an
       -- earlier batch later. DISTINCT ON sorts once; an ordered array_agg sorted each person's outcomes apart, a
       -- million small sorts nationally.
       SELECT DISTINCT ON (x.ma_so_bhxh) x.ma_so_bhxh, x.status, x.data_version
         FROM verification x WHERE ${IN_EFFECT} ${and}
        ORDER BY x.ma_so_bhxh, x.batch_id DESC
     )${changed.set}, o AS (
       SELECT s.*, ${statusAsOf(changed.version)} AS status
         FROM s LEFT JOIN v ON v.ma_so_bhxh = s.ma_so_bhxh${changed.join}
     )
     SELECT ${KEY} AS key,
            count(*)::int AS total,
            count(*) FILTER (WHERE o.status = 'MATCHED')::int AS matched,
            count(*) FILTER (WHERE o.status = 'MISMATCHED')::int AS mismatched,
            count(*) FILTER (WHERE o.status = 'MISSING_ID')::int AS missing,
            count(*) FILTER (WHERE o.status = 'CONFLICT')::int AS conflict,
            count(*) FILTER (WHERE o.status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE o.vssid)::int AS vssid
       FROM o${withMoves(args)}
      WHERE ${inScope(args)}
      GROUP BY 1
      ORDER BY 1 NULLS LAST`,
    params(args),
  );
  return res.rows;
}

/**
 * The corrected people as of the cutoff, per group: each one's state and outcome looked up by their code, so the
 * cost follows the number of people corrected, not of participants.
 */
export async function correctionCountsAsOf(q: Queryable, args: CountsArgs): Promise<CorrectionCounts[]> {
  const res = await q.query<CorrectionCounts>(
    `WITH ${unitCandidates(args)}c AS (
       SELECT ma_so_bhxh, max(data_version) AS version FROM participant_correction
        WHERE changed_at < $1::timestamptz AND ${candidates(args, 'ma_so_bhxh')}
        GROUP BY ma_so_bhxh
     ), o AS (
       -- As outcomeCountsAsOf has it: an import change since the last outcome makes it not verified (statusAsOf).
       SELECT c.ma_so_bhxh, s.ma_tinh, s.ma_huyen, ${statusAsOf('ch.version')} AS status, v.verified_version, c.version,
              -- Verified on the data as corrected: no import changed a compared field since (CORRECTED_DATA_STANDS,
              -- db/lists.ts, as of the cutoff): a new value at the source replaced the correction.
              v.verified_version >= c.version AND (ch.version IS NULL OR ch.version < c.version) AS on_corrected,
              ${NUMBER_NEVER_COMPARED(statusAsOf('ch.version'), "string_to_array(v.fields, ',')", 'v.number', 'c.ma_so_bhxh')} AS never_compared
         FROM c
         CROSS JOIN LATERAL (
           SELECT ma_tinh, ma_huyen FROM participant_state st
            WHERE st.ma_so_bhxh = c.ma_so_bhxh AND st.valid_from < $1::timestamptz
            ORDER BY st.valid_from DESC, st.id DESC LIMIT 1) s
         CROSS JOIN LATERAL (
           SELECT (array_agg(x.status ORDER BY x.batch_id DESC))[1] AS status,
                  (array_agg(x.data_version ORDER BY x.batch_id DESC))[1] AS data_version,
                  -- What the last outcome found different, and the number it was about (NUMBER_NEVER_COMPARED).
                  (array_agg(array_to_string(x.fields, ',') ORDER BY x.batch_id DESC))[1] AS fields,
                  (array_agg(x.so_giay_to ORDER BY x.batch_id DESC))[1] AS number,
                  max(x.data_version) FILTER (WHERE x.status <> 'PENDING') AS verified_version
             FROM verification x
            WHERE x.ma_so_bhxh = c.ma_so_bhxh AND ${IN_EFFECT}) v
         CROSS JOIN LATERAL (
           SELECT max(st.changed_version) AS version FROM participant_state st
            WHERE st.ma_so_bhxh = c.ma_so_bhxh AND st.changed_version IS NOT NULL AND st.valid_from < $1::timestamptz) ch
     )
     SELECT ${KEY} AS key,
            count(*)::int AS corrected,
            count(*) FILTER (WHERE o.status = 'MATCHED' AND o.on_corrected)::int AS rematched,
            count(*) FILTER (WHERE o.status IN ('MISMATCHED', 'CONFLICT') AND o.on_corrected AND NOT o.never_compared)::int AS escalated
       FROM o${withMoves(args)}
      WHERE ${inScope(args)}
      GROUP BY 1`,
    params(args),
  );
  return res.rows;
}
