// A batch's first share steps start while share_record is empty, and other steps fill it as they run: the look-up
// of what was shared already must be an index probe, not a scan of the whole table for every candidate
// (src/db/shares.ts, shareCandidates).
import { describe, expect, it } from 'vitest';
import { shareCandidates, type ShareCandidate } from '../../src/db/shares.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const PEOPLE: ParticipantInput[] = Array.from({ length: 200 }, (_, k) => ({
  ma_so_bhxh: `01000${String(k + 1).padStart(5, '0')}`, ho_ten: `Nguyễn Văn Số ${k + 1}`, ngay_sinh: '01/01/1990', gioi_tinh: 'Nam',
  so_giay_to: `0123${String(k + 1).padStart(5, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01',
}));

describe('the share step, looking up what was shared already', () => {
  it('probes share_record by its key while the table is still empty, as at the start of a first batch', async () => {
    const { db } = database();
    await importParticipants(deps(db), await writeParticipants(await useTempDir(), PEOPLE));
    // The planner's picture at that moment: everyone still PENDING (statistics taken before the write phase), and
    // share_record known to be empty (migration 0022 analyses it on a new database).
    await db.query('ANALYZE participant, share_record');
    await db.query(`UPDATE participant SET status = 'MATCHED', so_ddcn = '0010900' || right(ma_so_bhxh, 5)`);
    const [before] = await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM share_record');
    expect(before!.n).toBe(0);

    const read: ShareCandidate[] = [];
    const scans = await db.withSession(async (session) => {
      // This backend's own counts, not yet flushed to the shared statistics: read before and after.
      const count = async () =>
        (await rows<{ seq: number; idx: number }>(session, `SELECT seq_scan::int AS seq, idx_scan::int AS idx FROM pg_stat_xact_user_tables WHERE relname = 'share_record'`))[0]!;
      await session.query('BEGIN');
      const before = await count();
      for await (const c of shareCandidates(session, null, { after: '0100000010', upTo: '0100000150' })) read.push(c);
      const after = await count();
      // The session goes back to the pool as it came: sequential scans allowed again.
      const [setting] = await rows<{ enable_seqscan: string }>(session, 'SHOW enable_seqscan');
      await session.query('ROLLBACK');
      return { seq: after.seq - before.seq, idx: after.idx - before.idx, seqscanAfter: setting!.enable_seqscan };
    });
    expect(read.length).toBe(140);
    expect(scans.seq).toBe(0);
    expect(scans.idx).toBeGreaterThan(0);
    expect(scans.seqscanAfter).toBe('on');
  });
});
