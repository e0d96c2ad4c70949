// A run's write step and an import of participants at the same time, on the same people: the import locks its
// chunk's people in code order (upsertStagedParticipants); the write step must take its chunk's people in the same
// order, or the two deadlock and one of them is rolled back (the night's import, or the chunk's write).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { storeOutcomes, writeChunk } from '../../src/db/verifications.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, FIXED_NOW, rows, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const PERSON: Omit<ParticipantInput, 'ma_so_bhxh'> = {
  ngay_sinh: '1985', gioi_tinh: 'Nữ', ma_don_vi: 'DV0790002', ten_don_vi: 'Công ty Hoa Lan', ma_tinh: '079', ma_huyen: '760',
};
const LOW: ParticipantInput = { ...PERSON, ma_so_bhxh: '0790000001', ho_ten: 'Người Một', so_giay_to: '023456701' };
const HIGH: ParticipantInput = { ...PERSON, ma_so_bhxh: '0790000002', ho_ten: 'Người Hai', so_giay_to: '023456702' };

/** Polls until `n` other sessions of the database wait for a lock. */
async function untilWaiting(client: pg.Client, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    if (r.rows[0].n >= n) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`never ${n} sessions waiting for a lock`);
}

describe('the write step meets an import', () => {
  it('does not deadlock with an import of the same people when its outcomes were stored out of code order', async () => {
    const { db, url } = database();
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, [LOW, HIGH], 'first.csv'));
    // A batch whose outcomes came back out of code order (the registry's answers arrive as they come).
    const batchId = await db.withTransaction(async (tx) => {
      const opened = (await openBatch(tx, { registry: 'mock', province: null, chunkSize: 10, maxInFlight: null, now: FIXED_NOW }))!;
      await storeOutcomes(tx, {
        batchId: opened.batch.id, chunkNo: 0, keyFrom: LOW.ma_so_bhxh, keyTo: HIGH.ma_so_bhxh, now: FIXED_NOW,
        outcomes: [HIGH, LOW].map((p) => ({
          maSoBhxh: p.ma_so_bhxh, dataVersion: 1, soGiayTo: p.so_giay_to!, status: 'MISMATCHED' as const, fields: ['name' as const],
          soDdcn: null, detail: null,
        })),
      });
      return opened.batch.id;
    });
    // The night's export: both e-mails changed.
    const night = await writeParticipants(dir, [LOW, HIGH].map((p) => ({ ...p, email: `${p.ma_so_bhxh}@example.org` })), 'night.csv');

    const holder = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await holder.connect();
    await watcher.connect();
    try {
      // Some other session holds the higher code a moment: the write step waits for it first, then the import.
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM participant WHERE ma_so_bhxh = $1 FOR UPDATE`, [HIGH.ma_so_bhxh]);
      const writing = db.withTransaction((tx) =>
        writeChunk(tx, { batchId, chunkNo: 0, keyFrom: LOW.ma_so_bhxh, keyTo: HIGH.ma_so_bhxh, now: FIXED_NOW }));
      await untilWaiting(watcher, 1);
      const importing = importParticipants(deps(db), night, `${night}.rejects.csv`);
      await untilWaiting(watcher, 2);
      await holder.query('ROLLBACK');
      const [w, i] = await Promise.allSettled([writing, importing]);
      expect(w.status === 'rejected' ? String(w.reason) : 'written').toBe('written');
      expect(i.status === 'rejected' ? String(i.reason) : 'imported').toBe('imported');
    } finally {
      await holder.end();
      await watcher.end();
    }
    expect(await rows(db, `SELECT ma_so_bhxh, email, status FROM participant ORDER BY 1`)).toEqual([
      { ma_so_bhxh: LOW.ma_so_bhxh, email: `${LOW.ma_so_bhxh}@example.org`, status: 'MISMATCHED' },
      { ma_so_bhxh: HIGH.ma_so_bhxh, email: `${HIGH.ma_so_bhxh}@example.org`, status: 'MISMATCHED' },
    ]);
  });
});
