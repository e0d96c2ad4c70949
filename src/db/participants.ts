import type { Queryable } from './pool.js';
import { type KnownProvinceForms, settleProvinceForms } from './province-forms.js';
import { SQLSTATE, sqlState } from './sqlstate.js';

/**
 * Participant fields a file may leave out: people on file keep theirs (upsertStagedParticipants), new people get
 * them empty. The fields the registry compares cannot be left out (IDENTITY_COLUMNS); a unit's name and address are
 * kept when empty anyway (upsertUnits).
 */
export const KEPT_WHEN_ABSENT = ['ma_don_vi', 'ma_tinh', 'ma_huyen', 'vssid', 'email'] as const;
export type KeptColumn = (typeof KEPT_WHEN_ABSENT)[number];

/** SQL: the elements of the findings array `source` (each `e.f`) for which `where` holds, in their order. */
const findingsWhere = (source: string, where: string) =>
  `(SELECT coalesce(jsonb_agg(e.f ORDER BY e.i), '[]'::jsonb) FROM jsonb_array_elements(${source}) WITH ORDINALITY e(f, i) WHERE ${where})`;

/**
 * SQL, in the lateral over a person's corrections (`k`): whether the correction of `field` stays — the row's value
 * (`fromFile`, a condition on `k.old_value`) is one a correction replaced, and what is on file (`onFile`) is the
 * value of the last one made.
 */
const correctionStays = (field: string, fromFile: string, onFile: string) =>
  `coalesce(bool_or(k.field = '${field}' AND (${fromFile}))
                  AND (array_agg(k.new_value ORDER BY k.changed_at DESC, k.id DESC) FILTER (WHERE k.field = '${field}'))[1] = ${onFile}, false)`;

/**
 * SQL: the name key of a stored name `v` as this ddcn reads it from a file (src/pipeline/csv-scan.ts EXCEL_TEXT, the
 * text inside ="…"; src/domain/names.ts cleanName, ' for ’ ‘ ʼ), or NULL when `v` holds neither form (the key would be
 * name_key(v)'s).
 */
const NAME_AS_READ_NOW = (v: string) =>
  `CASE WHEN strpos(${v}, '="') + strpos(${v}, '’') + strpos(${v}, '‘') + strpos(${v}, 'ʼ') > 0
        THEN name_key(translate(regexp_replace(${v}, '^\\s*="([^"]*)"\\s*$', '\\1'), '’‘ʼ', '''''''')) END`;

/** A change of what the registry verifies (name, date of birth, sex, number): a new data version. */
const VERIFIED_DATA_CHANGED = `(p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to)
                   IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to)`;
/**
 * Such a change the registry would compare differently: a name by its key (name_key, migration 0028), tried only
 * when the name's case- and space-folded text differs (name_key is ~10 µs a call; a whole export written in capitals
 * then costs the cheap fold alone).
 */
const VERIFIED_DATA_MOVED = `((p.ngay_sinh, p.gioi_tinh, p.so_giay_to) IS DISTINCT FROM (EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to)
                   OR CASE WHEN p.ho_ten IS NOT DISTINCT FROM EXCLUDED.ho_ten THEN false
                           WHEN lower(regexp_replace(btrim(p.ho_ten), '\\s+', ' ', 'g')) = lower(regexp_replace(btrim(EXCLUDED.ho_ten), '\\s+', ' ', 'g')) THEN false
                           ELSE name_key(p.ho_ten) IS DISTINCT FROM name_key(EXCLUDED.ho_ten) END)`;

const CHANGED = `(p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to, p.ma_don_vi, p.ma_tinh, p.ma_huyen, p.vssid, p.email, p.findings)
           IS DISTINCT FROM (EXCLUDED.ho_ten, EXCLUDED.ngay_sinh, EXCLUDED.gioi_tinh, EXCLUDED.so_giay_to, EXCLUDED.ma_don_vi,
                             EXCLUDED.ma_tinh, EXCLUDED.ma_huyen, EXCLUDED.vssid, EXCLUDED.email, EXCLUDED.findings)`;

/**
 * The import's temporary tables. `staging`: rows to write (a chunk, or the whole file on the bulk path);
 * `staging_waiting`: the rows whose sex code `0` is decided once the whole file is read. (The file's keys go to a
 * work table of their own, fileKeyTable.) Codes take the "C" collation, as in participant (migration 0022).
 */
const STAGING_TABLES = `
  CREATE TEMP TABLE staging (
    line int NOT NULL, ma_so_bhxh text COLLATE "C" NOT NULL, ho_ten text, ngay_sinh text, gioi_tinh text,
    so_giay_to text COLLATE "C", ma_don_vi text COLLATE "C", ten_don_vi text, dia_chi_don_vi text,
    ma_tinh text COLLATE "C", ma_huyen text COLLATE "C", vssid boolean, email text, findings jsonb, src_hash text,
    sex_code text);
  CREATE TEMP TABLE staging_waiting (LIKE staging)`;

/**
 * The chunked path's table of the file's keys: every accepted line's key and source hash, the whole file, unindexed
 * (one COPY while the file is read). An unlogged table in the import_work schema (migration 0021) rather than a
 * temporary one, so that the server can mark it on more than one core (markFileKeys); named after the session's
 * server process. Tables left by imports that died (their process is gone) are dropped first.
 */
export async function createFileKeyTable(session: Queryable): Promise<string> {
  const left = await session.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'import_work' AND c.relkind = 'r' AND c.relname ~ '^file_key_[0-9]+$'
        AND substring(c.relname FROM 10) NOT IN (SELECT pid::text FROM pg_stat_activity WHERE pid IS NOT NULL)`,
  );
  for (const { name } of left.rows) {
    // Another import may be dropping it too, or it is not ours to drop: it is left for later, not this import's failure.
    await session.query(`DROP TABLE IF EXISTS import_work.${name}`).catch(() => undefined);
  }
  const pid = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const table = `import_work.file_key_${pid}`;
  await session.query(
    `DROP TABLE IF EXISTS ${table};
     CREATE UNLOGGED TABLE ${table} (line int NOT NULL, ma_so_bhxh text COLLATE "C" NOT NULL, src_hash text NOT NULL,
                                     sex_zero boolean NOT NULL, by_worker boolean NOT NULL)`,
  );
  return table;
}

export const fileKeyCopy = (table: string) => `COPY ${table} (line, ma_so_bhxh, src_hash, sex_zero, by_worker) FROM STDIN`;

/**
 * Takes out of the file's keys the lines a worker thread read (by_worker) when its part of the file turned out to
 * start inside a record: the main reading read that part again (see CsvReading).
 */
export async function dropWorkerKeys(q: Queryable, table: string): Promise<void> {
  await q.query(`DELETE FROM ${table} WHERE by_worker`);
}

/**
 * What a row with sex code `0` adds to its source hash: how the file's `0` was read (Nữ in a file written 1/0
 * throughout, unknown in any other). The reading depends on the whole file, so a row whose own text did not change
 * still changes when its file's convention does (a 1/0 file that gains a `2`): the stored hash carries the reading,
 * and such a row is read again. Hashes stored before this suffix make their `0` rows read again once.
 */
export const sexZeroSuffix = (fileUsesOneZero: boolean): string => (fileUsesOneZero ? '|0=F' : '|0=?');

/**
 * Creates the import's temporary tables on the session. They live in the session's local buffers, 8 MB by default,
 * which a 100 k-row import already outgrew (spilling to disk): 64 MB are asked for first. PostgreSQL refuses that
 * once the session has used a temporary table (a second import on the same connection); it then keeps what it has.
 * (Set here rather than as a connection option, which connection poolers such as PgBouncer refuse.)
 */
export async function createStagingTables(session: Queryable): Promise<void> {
  // Stryker disable next-line BlockStatement: temp_buffers is memory only; the statement fails for no other reason than the one tolerated
  try {
    // Stryker disable next-line StringLiteral: temp_buffers is memory only: the same rows either way
    await session.query(`SET temp_buffers = '64MB'`);
  } catch (err) {
    // Stryker disable next-line ConditionalExpression: SET temp_buffers fails only as tolerated
    if (sqlState(err) !== SQLSTATE.invalidParameterValue) throw err;
  }
  // No JIT for the import's statements: the temporary tables have no statistics, so the planner's row estimates
  // for them are wild, and their costs call for JIT compilation that took ~1.2 s of a 1.3 s statement (the units of
  // a 100 k bulk load; the statement itself ran in ~0.1 s).
  // Stryker disable next-line StringLiteral: JIT is a planner setting: the same rows either way
  await session.query('SET jit = off');
  await session.query(STAGING_TABLES);
}

/**
 * Once the file's keys are all in `table` (createFileKeyTable): marks, in `file_mark` (line, dup_of, ma_so_bhxh; indexed by line), every line
 * whose key an earlier line has (dup_of: the first line; the first row wins) and every line that is new or changed
 * since the last import (dup_of null). Returns how many lines are marked (the others are unchanged), and of them
 * how many are marked only because sex code `0` is read otherwise than at the last import (`otherSuffix`: the
 * other reading's suffix): one `2` in a file written 1/0 turns every `0` of it from Nữ to unknown.
 *
 * Set-based, once per file: a sort of the file's keys for the duplicates, then an anti-join with participant for
 * the rest, which the server runs on several cores (the table is not a temporary one). The keys are sorted as
 * numbers (every key is ten digits, keyOf, so two keys are equal exactly when their numbers are): at 1 M rows,
 * 1.0 s, against 1.5 s for one statement with a left join and 2.1 s sorting the keys as text in byte order ("C").
 * It replaced a marking per
 * 10 000-row chunk by correlated subqueries (one probe of a seen-keys index and one of participant per row, and an
 * insert into that index), which at 100 k rows kept the server busy ~180 ms per chunk, 1.8 s in all, while
 * reading the file took ~1.2 s: the unchanged re-import waited for the server.
 */
export async function markFileKeys(
  q: Queryable,
  table: string,
  zeroSuffix: string,
  otherSuffix: string,
): Promise<{ marked: number; zeroReread: number }> {
  // Stryker disable next-line StringLiteral: work_mem is a planner and memory setting: the same rows either way
  await q.query(`SET work_mem = '256MB'`);
  try {
    // The second and later lines of a key, which are then out of the question for the rest.
    const dups = await q.query(
      `CREATE TEMP TABLE file_mark AS
       SELECT line, first AS dup_of, ma_so_bhxh, false AS zero_reread
         FROM (SELECT line, ma_so_bhxh, min(line) OVER (PARTITION BY ma_so_bhxh::bigint) AS first FROM ${table}) d
        WHERE line <> first`,
    );
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: with no duplicate the delete deletes nothing
    if ((dups.rowCount ?? 0) > 0) await q.query(`DELETE FROM ${table} k USING file_mark m WHERE k.line = m.line`);
    // New or changed lines: no participant with the key and the hash (CREATE TABLE AS may run in parallel, an
    // INSERT … SELECT may not). The planner expects the whole file back and would not pay for moving it out of the
    // parallel workers: in the nightly case nothing comes back, so moving rows is made free for this statement
    // (1 M rows, unchanged: 0.67 s on two cores, 1.33 s on one).
    // Stryker disable next-line StringLiteral: a planner setting: the same rows either way
    await q.query('SET parallel_tuple_cost = 0');
    const changed = await q.query(
      `CREATE TEMP TABLE file_changed AS
       SELECT k.line, k.ma_so_bhxh, k.sex_zero, k.src_hash FROM ${table} k
        WHERE NOT EXISTS (SELECT 1 FROM participant p WHERE p.ma_so_bhxh = k.ma_so_bhxh
                             AND p.src_hash = k.src_hash || CASE WHEN k.sex_zero THEN $1::text ELSE '' END)`,
      [zeroSuffix],
    );
    // (Reset with work_mem below: nothing that follows can run in parallel, an INSERT and statements on temporary tables.)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: with nothing changed the insert inserts nothing
    if ((changed.rowCount ?? 0) > 0) {
      await q.query(
        `INSERT INTO file_mark (line, dup_of, ma_so_bhxh, zero_reread)
         SELECT c.line, NULL, c.ma_so_bhxh,
                c.sex_zero AND EXISTS (SELECT 1 FROM participant p WHERE p.ma_so_bhxh = c.ma_so_bhxh AND p.src_hash = c.src_hash || $1::text)
           FROM file_changed c`,
        [otherSuffix],
      );
    }
    await q.query('DROP TABLE file_changed');
    const marked = (dups.rowCount ?? 0) + (changed.rowCount ?? 0);
    let zeroReread = 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: an index on an empty table, and a count that would be 0
    if (marked > 0) {
      // Stryker disable next-line StringLiteral: an index for speed only: the same rows either way
      await q.query('CREATE INDEX ON file_mark (line)');
      const n = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM file_mark WHERE zero_reread');
      zeroReread = n.rows[0]!.n;
    }
    return { marked, zeroReread };
  } finally {
    // Stryker disable next-line StringLiteral: work_mem is a planner and memory setting: the same rows either way
    await q.query('RESET work_mem; RESET parallel_tuple_cost');
  }
}

export interface FileMark {
  line: number;
  /** The first line of the key when this line repeats it; null for a line to load. */
  dupOf: number | null;
  key: string;
}

/** The next marks after `afterLine`, in line order. */
export async function fileMarksAfter(q: Queryable, afterLine: number, limit: number): Promise<FileMark[]> {
  const res = await q.query<{ line: number; dup_of: number | null; ma_so_bhxh: string }>(
    'SELECT line, dup_of, ma_so_bhxh FROM file_mark WHERE line > $1::int ORDER BY line LIMIT $2::int',
    [afterLine, limit],
  );
  return res.rows.map((r) => ({ line: r.line, dupOf: r.dup_of, key: r.ma_so_bhxh }));
}

/**
 * The rows with a sex code of `0`, once the whole file is read: Nữ when the file writes sex as 1/0 throughout (no
 * `2` anywhere), otherwise unknown (ISO 5218) and carried as a finding.
 */
export async function settleSexZero(q: Queryable, fileUsesOneZero: boolean, table: 'staging' | 'staging_waiting' = 'staging_waiting'): Promise<void> {
  await q.query(
    fileUsesOneZero
      ? `UPDATE ${table} SET gioi_tinh = 'F', sex_code = 'z' WHERE sex_code = '0'`
      : `UPDATE ${table} SET findings = findings || '[{"field":"sex","code":"invalid","value":"0"}]'::jsonb, sex_code = 'z' WHERE sex_code = '0'`,
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
  { now, staged, waiting = false, kept = [] }: { now: Date; staged: number; waiting?: boolean; kept?: readonly KeptColumn[] },
) {
  const table = waiting ? 'staging_waiting' : 'staging';
  let held = 0;
  // The people of these rows first, locked in code order, so that what the statements below read of them (a
  // correction that stays, a ĐDCN the run wrote, a field the file does not have) is what is on file when they are
  // written: each statement reads as of its own start, while the upsert's row lock waits for a correction or a run's
  // write step that commits meanwhile — and then wrote the values read before it, undoing them (a unit's correction
  // lost, its history saying it was applied). Locked in one order, two transactions locking several of these rows
  // wait for each other rather than deadlock.
  await tx.query(
    `SELECT 1 FROM participant p WHERE p.ma_so_bhxh IN (SELECT s.ma_so_bhxh FROM ${table} s) ORDER BY p.ma_so_bhxh FOR NO KEY UPDATE OF p`,
  );
  // The units first, from every row of the chunk, those held back for their sex code included: so each unit field
  // ends as the last value the file gave it, whatever the chunks (the bulk load gives the same). Before anything is
  // written, each province in its form on file (the rows held back move with theirs).
  if (!waiting) {
    await settleProvinceForms(tx, 'staging');
    await upsertUnits(tx, table, now);
  }
  // Fields whose column the file does not have: what is on file (before the rows held back for their sex code move).
  if (!waiting && kept.length) {
    // A person who keeps their unit is not "without a unit" (the finding the row's empty value gave); one who keeps
    // an e-mail or VssID flag keeps what was found about it, and one who keeps a field whose value an earlier file
    // gave too long or with a control character (not stored) keeps that finding (its `column`).
    const ownUnit = kept.includes('ma_don_vi') ? `(e.f <> '{"field": "unit", "code": "missing"}'::jsonb OR p.ma_don_vi IS NULL)` : 'true';
    const keptFields = kept.filter((c) => c === 'email' || c === 'vssid');
    await tx.query(
      `UPDATE staging s SET ${kept.map((c) => `${c} = p.${c}`).join(', ')},
              findings = ${findingsWhere('s.findings', ownUnit)}
                || ${findingsWhere('p.findings', `e.f->>'field' = ANY($1::text[]) OR e.f->>'column' = ANY($2::text[])`)}
         FROM participant p WHERE p.ma_so_bhxh = s.ma_so_bhxh`,
      [keptFields, kept],
    );
  }
  // Stryker disable next-line ConditionalExpression: in the waiting pass staging is empty: moving its rows moves none
  if (!waiting) {
    const moved = await tx.query(`INSERT INTO staging_waiting SELECT * FROM staging WHERE sex_code IS NOT NULL`);
    held = moved.rowCount ?? 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: deleting the held rows when none were held deletes nothing
    if (held > 0) await tx.query(`DELETE FROM staging WHERE sex_code IS NOT NULL`);
  }
  const res = await tx.query<{ inserted: number; updated: number }>(
    `WITH w AS (
     INSERT INTO participant AS p (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
                                   vssid, email, findings, src_hash, created_at, updated_at)
     SELECT s.ma_so_bhxh, CASE WHEN fix.name THEN cur.ho_ten ELSE coalesce(s.ho_ten, '') END,
            CASE WHEN fix.dob THEN cur.ngay_sinh ELSE s.ngay_sinh END,
            CASE WHEN fix.sex THEN cur.gioi_tinh ELSE s.gioi_tinh END,
            CASE WHEN cur.ma_so_bhxh IS NOT NULL
                  AND ((s.so_giay_to IS NULL AND cur.so_ddcn IS NOT NULL) OR fix.num
                       OR EXISTS (SELECT 1 FROM number_history h WHERE h.ma_so_bhxh = s.ma_so_bhxh AND h.so_cu = s.so_giay_to
                                     AND h.source <> 'import'
                                     -- Unless what is on file is what an export put there since (the ĐDCN it replaced
                                     -- by another number, or left empty): kept, that number would stay though the
                                     -- export no longer gives it. On a tie of time the registry's or correction's row wins.
                                     AND NOT coalesce((SELECT g.source = 'import' FROM number_history g
                                                        WHERE g.ma_so_bhxh = s.ma_so_bhxh AND g.so_moi IS NOT DISTINCT FROM cur.so_giay_to
                                                        ORDER BY g.changed_at DESC, g.source = 'import' LIMIT 1), false)))
                 THEN cur.so_giay_to ELSE s.so_giay_to END,
            s.ma_don_vi, s.ma_tinh, s.ma_huyen, coalesce(s.vssid, false), s.email,
            -- What the row says about a field whose correction it keeps no longer holds (as when it was corrected).
            CASE WHEN fix.name OR fix.dob OR fix.sex OR fix.num THEN
              ${findingsWhere('s.findings', `NOT ((fix.name AND e.f->>'field' = 'name') OR (fix.dob AND e.f->>'field' = 'dob')
                           OR (fix.sex AND e.f->>'field' = 'sex') OR (fix.num AND e.f->>'field' = 'id_number'))`)}
            ELSE s.findings END,
            s.src_hash, $1::timestamptz, $1::timestamptz
       FROM ${table} s
       -- LIMIT keeps this a per-row index probe (see markChunkKeys), not a join the planner may hash.
       LEFT JOIN LATERAL (SELECT c.ma_so_bhxh, c.ho_ten, c.ngay_sinh, c.gioi_tinh, c.so_ddcn, c.so_giay_to FROM participant c
                           WHERE c.ma_so_bhxh = s.ma_so_bhxh LIMIT 1) cur ON true
       -- A correction (a returned Mẫu 02, the portal) stays while the file still gives the value it replaced: the
       -- field is kept when the row's value is one a correction replaced and what is on file is the last one made.
       -- (A number that replaced another is also kept through number_history, above: the row's old number.)
       LEFT JOIN LATERAL (
         -- A name by its key (name_key, as VERIFIED_DATA_MOVED): the name it replaced, written in capitals by the next
         -- export, is the same value, not a new one at the source — taken as one, it undid the correction.
         -- A name an older ddcn stored as the export wrote it (="…", a typographic apostrophe: migration 0039 has such
         -- lines read again) is the value the file gives as read now: taken for a new one, the re-read undid the
         -- unit's correction of it.
         SELECT ${correctionStays('name', `(coalesce(k.old_value, '') = coalesce(s.ho_ten, '') OR name_key(k.old_value) = name_key(s.ho_ten)
                                             OR ${NAME_AS_READ_NOW('k.old_value')} = name_key(s.ho_ten))`, 'cur.ho_ten')} AS name,
                ${correctionStays('dob', 'k.old_value IS NOT DISTINCT FROM s.ngay_sinh', 'cur.ngay_sinh')} AS dob,
                -- A 0 in the file (sex_code 'z', settled) is the same text whichever way the file reads it now (Nữ in
                -- a 1/0 file, unknown otherwise): a correction of what it was read as stays.
                ${correctionStays('sex', `k.old_value IS NOT DISTINCT FROM s.gioi_tinh OR (s.sex_code = 'z' AND (k.old_value IS NULL OR k.old_value = 'F'))`, 'cur.gioi_tinh')} AS sex,
                ${correctionStays('id_number', 'k.old_value IS NOT DISTINCT FROM s.so_giay_to', 'cur.so_giay_to')} AS num
           FROM participant_correction k WHERE k.ma_so_bhxh = cur.ma_so_bhxh) fix ON true
     ON CONFLICT (ma_so_bhxh) DO UPDATE SET
       ho_ten = EXCLUDED.ho_ten, ngay_sinh = EXCLUDED.ngay_sinh, gioi_tinh = EXCLUDED.gioi_tinh,
       so_giay_to = EXCLUDED.so_giay_to, ma_don_vi = EXCLUDED.ma_don_vi, ma_tinh = EXCLUDED.ma_tinh,
       ma_huyen = EXCLUDED.ma_huyen, vssid = EXCLUDED.vssid, email = EXCLUDED.email, findings = EXCLUDED.findings,
       src_hash = EXCLUDED.src_hash,
       data_version = p.data_version + CASE WHEN ${VERIFIED_DATA_CHANGED} THEN 1 ELSE 0 END,
       -- What the registry confirmed (or not) was other data: not verified until the next run verifies this, and on
       -- no list meanwhile — Mẫu 01 would tell the person that data unchecked is synchronised (forms.md). Not for a
       -- name that differs only in case, spaces or where a tone mark sits: the registry compares it the same (the
       -- next run asks again all the same). participant_state notes the moment for Mẫu 03 (migration 0028).
       status = CASE WHEN ${VERIFIED_DATA_MOVED} THEN 'PENDING' ELSE p.status END,
       status_fields = CASE WHEN ${VERIFIED_DATA_MOVED} THEN '{}'::text[] ELSE p.status_fields END,
       -- A row whose data is the same but whose hash was not yet stored only takes the hash: not an update.
       updated_at = CASE WHEN ${CHANGED} THEN EXCLUDED.updated_at ELSE p.updated_at END
     WHERE ${CHANGED} OR p.src_hash IS DISTINCT FROM EXCLUDED.src_hash
     RETURNING p.ma_so_bhxh, p.so_giay_to, (xmax = 0) AS inserted, updated_at = $1::timestamptz AS changed
     ), replaced AS (
       -- A number the file replaced (or left out) stays findable (ddcn lookup, the portal): into number_history, as
       -- one the registry or a correction replaced, but a file giving it back later is followed (the EXISTS above
       -- looks at theirs only). \`c\` is participant as this statement found it, before the upsert.
       INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
       SELECT w.ma_so_bhxh, c.so_giay_to, w.so_giay_to, 'import', NULL, $1::timestamptz
         FROM w JOIN participant c ON c.ma_so_bhxh = w.ma_so_bhxh
        WHERE NOT w.inserted AND c.so_giay_to IS NOT NULL AND c.so_giay_to IS DISTINCT FROM w.so_giay_to
       ON CONFLICT (ma_so_bhxh, so_cu) DO NOTHING
     ), revived AS (
       -- A number the file gives back is no former number: its row goes (a number the registry or a correction
       -- replaced stays, above, and is never given back). So no row of the import's holds the number on file, which
       -- the run's write step and a correction put into the history as they replace it.
       DELETE FROM number_history h USING w
        WHERE NOT w.inserted AND h.ma_so_bhxh = w.ma_so_bhxh AND h.so_cu = w.so_giay_to AND h.source = 'import')
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE changed AND NOT inserted)::int AS updated FROM w`,
    [now],
  );
  // Stryker disable next-line StringLiteral: staging is emptied again before the next chunk is loaded into it (the same as the earlier entries of docs/mutation-testing.md)
  await tx.query(`TRUNCATE ${table}`);
  const { inserted, updated } = res.rows[0]!;
  return { inserted, updated, unchanged: staged - held - inserted - updated, held };
}

/**
 * Upserts the units of the rows in `table`: each field takes the value of the last line (in file order) that gives
 * one, and a field no line gives keeps what is stored. Done chunk by chunk, or once over the whole file by the bulk
 * load, this ends in the same state.
 */
async function upsertUnits(tx: Queryable, table: 'staging' | 'staging_waiting', now: Date): Promise<void> {
  // Hash joins only: the staging tables have no statistics, and a nested loop that scanned staging once per unit
  // could not be ruled out. (SET LOCAL: the caller is in a transaction; turned back on for what follows.)
  // Stryker disable next-line StringLiteral: a planner setting: a hash join instead of a nested loop, the same rows
  await tx.query('SET LOCAL enable_nestloop = off');
  await tx.query(
    // Each field's last line in one hash aggregate, then those few lines' values: ordered aggregates
    // (array_agg(… ORDER BY line DESC)) did the same in ~700 ms per 100 k rows, sorting per field.
    `WITH last AS (
       SELECT ma_don_vi,
              max(line) FILTER (WHERE ten_don_vi <> '') AS l_ten,
              max(line) FILTER (WHERE dia_chi_don_vi <> '') AS l_dia_chi,
              max(line) FILTER (WHERE ma_tinh IS NOT NULL) AS l_tinh,
              max(line) FILTER (WHERE ma_huyen IS NOT NULL) AS l_huyen
         FROM ${table} WHERE ma_don_vi IS NOT NULL GROUP BY ma_don_vi),
     wanted AS (SELECT l_ten AS line FROM last UNION SELECT l_dia_chi FROM last
                UNION SELECT l_tinh FROM last UNION SELECT l_huyen FROM last),
     v AS MATERIALIZED (SELECT line, ten_don_vi, dia_chi_don_vi, ma_tinh, ma_huyen FROM ${table}
                         WHERE line IN (SELECT line FROM wanted))
     INSERT INTO unit AS u (ma_don_vi, ten_don_vi, dia_chi, ma_tinh, ma_huyen, updated_at)
     SELECT l.ma_don_vi, coalesce(a.ten_don_vi, ''), coalesce(b.dia_chi_don_vi, ''), c.ma_tinh, d.ma_huyen, $1::timestamptz
       FROM last l
       LEFT JOIN v a ON a.line = l.l_ten
       LEFT JOIN v b ON b.line = l.l_dia_chi
       LEFT JOIN v c ON c.line = l.l_tinh
       LEFT JOIN v d ON d.line = l.l_huyen
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
  // Stryker disable next-line StringLiteral: a planner setting: a hash join instead of a nested loop, the same rows
  await tx.query('SET LOCAL enable_nestloop = on');
}

/** How many participants are on file (an index-only count: ~40 ms at 1 M). */
export async function countParticipants(q: Queryable): Promise<number> {
  const res = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM participant');
  return res.rows[0]!.n;
}

/** True when no participant is on file: an import then takes the bulk path (see bulkInsertStaged). */
export async function participantsEmpty(q: Queryable): Promise<boolean> {
  const res = await q.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM participant) AS empty');
  return res.rows[0]!.empty;
}

/**
 * The bulk load's duplicates, with `staging` holding the whole file: every line whose key an earlier line has is
 * moved out of `staging` into the transaction's `duplicate_line` (line, first line of the key, key), the same rule
 * as markChunkKeys (the first line wins). Returns how many; read them in line order with copyRows.
 */
export async function takeDuplicateLines(tx: Queryable): Promise<number> {
  await tx.query(
    `CREATE TEMP TABLE duplicate_line ON COMMIT DROP AS
     SELECT line, first, ma_so_bhxh FROM (
       SELECT line, ma_so_bhxh, min(line) OVER (PARTITION BY ma_so_bhxh::bigint) AS first FROM staging) d
      WHERE line <> first`,
  );
  // Stryker disable next-line ConditionalExpression: a shortcut: with no duplicate, the delete that follows deletes nothing and 0 is returned all the same
  if (((await tx.query('SELECT 1 FROM duplicate_line LIMIT 1')).rowCount ?? 0) === 0) return 0;
  // A hash join whatever the (missing) statistics say: a nested loop could scan staging once per duplicate.
  // Stryker disable next-line StringLiteral: a planner setting: a hash join instead of a nested loop, the same rows
  await tx.query('SET LOCAL enable_nestloop = off');
  const res = await tx.query('DELETE FROM staging s USING duplicate_line d WHERE s.line = d.line');
  // Stryker disable next-line StringLiteral: a planner setting: a hash join instead of a nested loop, the same rows
  await tx.query('SET LOCAL enable_nestloop = on');
  return res.rowCount ?? 0;
}

export const DUPLICATE_LINES_SQL = 'COPY (SELECT line, first, ma_so_bhxh FROM duplicate_line ORDER BY line) TO STDOUT';

/** The indexes the bulk load drops and builds again (see beginBulkLoad). */
export interface DroppedIndex {
  tbl: string;
  name: string;
  def: string;
  conname: string | null;
  condef: string | null;
}

/** A foreign key to participant, dropped with its primary key for the bulk load and added again after it. */
export interface DroppedForeignKey {
  tbl: string;
  conname: string;
  condef: string;
}

export interface BulkDrops {
  indexes: DroppedIndex[];
  foreignKeys: DroppedForeignKey[];
}

/**
 * Starts the bulk load of an empty participant table, in the session's open transaction: takes participant and
 * participant_state in ACCESS EXCLUSIVE mode until commit, and drops every index of the two tables, the primary key
 * included, with the foreign keys that refer to them (participant_correction's: empty, since participant is). Returns
 * null, having changed nothing, when participant is not empty (another import got there first).
 *
 * Measured at 100 k rows: inserting with the two secondary indexes of participant and the three of
 * participant_state kept up row by row took ~4.7 s; the same insert without them and the indexes built after,
 * ~2.6 s. At 1 M rows, the primary key kept up row by row cost ~3 s of the ~9 s insert (one INSERT of 1 M rows:
 * 9.3 s with it, 5.8 s without and 0.6 s to build it after); it is built once the rows are in (addBulkPrimaryKey),
 * which is also how the file's duplicate keys are found. The state rows are still written by
 * participant_state_insert, the trigger the chunked path uses, so both paths store the same (inserting them
 * directly with the trigger disabled measured no faster).
 */
export async function beginBulkLoad(tx: Queryable): Promise<BulkDrops | null> {
  // Stryker disable next-line StringLiteral: the lock only keeps a second import from bulk-loading at the same moment; a race test would be a flaky one
  await tx.query('LOCK TABLE participant, participant_state IN ACCESS EXCLUSIVE MODE');
  // Stryker disable next-line ConditionalExpression: the emptiness was checked just before the lock; it differs only if another import filled the table in between (a race)
  if (!(await participantsEmpty(tx))) return null;
  const foreign = await tx.query<DroppedForeignKey>(
    `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS condef FROM pg_constraint
      WHERE contype = 'f' AND confrelid IN ('participant'::regclass, 'participant_state'::regclass) ORDER BY 1, 2`,
  );
  for (const fk of foreign.rows) await tx.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT ${fk.conname}`);
  const built = await tx.query<DroppedIndex>(
    // Stryker disable next-line StringLiteral: with no index found to drop, the load keeps them: slower, the same rows
    `SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def,
            c.conname, pg_get_constraintdef(c.oid) AS condef
       FROM pg_index i
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')
      WHERE i.indrelid IN ('participant'::regclass, 'participant_state'::regclass)
      ORDER BY 2`,
  );
  for (const ix of built.rows) {
    await tx.query(ix.conname ? `ALTER TABLE ${ix.tbl} DROP CONSTRAINT ${ix.conname}` : `DROP INDEX ${ix.name}`);
  }
  await tx.query('CREATE TEMP TABLE segment (LIKE staging) ON COMMIT DROP');
  return { indexes: built.rows, foreignKeys: foreign.rows };
}

const isParticipantKey = (ix: DroppedIndex): boolean => ix.tbl === 'participant' && ix.condef?.startsWith('PRIMARY KEY') === true;

/**
 * Builds participant's primary key once every segment is in. Returns false, having built nothing, when a key is
 * on two lines of the file (the build fails on it): the duplicates are then taken out (takeDuplicateLines,
 * dropDuplicateRows) and this is called again. A file without duplicates, the usual case, pays for no search.
 */
export async function addBulkPrimaryKey(tx: Queryable, drops: BulkDrops): Promise<boolean> {
  const key = drops.indexes.find(isParticipantKey);
  // Stryker disable next-line ConditionalExpression: participant always has its primary key (migration 0001)
  if (!key) return true;
  await tx.query('SAVEPOINT bulk_key');
  try {
    await tx.query(`ALTER TABLE participant ADD CONSTRAINT ${key.conname!} ${key.condef!}`);
  } catch (err) {
    if (sqlState(err) !== SQLSTATE.uniqueViolation) throw err;
    // Rolled back and released: what follows (the duplicates taken out) runs in the load's own transaction.
    await tx.query('ROLLBACK TO SAVEPOINT bulk_key; RELEASE SAVEPOINT bulk_key');
    return false;
  }
  await tx.query('RELEASE SAVEPOINT bulk_key');
  drops.indexes = drops.indexes.filter((ix) => !isParticipantKey(ix));
  return true;
}

/**
 * The bulk load's rows of the later lines of a key, once takeDuplicateLines has left only each key's first line in
 * `staging`: deleted from participant, so that the row of the first line stays. Told apart by their source hash
 * (two lines with the same hash are the same row: either is kept). Their state rows are written again from the rows
 * that stay. Returns the rows deleted.
 */
export async function dropDuplicateRows(tx: Queryable): Promise<number> {
  const res = await tx.query(
    `WITH keys AS (SELECT DISTINCT ma_so_bhxh FROM duplicate_line),
     ranked AS (
       SELECT p.ctid AS row_id, row_number() OVER (PARTITION BY p.ma_so_bhxh ORDER BY p.src_hash IS NOT DISTINCT FROM s.src_hash DESC, p.ctid) AS rank
         FROM participant p JOIN keys k ON k.ma_so_bhxh = p.ma_so_bhxh JOIN staging s ON s.ma_so_bhxh = p.ma_so_bhxh)
     DELETE FROM participant WHERE ctid = ANY (ARRAY(SELECT row_id FROM ranked WHERE rank > 1))`,
  );
  await tx.query(
    `DELETE FROM participant_state WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM duplicate_line);
     INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen)
     SELECT ma_so_bhxh, updated_at, vssid, ma_tinh, ma_huyen FROM participant WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM duplicate_line)`,
  );
  return res.rowCount ?? 0;
}

export const SEGMENT_COPY = `COPY segment (line, ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ten_don_vi,
  dia_chi_don_vi, ma_tinh, ma_huyen, vssid, email, findings, src_hash, sex_code) FROM STDIN`;

/**
 * Inserts the rows COPYed into `segment` (the next lines of the file) into participant, and keeps what is settled
 * over the whole file in `staging`. Runs while this process reads and normalises the next segment. Every row goes
 * in, a key's later lines too: the primary key is built at the end (addBulkPrimaryKey), and only if it cannot be are
 * the later lines taken out (dropDuplicateRows). Returns the rows inserted.
 */
export async function loadSegment(
  tx: Queryable,
  now: Date,
  /** The segment's ma_tinh values, and the forms on file as last read: a segment settled already is not looked at. */
  provinces: { codes: Iterable<string | null>; known: KnownProvinceForms },
): Promise<number> {
  // Each province in its form on file (the first segment that has a province sets it), participants and units alike.
  // Stryker disable next-line ConditionalExpression: a shortcut: a segment settled already, settled again, keeps the same rows
  if (!provinces.known.settled(provinces.codes)) {
    await settleProvinceForms(tx, 'segment');
    await provinces.known.refresh(tx);
  }
  const res = await tx.query(
    `INSERT INTO participant (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
                              vssid, email, findings, src_hash, created_at, updated_at)
     SELECT ma_so_bhxh, coalesce(ho_ten, ''), ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen,
            coalesce(vssid, false), email, findings, src_hash, $1::timestamptz, $1::timestamptz
       FROM segment`,
    [now],
  );
  // What the end of the load needs of every row (duplicates, sex codes, units), not the whole row.
  await tx.query(
    `INSERT INTO staging (line, ma_so_bhxh, ma_don_vi, ten_don_vi, dia_chi_don_vi, ma_tinh, ma_huyen, src_hash, sex_code)
     SELECT line, ma_so_bhxh, ma_don_vi, ten_don_vi, dia_chi_don_vi, ma_tinh, ma_huyen, src_hash, sex_code FROM segment;
     TRUNCATE segment`,
  );
  return res.rowCount ?? 0;
}

/**
 * Ends the bulk load once every segment is in and the duplicates are out of staging: the rows with sex code `0`
 * settled in participant (as settleSexZero), the units, the dropped indexes built again (the primary key was, by
 * addBulkPrimaryKey) and the foreign keys to participant added again.
 */
export async function finishBulkLoad(
  tx: Queryable,
  now: Date,
  sexZero: { rows: number; fileUsesOneZero: boolean },
  drops: BulkDrops,
): Promise<void> {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: with no sex-0 row the statements below change nothing
  if (sexZero.rows > 0) {
    const zero = `ma_so_bhxh IN (SELECT ma_so_bhxh FROM staging WHERE sex_code = '0')`;
    await tx.query(
      sexZero.fileUsesOneZero
        ? `UPDATE participant SET gioi_tinh = 'F', src_hash = src_hash || $1::text WHERE ${zero}`
        : `UPDATE participant SET findings = findings || '[{"field":"sex","code":"invalid","value":"0"}]'::jsonb,
                                  src_hash = src_hash || $1::text WHERE ${zero}`,
      [sexZeroSuffix(sexZero.fileUsesOneZero)],
    );
  }
  await upsertUnits(tx, 'staging', now);
  // Stryker disable next-line StringLiteral: a memory setting for the index builds: the same indexes
  await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  for (const ix of drops.indexes) {
    await tx.query(ix.conname ? `ALTER TABLE ${ix.tbl} ADD CONSTRAINT ${ix.conname} ${ix.condef}` : ix.def);
  }
  // Their tables are empty (they refer to participant, which was): nothing to check.
  for (const fk of drops.foreignKeys) await tx.query(`ALTER TABLE ${fk.tbl} ADD CONSTRAINT ${fk.conname} ${fk.condef}`);
  // Stryker disable next-line StringLiteral: the import drops staging right after (import-participants.ts), rows and all
  await tx.query('TRUNCATE staging');
}
