import type { Queryable } from './pool.js';
import { CopyWriter } from './copy-text.js';
import { NEEDS_VERIFICATION, type ChunkRange } from './batches.js';
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

export interface ChunkArgs extends ChunkRange {
  now: Date;
}

/**
 * The verify step's write: the chunk's outcomes into `verification` by COPY — the cheapest way PostgreSQL takes
 * ten thousand rows. Nothing else is written until every chunk is verified and the conflicts are settled over the
 * whole batch (settleConflicts): until then nobody's number changes, so the order of the chunks cannot matter.
 */
export async function storeOutcomes(tx: Queryable, args: ChunkArgs & { outcomes: Outcome[] }): Promise<void> {
  const at = args.now.toISOString();
  const copy = new CopyWriter(
    tx.copyIn('COPY verification (batch_id, ma_so_bhxh, chunk_no, data_version, so_giay_to, status, fields, so_ddcn, detail, verified_at) FROM STDIN'),
  );
  for (const x of args.outcomes) {
    const wait = copy.row([
      args.batchId, x.maSoBhxh, args.chunkNo, x.dataVersion, x.soGiayTo, x.status, arrayLiteral(x.fields), x.soDdcn,
      x.detail ? JSON.stringify(x.detail) : null, at,
    ]);
    if (wait) await wait;
  }
  await copy.end();
}

/** The outcome counts of a chunk's people after settlement, for batch_chunk. */
export async function chunkCounts(tx: Queryable, args: ChunkRange): Promise<Record<string, number>> {
  const res = await tx.query<Record<string, number>>(
    `SELECT count(*) FILTER (WHERE status = 'MATCHED')::int AS n_matched,
            count(*) FILTER (WHERE status = 'MISMATCHED')::int AS n_mismatched,
            count(*) FILTER (WHERE status = 'MISSING_ID')::int AS n_missing,
            count(*) FILTER (WHERE status = 'CONFLICT')::int AS n_conflict,
            count(*) FILTER (WHERE status = 'PENDING')::int AS n_pending
       FROM verification
      WHERE batch_id = $1::bigint AND ma_so_bhxh BETWEEN $3::text AND $4::text AND chunk_no = $2::int`,
    [args.batchId, args.chunkNo, args.keyFrom, args.keyTo],
  );
  return res.rows[0]!;
}

/** The write step of one chunk (Plan I.3), after the conflicts are settled. */
export async function writeChunk(tx: Queryable, args: ChunkArgs): Promise<void> {
  // Stryker disable next-line ArrayDeclaration: a party code that names nobody adds nobody to the chunk's own people
  await writeOutcomes(tx, args, { chunk: true, parties: [] });
}

/** Conflict parties from outside the batch (holders of a contested number), written as settlement decides them. */
export async function writeParties(tx: Queryable, args: { batchId: number; now: Date }, parties: string[]): Promise<void> {
  // Stryker disable next-line UnaryOperator,StringLiteral,BooleanLiteral,ConditionalExpression: an empty list writes nobody, and the chunk number and key range select no chunk's people either way (the parties are written by key)
  if (parties.length) await writeOutcomes(tx, { ...args, chunkNo: -1, keyFrom: '', keyTo: '' }, { chunk: false, parties });
}

/**
 * Plan I.3 from the stored outcomes, of the chunk's own people or of named conflict parties: write the
 * ĐDCN in place of the number on file, the old one into number_history, and set every person's current outcome —
 * unless the registry failed for someone who has an outcome already (KEEPS_LAST_OUTCOME), or their data changed
 * since the export: the next run verifies the new data, and the stored outcome is
 * marked as never applied (Mẫu 03 reads outcomes as of a date from `verification`). One join of participant,
 * only while the data is still what was exported (same data_version, so the number on file is still the one
 * sent). Only when fewer people were updated than outcomes stored are the others looked for, in a statement of
 * their own.
 */
async function writeOutcomes(tx: Queryable, args: ChunkArgs, who: { chunk: boolean; parties: string[] }): Promise<void> {
  const mine = `x.batch_id = $1::bigint
         AND (($6::boolean AND x.ma_so_bhxh BETWEEN $3::text AND $4::text AND x.chunk_no = $2::int) OR x.ma_so_bhxh = ANY($5::text[]))`;
  const params = [args.batchId, args.chunkNo, args.keyFrom, args.keyTo, who.parties, who.chunk];
  // The people are updated in code order, as an import locks its chunk's (upsertStagedParticipants): taken in the
  // order the outcomes were stored (as the registry's answers came back), an import holding one of them while waiting
  // for another the update held deadlocked with it (one of the two rolled back). The outcomes come sorted and the
  // join is a nested loop (or a merge join) over them, never a hash join, whose order would be the table's: the
  // rows are locked as they are joined. A SELECT … ORDER BY … FOR NO KEY UPDATE before the update did the same at
  // the cost of every row locked twice: the 1 M benchmark's run 3–5 s slower (about 10 %).
  // Stryker disable next-line StringLiteral: at a chunk's size the planner joins by a nested loop anyway (the deadlock test passes without it); the setting keeps it so whatever the statistics say
  await tx.query('SET LOCAL enable_hashjoin = off');
  const res = await tx.query<{ n: number; stored: number }>(
    `WITH updated AS (
       UPDATE participant p SET
         status = x.status,
         status_fields = x.fields,
         so_ddcn = CASE WHEN x.status = 'MATCHED' THEN x.so_ddcn END,
         so_giay_to = CASE WHEN x.status = 'MATCHED' THEN x.so_ddcn ELSE p.so_giay_to END,
         verified_version = CASE WHEN x.status = 'PENDING' THEN p.verified_version ELSE x.data_version END,
         verified_at = x.verified_at,
         last_batch_id = x.batch_id
       FROM (SELECT * FROM verification x WHERE ${mine} ORDER BY x.ma_so_bhxh) x
       WHERE p.ma_so_bhxh = x.ma_so_bhxh AND p.data_version = x.data_version AND NOT ${KEEPS_LAST_OUTCOME}
       RETURNING p.ma_so_bhxh, x.so_giay_to AS old_number, x.status, x.so_ddcn
     ), replaced AS (
       INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
       SELECT ma_so_bhxh, old_number, so_ddcn, 'registry', $1::bigint, $7::timestamptz
         FROM updated WHERE status = 'MATCHED' AND old_number IS NOT NULL AND old_number <> so_ddcn
       -- A row the import left for the number (the export replaced it once; db/participants.ts) gives way: kept, the
       -- next export giving that number would not find it replaced by the registry, and would overwrite the ĐDCN.
       ON CONFLICT (ma_so_bhxh, so_cu) DO UPDATE SET so_moi = EXCLUDED.so_moi, source = EXCLUDED.source, batch_id = EXCLUDED.batch_id,
                                                  changed_at = EXCLUDED.changed_at
        WHERE number_history.source = 'import'
     )
     SELECT (SELECT count(*) FROM updated)::int AS n,
            (SELECT count(*) FROM verification x WHERE ${mine})::int AS stored`,
    [...params, args.now],
  );
  // Stryker disable next-line StringLiteral: the setting ends with the transaction anyway; reset so that the statements after it plan as usual
  await tx.query('RESET enable_hashjoin');
  // Stryker disable next-line ConditionalExpression: a shortcut: when every stored outcome was applied, the statement below finds no changed data to mark
  if (res.rows[0]!.n === res.rows[0]!.stored) return;
  // Exact, though imports may run meanwhile: the people just updated stay locked until this transaction ends,
  // and the others' data_version had moved on already (it only grows), or they kept their last outcome — and an
  // import changing one of those since the update moved their data_version on too.
  await tx.query(
    `UPDATE verification x SET applied = false FROM participant p
      WHERE ${mine} AND p.ma_so_bhxh = x.ma_so_bhxh AND (p.data_version <> x.data_version OR ${KEEPS_LAST_OUTCOME})`,
    params,
  );
}

/**
 * A failed request (outcome `PENDING`) for someone who has an outcome already — a person whose unit's correction
 * waits for verification, kept on Mẫu 02 with "Đã nhận điều chỉnh …", or a MATCHED person asked again because their
 * name changed only in capitals: the registry decided nothing, so nothing of theirs is written. They keep their last
 * outcome, number and list until a run verifies their data (their verified_version stays behind, so every run asks
 * again), and the outcome row is marked not applied, which is how Mẫu 03 and the run's count of the people the
 * registry failed for (db/batches.ts, LEFT_UNVERIFIED) know it. Written over them, PENDING took a corrected person off
 * the unit's Mẫu 02 — the latest list no longer held them, and an older copy returned was refused as not the latest.
 */
const KEEPS_LAST_OUTCOME = `(x.status = 'PENDING' AND p.status <> 'PENDING')`;

/** A PostgreSQL array literal of plain words, for COPY text format. */
// Stryker disable next-line Regex,StringLiteral: the words are field names (name, dob, sex, id_number): none holds a quote or a backslash
const arrayLiteral = (words: readonly string[]): string => `{${words.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
