// A batch's first share steps start while share_record is empty (and analysed so), and other steps fill it as they
// run: what was shared already must be looked up by share_record's key, or read once, never scanned whole for every
// candidate (src/db/shares.ts, shareCandidatesQuery).
import { describe, expect, it } from 'vitest';
import { shareCandidates, shareCandidatesQuery, shareRecordSize, SMALL_SHARE_RECORD, type ShareCandidate } from '../../src/db/shares.js';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const PEOPLE: ParticipantInput[] = Array.from({ length: 200 }, (_, k) => ({
  ma_so_bhxh: `01000${String(k + 1).padStart(5, '0')}`, ho_ten: `Nguyễn Văn Số ${k + 1}`, ngay_sinh: '01/01/1990', gioi_tinh: 'Nam',
  so_giay_to: `0123${String(k + 1).padStart(5, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01',
}));

/**
 * The database as a first batch's share phase finds it: everyone matched, though the planner's statistics are still
 * those of before the write phase (all PENDING), and share_record empty and known to be (migration 0022 analyses it
 * on a new database).
 */
async function firstSharePhase(): Promise<Db> {
  const { db } = database();
  await importParticipants(deps(db), await writeParticipants(await useTempDir(), PEOPLE));
  await db.query('ANALYZE participant, share_record');
  await db.query(`UPDATE participant SET status = 'MATCHED', so_ddcn = '0010900' || right(ma_so_bhxh, 5)`);
  return db;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** Every node that reads share_record, with the node types above it. */
async function shareRecordReads(db: Db, range: { after: string | null; upTo: string | null }): Promise<Array<{ node: PlanNode; above: string[] }>> {
  const { setting, select } = shareCandidatesQuery(null, range, await shareRecordSize(db));
  const plan = await db.withSession(async (session) => {
    if (setting) await session.query(`SET ${setting} = off`);
    const [r] = await rows<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(session, `EXPLAIN (FORMAT JSON) ${select}`);
    if (setting) await session.query(`RESET ${setting}`);
    return r!['QUERY PLAN'][0]!.Plan;
  });
  const found: Array<{ node: PlanNode; above: string[] }> = [];
  const walk = (node: PlanNode, above: string[]) => {
    if (node['Relation Name'] === 'share_record') found.push({ node, above });
    for (const child of node.Plans ?? []) walk(child, [...above, node['Node Type']]);
  };
  walk(plan, []);
  return found;
}

/** One index probe per candidate, and the planner's own look at the index's ends for its estimates (a few). */
const probes = (candidates: number) => expect.toSatisfy((n: number) => n >= candidates && n <= candidates + 4);

/**
 * Streams the candidates of `range` as the share step does, counting this backend's scans of share_record (its own
 * counts, not yet flushed to the shared statistics: read before and after), and the planner settings left after.
 */
async function stream(db: Db, range: { after: string | null; upTo: string | null }) {
  const read: ShareCandidate[] = [];
  const scans = await db.withSession(async (session) => {
    const count = async () =>
      (await rows<{ seq: number; idx: number }>(session, `SELECT seq_scan::int AS seq, idx_scan::int AS idx FROM pg_stat_xact_user_tables WHERE relname = 'share_record'`))[0]!;
    await session.query('BEGIN');
    const before = await count();
    for await (const c of shareCandidates(session, null, range)) read.push(c);
    const after = await count();
    const [settings] = await rows<{ seqscan: string; nestloop: string }>(
      session,
      `SELECT current_setting('enable_seqscan') AS seqscan, current_setting('enable_nestloop') AS nestloop`,
    );
    await session.query('ROLLBACK');
    return { seq: after.seq - before.seq, idx: after.idx - before.idx, ...settings! };
  });
  return { read, scans };
}

describe('the share step, looking up what was shared already', () => {
  it('probes share_record by the candidate\'s key in a chunk of a batch, however empty the table looked', async () => {
    const db = await firstSharePhase();
    for (const range of [{ after: '0100000010', upTo: '0100000150' }, { after: null, upTo: '0100000150' }, { after: '0100000010', upTo: null }]) {
      const reads = await shareRecordReads(db, range);
      expect(reads.length).toBe(1);
      expect(reads[0]!.node['Index Cond']).toMatch(/ma_so_bhxh = p\.ma_so_bhxh.*so_ddcn = p\.so_ddcn/);
    }
  });

  it('reads share_record once when one step shares the whole scope (a batch of one chunk)', async () => {
    const db = await firstSharePhase();
    const reads = await shareRecordReads(db, { after: null, upTo: null });
    expect(reads.length).toBe(1);
    expect(reads[0]!.above).not.toContain('Nested Loop');
  });

  it('streams a chunk\'s candidates with no scan of share_record, and gives the session back as it came', async () => {
    const db = await firstSharePhase();
    const { read, scans } = await stream(db, { after: '0100000010', upTo: '0100000150' });
    expect(read.length).toBe(140);
    expect(read[0]).toEqual({ maSoBhxh: expect.stringMatching(/^01000\d{5}$/), soDdcn: expect.stringMatching(/^0010900\d{5}$/), vssid: false });
    expect(scans).toEqual({ seq: 0, idx: probes(140), seqscan: 'on', nestloop: 'on' });
  });

  it('shares the whole scope by probes of share_record\'s key once it holds past batches, not by reading all of it', async () => {
    const db = await firstSharePhase();
    // Past batches' records of other people: ~150 000, beyond the size up to which the whole of it is hashed.
    await db.query(
      `INSERT INTO share_record (ma_so_bhxh, so_ddcn, batch_id, shared_at)
       SELECT '8' || lpad(i::text, 9, '0'), '8' || lpad(i::text, 11, '0'), 1, now() FROM generate_series(1, 150000) i`,
    );
    await db.query('ANALYZE share_record');
    expect(await shareRecordSize(db)).toBeGreaterThan(SMALL_SHARE_RECORD);
    const { read, scans } = await stream(db, { after: null, upTo: null });
    expect(read.length).toBe(200);
    expect(scans).toEqual({ seq: 0, idx: probes(200), seqscan: 'on', nestloop: 'on' });
  });
});
