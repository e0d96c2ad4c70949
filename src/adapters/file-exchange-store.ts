// The file exchange's bookkeeping (migrations/0003_file_exchange.sql): requests written, who was in them, answers.
import type { Queryable } from '../db/pool.js';
import { NEEDS_VERIFICATION } from '../db/batches.js';
import type { Field, Sex } from '../domain/types.js';
import type { VerifyAnswer } from './types.js';

/** `refused`: an answer file naming it was refused; its people are sent again (migration 0024). */
export type RequestState = 'outstanding' | 'answered' | 'refused';

export interface LatestItem {
  maSoBhxh: string;
  fingerprint: string;
  state: RequestState;
  createdAt: Date;
}

interface ItemRow {
  code: string;
  matched: boolean | null;
  so_ddcn: string | null;
  fields: Field[] | null;
  registry: { hoTen?: string; ngaySinh?: string; gioiTinh?: Sex } | null;
}

/** Each person's most recent request item: only that one can hold them back from sending (see answersFor). */
export async function latestItems(q: Queryable, codes: string[]): Promise<Map<string, LatestItem>> {
  const res = await q.query<{ code: string; fingerprint: string; state: RequestState; created_at: Date }>(
    `SELECT DISTINCT ON (i.ma_so_bhxh) i.ma_so_bhxh AS code, i.fingerprint, r.state, r.created_at
       FROM exchange_item i JOIN exchange_request r ON r.id = i.request_id
      WHERE i.ma_so_bhxh = ANY($1::text[])
      ORDER BY i.ma_so_bhxh, i.request_id DESC`,
    [codes],
  );
  return new Map(res.rows.map((r) => [r.code, { maSoBhxh: r.code, fingerprint: r.fingerprint, state: r.state, createdAt: r.created_at }]));
}

/**
 * For each person, the registry's answer to the data they have now (`fingerprint`): the latest answer to a request
 * that carried exactly that data, sent since their data last differed. Not only their latest request's: a request
 * sent again after the resend delay leaves the first one outstanding, and a late answer to it answers the same
 * data. An answer from before a change of data (A, then B, then A again) is not taken: the registry may have
 * changed meanwhile too.
 */
export async function answersFor(q: Queryable, people: Array<{ code: string; fingerprint: string }>): Promise<Map<string, VerifyAnswer>> {
  const res = await q.query<ItemRow>(
    `SELECT u.code, a.matched, a.so_ddcn, a.fields, a.registry
       FROM unnest($1::text[], $2::text[]) AS u(code, fp)
       CROSS JOIN LATERAL (
         SELECT i.matched, i.so_ddcn, i.fields, i.registry
           FROM exchange_item i JOIN exchange_request r ON r.id = i.request_id
          WHERE i.ma_so_bhxh = u.code AND i.fingerprint = u.fp AND r.state = 'answered' AND i.matched IS NOT NULL
            AND i.request_id > coalesce((SELECT max(o.request_id) FROM exchange_item o WHERE o.ma_so_bhxh = u.code AND o.fingerprint <> u.fp), 0)
          ORDER BY i.request_id DESC LIMIT 1) a`,
    [people.map((p) => p.code), people.map((p) => p.fingerprint)],
  );
  return new Map(res.rows.map((r) => [r.code, answerOf(r)]));
}

function answerOf(r: Pick<ItemRow, 'code' | 'matched' | 'so_ddcn' | 'fields' | 'registry'>): VerifyAnswer {
  // Stryker disable next-line ArrayDeclaration: recordAnswers sets fields with matched, for every item of an answered request
  const answer: VerifyAnswer = { requestId: r.code, matched: r.matched!, soDdcn: r.so_ddcn, fields: r.fields ?? [] };
  if (r.registry) answer.registry = r.registry;
  return answer;
}

export async function nextRequestId(q: Queryable): Promise<number> {
  const res = await q.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('exchange_request', 'id'))::bigint AS id`);
  return res.rows[0]!.id;
}

export async function recordRequest(
  tx: Queryable,
  args: { id: number; fileName: string; checksum: string; now: Date; items: Array<{ code: string; fingerprint: string }> },
): Promise<void> {
  await tx.query(
    `INSERT INTO exchange_request (id, file_name, checksum, people, state, created_at)
     VALUES ($1::bigint, $2::text, $3::text, $4::int, 'outstanding', $5::timestamptz)`,
    [args.id, args.fileName, args.checksum, args.items.length, args.now],
  );
  await tx.query(
    `INSERT INTO exchange_item (request_id, ma_so_bhxh, fingerprint)
     SELECT $1::bigint, u.code, u.fp FROM unnest($2::text[], $3::text[]) AS u(code, fp)`,
    [args.id, args.items.map((i) => i.code), args.items.map((i) => i.fingerprint)],
  );
}

export interface RequestRecord {
  id: number;
  fileName: string;
  checksum: string;
  state: RequestState;
  answerChecksum: string | null;
  codes: string[];
}

export async function requestByFile(q: Queryable, fileName: string): Promise<RequestRecord | null> {
  const res = await q.query<RequestRecord>(
    `SELECT r.id, r.file_name AS "fileName", r.checksum, r.state, r.answer_checksum AS "answerChecksum",
            array(SELECT i.ma_so_bhxh FROM exchange_item i WHERE i.request_id = r.id ORDER BY 1) AS codes
       FROM exchange_request r WHERE r.file_name = $1::text`,
    [fileName],
  );
  return res.rows[0] ?? null;
}

/**
 * The file of the outstanding request with this checksum (the latest, should two requests have asked exactly the
 * same: their answers are the same), or null.
 */
export async function outstandingRequestByChecksum(q: Queryable, checksum: string): Promise<string | null> {
  const res = await q.query<{ f: string }>(
    `SELECT file_name AS f FROM exchange_request WHERE checksum = $1::text AND state = 'outstanding' ORDER BY id DESC LIMIT 1`,
    [checksum],
  );
  return res.rows[0]?.f ?? null;
}

export async function knownFiles(q: Queryable, fileNames: string[]): Promise<Set<string>> {
  const res = await q.query<{ f: string }>('SELECT file_name AS f FROM exchange_request WHERE file_name = ANY($1::text[])', [fileNames]);
  return new Set(res.rows.map((r) => r.f));
}

/** A request whose answer file was refused: nobody waits for it any more; its people are sent again. */
export async function markRefused(q: Queryable, requestId: number): Promise<void> {
  await q.query(`UPDATE exchange_request SET state = 'refused' WHERE id = $1::bigint AND state = 'outstanding'`, [requestId]);
}

/** Stores the answers of one request and marks it answered, in the caller's transaction. */
export async function recordAnswers(
  tx: Queryable,
  args: { requestId: number; answerFile: string; answerChecksum: string; now: Date; answers: VerifyAnswer[] },
): Promise<void> {
  const a = args.answers;
  await tx.query(
    `UPDATE exchange_item i SET matched = u.matched, so_ddcn = u.ddcn,
            fields = CASE WHEN u.fields = '' THEN '{}'::text[] ELSE string_to_array(u.fields, ';') END, registry = u.registry
       FROM unnest($2::text[], $3::boolean[], $4::text[], $5::text[], $6::jsonb[]) AS u(code, matched, ddcn, fields, registry)
      WHERE i.request_id = $1::bigint AND i.ma_so_bhxh = u.code`,
    [
      args.requestId, a.map((x) => x.requestId), a.map((x) => x.matched), a.map((x) => x.soDdcn), a.map((x) => x.fields.join(';')),
      // Stryker disable next-line ConditionalExpression: JSON.stringify(undefined) is stored as NULL like null, and answerFromRow never makes an empty registry object
      a.map((x) => (x.registry && Object.keys(x.registry).length ? JSON.stringify(x.registry) : null)),
    ],
  );
  await tx.query(
    `UPDATE exchange_request SET state = 'answered', answered_at = $2::timestamptz, answer_file = $3::text, answer_checksum = $4::text
      WHERE id = $1::bigint`,
    [args.requestId, args.now, args.answerFile, args.answerChecksum],
  );
}

/**
 * Who waits for the registry's answers: people not verified yet (of a province, or all: PENDING, or keeping their
 * last outcome meanwhile, db/verifications.ts KEEPS_LAST_OUTCOME) whose latest request is outstanding
 * and younger than the resend delay (`since`), and the oldest such request. Each person against their latest
 * request only: one sent again (after the resend delay, or because their data changed) is what they wait on, not
 * the first, whose answer may never come.
 */
export async function awaitingAnswers(
  q: Queryable,
  args: { since: Date; province: string | null },
): Promise<{ people: number; kept: number; oldest: { file: string; createdAt: Date } | null }> {
  const res = await q.query<{ people: number; kept: number; file: string | null; created_at: Date | null }>(
    `WITH latest AS (
       SELECT DISTINCT ON (i.ma_so_bhxh) i.ma_so_bhxh, i.request_id, p.status <> 'PENDING' AS kept
         FROM exchange_item i JOIN participant p ON p.ma_so_bhxh = i.ma_so_bhxh AND ${NEEDS_VERIFICATION}
        WHERE $2::text IS NULL OR p.ma_tinh = $2::text
        ORDER BY i.ma_so_bhxh, i.request_id DESC
     ), waiting AS (
       SELECT r.file_name, r.created_at, r.id, l.kept FROM latest l JOIN exchange_request r ON r.id = l.request_id
        WHERE r.state = 'outstanding' AND r.created_at > $1::timestamptz
     )
     SELECT (SELECT count(*) FROM waiting)::int AS people, (SELECT count(*) FILTER (WHERE kept) FROM waiting)::int AS kept,
            o.file_name AS file, o.created_at
       FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT file_name, created_at FROM waiting ORDER BY created_at, id LIMIT 1) o ON true`,
    [args.since, args.province],
  );
  const r = res.rows[0]!;
  return { people: r.people, kept: r.kept, oldest: r.file && r.created_at ? { file: r.file, createdAt: r.created_at } : null };
}
