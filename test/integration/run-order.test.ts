// Settlement independent of order: whichever worker takes which chunk, in whatever order, with jobs delivered
// twice, a batch ends in the same state — and in the state fixtures/expected-results.csv says (an oracle written
// by hand, not by the run's code). Conflicts are decided over the whole batch, whatever the order of their parties.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import type { RunConfig } from '../../src/pipeline/deps.js';
import { driveBatch, seededOrder } from '../helpers/chunk-order.js';
import {
  deps, exportedResults, mockRegistry, parseCsv, resetDatabase, rows, runDeps, databasePerFile, useTempDir, writeParticipants,
  writeRegistry, type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const CONFIG: RunConfig = { chunkSize: 60, batchSize: 20, concurrency: 2 };
const ORDERS = 20;
const SEED = 22070012;

async function endState(db: Db, dir: string) {
  return {
    results: (await exportedResults(deps(db), dir)).text,
    participants: await rows(db, 'SELECT ma_so_bhxh, so_giay_to, so_ddcn, status, status_fields, verified_version FROM participant ORDER BY 1'),
    history: await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source, batch_id FROM number_history ORDER BY 1, 2'),
    shares: await rows(db, 'SELECT ma_so_bhxh, so_ddcn, batch_id FROM share_record ORDER BY 1, 2'),
    verifications: await rows(db, 'SELECT ma_so_bhxh, chunk_no, status, fields, so_ddcn, detail, applied FROM verification ORDER BY 1'),
    chunks: await rows(db, 'SELECT chunk_no, n_read, n_matched, n_mismatched, n_missing, n_conflict, n_pending, n_shared FROM batch_chunk ORDER BY 1'),
    batch: await rows(db, 'SELECT phase, chunks, shared FROM batch'),
  };
}

describe('the fixture batch, chunks in twenty seeded random orders by two workers', () => {
  let expected: Map<string, string>;
  beforeAll(async () => {
    const [header, ...lines] = await parseCsv(await readFile(path.join(FIXTURES, 'expected-results.csv'), 'utf8'));
    const col = (n: string) => header!.indexOf(n);
    expected = new Map(lines.map((r) => [r[col('ma_so_bhxh')]!, `${r[col('status')]}|${r[col('fields')] ?? ''}`]));
  });

  it('ends in one state, the one expected-results.csv gives, whatever the order', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const states: string[] = [];
    const workersSeen = new Set<string>();
    for (let order = 0; order < ORDERS; order++) {
      await resetDatabase(db);
      await importParticipants(deps(db), path.join(FIXTURES, 'participants.csv'), path.join(dir, 'rejects.csv'));
      const registry = await mockRegistry(path.join(FIXTURES, 'registry.csv'));
      const { done } = await driveBatch(db, runDeps(db, registry, CONFIG), seededOrder(SEED + order));
      for (const j of done) workersSeen.add(j.worker);
      const state = await endState(db, dir);
      expect(state.batch).toEqual([{ phase: 'done', chunks: 6, shared: 291 }]);
      if (order === 0) {
        const got = new Map([...(await exportedResults(deps(db), dir)).rows.values()].map((r) => [r.ma_so_bhxh, `${r.status}|${r.fields}`]));
        const differences = [...expected].filter(([code, want]) => got.get(code) !== want).map(([code, want]) => `${code}: ${want} → ${got.get(code)}`);
        expect(differences, 'against fixtures/expected-results.csv').toEqual([]);
        expect(got.size).toBe(expected.size);
      }
      states.push(JSON.stringify(state));
      expect(states[order], `order ${order} differs from order 0`).toBe(states[0]);
    }
    expect([...workersSeen].sort()).toEqual(['A', 'B']);
  }, 300_000);
});

describe('a conflict whose parties sit in chunks done by different workers', () => {
  const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01' };
  const hung = { ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ...unit };
  const REGISTRY: RegistryInput[] = [
    { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
    { so_ddcn: '079185000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ' },
  ];
  // Chunks of two: Hùng's two codes are in chunk 0 and chunk 1.
  const PEOPLE: ParticipantInput[] = [
    { ma_so_bhxh: '0100000001', ...hung },
    { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ', so_giay_to: '079185000002', ...unit },
    { ma_so_bhxh: '0100000003', ...hung },
  ];

  it.each([
    ['A takes chunk 0 first, B chunk 1 after', [0, 1]],
    ['B takes chunk 1 first, A chunk 0 after', [1, 0]],
  ] as const)('%s: both CONFLICT, no number written, none in the history', async (_name, chunkOrder) => {
    const { db } = database();
    await resetDatabase(db);
    const dir = await useTempDir();
    await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    const workerOf = (chunk: number) => (chunk === 0 ? 'A' : 'B');
    await driveBatch(db, runDeps(db, registry, { chunkSize: 2, batchSize: 1, concurrency: 1 }), {
      pick: (queued) => {
        // Verify in the order asked for; the later steps in the same order too.
        const index = chunkOrder.map((c) => queued.findIndex((j) => j.chunkNo === c)).find((i) => i >= 0)!;
        return { index, worker: workerOf(queued[index]!.chunkNo) };
      },
    });
    expect(await rows(db, 'SELECT chunk_no, verified_by, written_by FROM batch_chunk ORDER BY 1')).toEqual([
      { chunk_no: 0, verified_by: 'A', written_by: 'A' },
      { chunk_no: 1, verified_by: 'B', written_by: 'B' },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_giay_to, so_ddcn, status FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '012345678', so_ddcn: null, status: 'CONFLICT' },
      { ma_so_bhxh: '0100000002', so_giay_to: '079185000002', so_ddcn: '079185000002', status: 'MATCHED' },
      { ma_so_bhxh: '0100000003', so_giay_to: '012345678', so_ddcn: null, status: 'CONFLICT' },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh FROM number_history')).toEqual([]);
    expect(await rows(db, 'SELECT ma_so_bhxh FROM share_record ORDER BY 1')).toEqual([{ ma_so_bhxh: '0100000002' }]);
    const detail = await rows<{ ma_so_bhxh: string; conflict_with: string[] }>(
      db, `SELECT ma_so_bhxh, detail->'conflictWith' AS conflict_with FROM verification WHERE status = 'CONFLICT' ORDER BY 1`,
    );
    expect(detail).toEqual([
      { ma_so_bhxh: '0100000001', conflict_with: ['0100000003'] },
      { ma_so_bhxh: '0100000003', conflict_with: ['0100000001'] },
    ]);
  });
});
