import type { Queryable } from './pool.js';
import { SQLSTATE, sqlState } from './sqlstate.js';

const CHANGED = `(p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to, p.ma_don_vi, p.ma_tinh, p.ma_huyen, p.vssid, p.email, p.findings)
           IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to, EXCLUDED.ma_don_vi,
                             EXCLUDED.ma_tinh, EXCLUDED.ma_huyen, EXCLUDED.vssid, EXCLUDED.email, EXCLUDED.findings)`;

/**
 * The import's temporary tables. `seen_key`: the first line of every key read so far, for the whole file (the one
 * index the import keeps). `chunk_key`: one chunk's keys and source hashes. `staging`: one chunk's rows to write;
 * `staging_waiting`: the rows whose sex code `0` is decided once the whole file is read. The chunk tables have no
 * index and are emptied after each chunk: a 10 000-row chunk is read whole, and an index on it was most of the
 * cost of the earlier two-table design (keys COPY and marking 1.7 s per 100 k rows, now 0.6 s).
 */
const STAGING_TABLES = `
  CREATE TEMP TABLE seen_key (ma_so_bhxh text PRIMARY KEY, line int NOT NULL);
  CREATE TEMP TABLE chunk_key (line int NOT NULL, ma_so_bhxh text NOT NULL, src_hash text NOT NULL);
  CREATE TEMP TABLE staging (
    line int NOT NULL, ma_so_bhxh text NOT NULL, ho_ten text, ngay_sinh text, gioi_tinh text, so_giay_to text,
    ma_don_vi text, ten_don_vi text, dia_chi_don_vi text, ma_tinh text, ma_huyen text, vssid boolean, email text,
    findings jsonb, src_hash text, sex_code text);
  CREATE TEMP TABLE staging_waiting (LIKE staging)`;

/**
 * Creates the import's temporary tables on the session. They live in the session's local buffers, 8 MB by default,
 * which a 100 k-row import already outgrew (spilling to disk): 64 MB are asked for first. PostgreSQL refuses that
 * once the session has used a temporary table (a second import on the same connection); it then keeps what it has.
 * (Set here rather than as a connection option, which connection poolers such as PgBouncer refuse.)
 */
export async function createStagingTables(session: Queryable): Promise<void> {
  try {
    await session.query(`SET temp_buffers = '64MB'`);
  } catch (err) {
    if (sqlState(err) !== SQLSTATE.invalidParameterValue) throw err;
  }
  await session.query(STAGING_TABLES);
}

/** What the server says about a chunk's keys: the lines whose key came earlier in the file, and the lines to load. */
export interface ChunkMarks {
  /** line → the first line of its key in this file (the first row wins). */
  duplicates: Map<number, number>;
  /** Lines that are new or changed since the last import; the chunk's other lines are unchanged. */
  load: Set<number>;
}

/**
 * For the keys in chunk_key: marks a key already seen on an earlier line, records the others in seen_key, and
 * finds the rows whose source hash differs from the one stored with the participant. Only duplicates and rows to
 * load come back, so an unchanged night returns nothing. Empties chunk_key.
 */
export async function markChunkKeys(q: Queryable): Promise<ChunkMarks> {
  const res = await q.query<{ line: number; dup_of: number | null }>(
    // The look-ups into seen_key and participant are correlated subqueries on purpose: one index probe per row of
    // the chunk, whatever the tables' sizes. As joins, the planner hashed the whole of seen_key and participant for
    // every chunk (a 10 000-row chunk against a 100 M-row table).
    `WITH c AS MATERIALIZED (
       SELECT line, ma_so_bhxh, src_hash, min(line) OVER (PARTITION BY ma_so_bhxh) AS first_in_chunk FROM chunk_key),
     marked AS MATERIALIZED (
       SELECT c.*, coalesce((SELECT s.line FROM seen_key s WHERE s.ma_so_bhxh = c.ma_so_bhxh),
                            CASE WHEN c.line <> c.first_in_chunk THEN c.first_in_chunk END) AS dup_of
         FROM c),
     seen AS (INSERT INTO seen_key SELECT ma_so_bhxh, line FROM marked WHERE dup_of IS NULL)
     SELECT m.line, m.dup_of FROM marked m
      WHERE m.dup_of IS NOT NULL
         OR (SELECT p.src_hash FROM participant p WHERE p.ma_so_bhxh = m.ma_so_bhxh) IS DISTINCT FROM m.src_hash`,
  );
  await q.query('TRUNCATE chunk_key');
  const marks: ChunkMarks = { duplicates: new Map(), load: new Set() };
  for (const r of res.rows) {
    if (r.dup_of === null) marks.load.add(r.line);
    else marks.duplicates.set(r.line, r.dup_of);
  }
  return marks;
}

/**
 * The rows with a sex code of `0`, once the whole file is read: Nữ when the file writes sex as 1/0 throughout (no
 * `2` anywhere), otherwise unknown (ISO 5218) and carried as a finding.
 */
export async function settleSexZero(q: Queryable, fileUsesOneZero: boolean): Promise<void> {
  await q.query(
    fileUsesOneZero
      ? `UPDATE staging_waiting SET gioi_tinh = 'F' WHERE sex_code = '0'`
      : `UPDATE staging_waiting SET findings = findings || '[{"field":"sex","code":"invalid","value":"0"}]'::jsonb WHERE sex_code = '0'`,
  );
}

/**
 * Upserts the rows of `staging` (one chunk, or `staging_waiting` at the end) into unit and participant, then
 * empties the table; rows whose sex code waits for the whole file move to staging_waiting instead. A number in the
 * file that is the participant's former number (replaced by the ĐDCN) or empty while a confirmed ĐDCN is on file
 * does not undo the replacement. Identity changes (name, date of birth, sex, number) bump data_version, which puts
 * the person back in line for verification. `staged`: how many rows the table holds, to count the unchanged.
 */
export async function upsertStagedParticipants(
  tx: Queryable,
  { now, staged, waiting = false }: { now: Date; staged: number; waiting?: boolean },
) {
  const table = waiting ? 'staging_waiting' : 'staging';
  let held = 0;
  if (!waiting) {
    const moved = await tx.query(`INSERT INTO staging_waiting SELECT * FROM staging WHERE sex_code IS NOT NULL`);
    held = moved.rowCount ?? 0;
    if (held > 0) await tx.query(`DELETE FROM staging WHERE sex_code IS NOT NULL`);
  }
  await tx.query(
    `INSERT INTO unit AS u (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at)
     SELECT DISTINCT ON (ma_don_vi) ma_don_vi, coalesce(ten_don_vi, ''), coalesce(dia_chi_don_vi, ''), ma_tinh, ma_huyen, $1::timestamptz
       FROM ${table}
      WHERE ma_don_vi IS NOT NULL
      ORDER BY ma_don_vi, line DESC
     ON CONFLICT (ma_don_vi) DO UPDATE SET
       ten_don_vi = CASE WHEN EXCLUDED.ten_don_vi <> '' THEN EXCLUDED.ten_don_vi ELSE u.ten_don_vi END,
       dia_chi = CASE WHEN EXCLUDED.dia_chi <> '' THEN EXCLUDED.dia_chi ELSE u.dia_chi END,
       ma_tinh = coalesce(EXCLUDED.ma_tinh, u.ma_tinh),
       ma_huyen = coalesce(EXCLUDED.ma_huyen, u.ma_huyen),
       updated_at = EXCLUDED.updated_at
     WHERE (u.ten_don_vi, u.dia_chi, u.ma_tinh, u.ma_huyen) IS DISTINCT FROM
           (CASE WHEN EXCLUDED.ten_don_vi <> '' THEN EXCLUDED.ten_don_vi ELSE u.ten_don_vi END,
            CASE WHEN EXCLUDED.dia_chi <> '' THEN EXCLUDED.dia_chi ELSE u.dia_chi END,
            coalesce(EXCLUDED.ma_tinh, u.ma_tinh), coalesce(EXCLUDED.ma_huyen, u.ma_huyen))`,
    [now],
  );
  const res = await tx.query<{ inserted: number; updated: number }>(
    `WITH w AS (
     INSERT INTO participant AS p (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
                                   vssid, email, findings, src_hash, created_at, updated_at)
     SELECT s.ma_so_bhxh, coalesce(s.ho_ten, ''), s.ngay_sinh, s.gioi_tinh,
            CASE WHEN cur.ma_so_bhxh IS NOT NULL
                  AND ((s.so_giay_to IS NULL AND cur.so_ddcn IS NOT NULL)
                       OR EXISTS (SELECT 1 FROM number_history h WHERE h.ma_so_bhxh = s.ma_so_bhxh AND h.so_cu = s.so_giay_to))
                 THEN cur.so_giay_to ELSE s.so_giay_to END,
            s.ma_don_vi, s.ma_tinh, s.ma_huyen, coalesce(s.vssid, false), s.email, s.findings, s.src_hash,
            $1::timestamptz, $1::timestamptz
       FROM ${table} s
       -- LIMIT keeps this a per-row index probe (see markChunkKeys), not a join the planner may hash.
       LEFT JOIN LATERAL (SELECT c.ma_so_bhxh, c.so_ddcn, c.so_giay_to FROM participant c
                           WHERE c.ma_so_bhxh = s.ma_so_bhxh LIMIT 1) cur ON true
     ON CONFLICT (ma_so_bhxh) DO UPDATE SET
       ho_ten = EXCLUDED.ho_ten, ngay_sinh = EXCLUDED.ngay_sinh, gioi_tinh = EXCLUDED.gioi_tinh,
       so_giay_to = EXCLUDED.so_giay_to, ma_don_vi = EXCLUDED.ma_don_vi, ma_tinh = EXCLUDED.ma_tinh,
       ma_huyen = EXCLUDED.ma_huyen, vssid = EXCLUDED.vssid, email = EXCLUDED.email, findings = EXCLUDED.findings,
       src_hash = EXCLUDED.src_hash,
       data_version = p.data_version +
         CASE WHEN (p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to)
                   IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to)
              THEN 1 ELSE 0 END,
       -- A row whose data is the same but whose hash was not yet stored only takes the hash: not an update.
       updated_at = CASE WHEN ${CHANGED} THEN EXCLUDED.updated_at ELSE p.updated_at END
     WHERE ${CHANGED} OR p.src_hash IS DISTINCT FROM EXCLUDED.src_hash
     RETURNING (xmax = 0) AS inserted, updated_at = $1::timestamptz AS changed)
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE changed AND NOT inserted)::int AS updated FROM w`,
    [now],
  );
  await tx.query(`TRUNCATE ${table}`);
  const { inserted, updated } = res.rows[0]!;
  return { inserted, updated, unchanged: staged - held - inserted - updated, held };
}
