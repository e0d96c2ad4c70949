import type { Queryable } from './pool.js';
import { CopyWriter } from './copy-text.js';
import { NEEDS_VERIFICATION, type ChunkRange } from './batches.js';
import { heldByOthers, resolveChunkConflicts } from './conflicts.js';
import type { ExportedPerson, Outcome } from '../domain/outcome.js';

export type { ExportedPerson, Outcome } from '../domain/outcome.js';

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

export type { ChunkRange } from './batches.js';

export type ChunkArgs = ChunkRange & { now: Date; outcomes: Outcome[] };

/** What prepareChunk found out; applyChunk finishes from here. */
export interface PreparedChunk {
  matched: Outcome[];
  /** A number matched twice in the chunk, or one on file for someone else when the chunk was prepared. */
  contested: boolean;
}

/** What an applied chunk changed that the chunk after it must take into account. */
export interface AppliedChunk {
  conflicts: number;
  /** Personal numbers this chunk put on file. */
  assigned: Set<string>;
}

/**
 * One chunk, in the caller's transaction, so that it is all there or not at all: prepareChunk, then applyChunk.
 */
export async function recordChunk(tx: Queryable, args: ChunkArgs): Promise<AppliedChunk> {
  return applyChunk(tx, args, await prepareChunk(tx, args), null);
}

/**
 * The first half of a chunk's transaction, which may run while the chunk before it is still being applied (their
 * people are distinct): store every outcome (history), skipping people this batch already decided (a conflict
 * party from an earlier chunk); look for conflicts with what is on file so far; then Plan I.3 for the chunk's own
 * people (writeOutcomes).
 */
export async function prepareChunk(tx: Queryable, args: ChunkArgs): Promise<PreparedChunk> {
  const stored = await storeOutcomes(tx, args);
  const matched = stored.filter((x) => x.status === 'MATCHED');
  const duplicate = new Set(matched.map((x) => x.soDdcn)).size < matched.length;
  const contested = duplicate || (await heldByOthers(tx, matched));
  await writeOutcomes(tx, args, { chunk: true, parties: [], stored: stored.length });
  return { matched, contested };
}

/**
 * The second half, strictly after the chunk before it committed: resolve conflicts (resolveChunkConflicts) — when
 * prepareChunk found one, or when the chunk committed since (`before`) put one of our numbers on file or resolved
 * conflicts of its own — and write the parties' outcome; then mark the chunk done with its counts. A party of
 * this chunk that was given its number a moment ago has it taken back like any holder from earlier in the batch.
 */
export async function applyChunk(tx: Queryable, args: ChunkArgs, prep: PreparedChunk, before: AppliedChunk | null): Promise<AppliedChunk> {
  let contested = prep.contested;
  if (!contested && before) {
    contested = before.conflicts > 0 ? await heldByOthers(tx, prep.matched) : prep.matched.some((x) => before.assigned.has(x.soDdcn!));
  }
  const parties = contested ? await resolveChunkConflicts(tx, args) : [];
  if (parties.length) await writeOutcomes(tx, args, { chunk: false, parties, stored: parties.length });
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
  const party = new Set(parties);
  return {
    conflicts: parties.length,
    assigned: new Set(prep.matched.filter((x) => !party.has(x.maSoBhxh)).map((x) => x.soDdcn!)),
  };
}

/**
 * Plan I.3 from the stored outcomes, of the chunk's own people or of named conflict parties: write the
 * ĐDCN in place of the number on file, the old one into number_history, and set every person's current outcome —
 * unless their data changed since the export: the next run verifies the new data, and the stored outcome is
 * marked as never applied (Mẫu 03 reads outcomes as of a date from `verification`). One join of participant,
 * only while the data is still what was exported (same data_version, so the number on file is still the one
 * sent). `stored`: how many outcomes are being written; only when fewer people were updated are the others
 * looked for, in a statement of their own.
 */
async function writeOutcomes(tx: Queryable, args: ChunkArgs, who: { chunk: boolean; parties: string[]; stored: number }): Promise<void> {
  const mine = `x.batch_id = $1::bigint
         AND (($6::boolean AND x.ma_so_bhxh BETWEEN $3::text AND $4::text AND x.chunk_no = $2::int) OR x.ma_so_bhxh = ANY($5::text[]))`;
  const params = [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, who.parties, who.chunk];
  const res = await tx.query<{ n: number }>(
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
       WHERE ${mine} AND p.ma_so_bhxh = x.ma_so_bhxh AND p.data_version = x.data_version
       RETURNING p.ma_so_bhxh, x.so_giay_to AS old_number, x.status, x.so_ddcn
     ), replaced AS (
       INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
       SELECT ma_so_bhxh, old_number, so_ddcn, 'registry', $1::bigint, $7::timestamptz
         FROM updated WHERE status = 'MATCHED' AND old_number IS NOT NULL AND old_number <> so_ddcn
       ON CONFLICT (ma_so_bhxh, so_cu) DO NOTHING
     )
     SELECT count(*)::int AS n FROM updated`,
    [...params, args.now],
  );
  if (res.rows[0]!.n === who.stored) return;
  // Exact, though imports may run meanwhile: the people just updated stay locked until this transaction ends,
  // and the others' data_version had moved on already (it only grows).
  await tx.query(
    `UPDATE verification x SET applied = false FROM participant p
      WHERE ${mine} AND p.ma_so_bhxh = x.ma_so_bhxh AND p.data_version <> x.data_version`,
    params,
  );
}

/** A PostgreSQL array literal of plain words, for COPY text format. */
const arrayLiteral = (words: readonly string[]): string => `{${words.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/**
 * Step 1 of prepareChunk: the chunk's outcomes into `verification` by COPY — the cheapest way PostgreSQL takes
 * ten thousand rows. COPY has no ON CONFLICT, so the few people this batch already decided (conflict parties
 * named by an earlier chunk, whose rows carry that chunk's number) are looked up first and left out.
 */
async function storeOutcomes(tx: Queryable, args: ChunkArgs): Promise<Outcome[]> {
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

