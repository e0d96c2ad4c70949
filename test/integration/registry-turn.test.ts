// `--workers N` is the chunks of a process at the registry at once. The process takes one chunk more, whose people
// it reads (and whose outcomes it stores) meanwhile: the database's part of a chunk is not added to the registry's.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RegistryAdapter } from '../../src/adapters/types.js';
import type { Db } from '../../src/db/pool.js';
import type { ShareRecord, VerifyAnswer, VerifyRequest } from '../../src/domain/registry.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const N = 12;
const codes = Array.from({ length: N }, (_, i) => `01000000${String(i + 10)}`);
const people: ParticipantInput[] = codes.map((code, i) => ({
  ma_so_bhxh: code, ho_ten: `Trần Thị Số ${i}`, ngay_sinh: '02/03/1991', gioi_tinh: 'Nữ', so_giay_to: `0123456${String(i + 10)}`,
  ma_don_vi: 'TA0001A', ma_tinh: '01',
}));
const registry: RegistryInput[] = codes.map((_, i) => ({
  so_ddcn: `0011910000${String(i + 10)}`, so_cmnd: `0123456${String(i + 10)}`, ho_ten: `Trần Thị Số ${i}`, ngay_sinh: '02/03/1991', gioi_tinh: 'Nữ',
}));

/** The registry, slow, counting its requests in flight (verify and share), and what the database did meanwhile. */
class SlowRegistry implements RegistryAdapter {
  readonly kind = 'mock';
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly inner: RegistryAdapter, private readonly ms: number) {}
  private async hold<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(this.ms);
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }
  verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    return this.hold(() => this.inner.verify(batch));
  }
  share(records: ShareRecord[]): Promise<string[]> {
    return this.hold(() => this.inner.share(records));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Counts the chunk exports (a verify step reading its people) started while a registry request was in flight. */
function watchingExports(db: Db, reg: SlowRegistry) {
  const seen = { exports: 0, duringRegistry: 0 };
  const wrapped: Db = {
    ...db,
    query(text: string, values?: unknown[]) {
      if (text.includes('AS "maSoBhxh"') && text.includes('FROM participant p')) {
        seen.exports += 1;
        if (reg.inFlight > 0) seen.duringRegistry += 1;
      }
      return db.query(text, values);
    },
  } as Db;
  return { db: wrapped, seen };
}

async function setUp(db: Db, ms: number) {
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, people));
  return new SlowRegistry(await mockRegistry(await writeRegistry(dir, registry)), ms);
}

describe('run: a process at the registry with --workers chunks, reading the next meanwhile', () => {
  it('one worker: never two chunks at the registry, yet the next chunk is read while one is there', async () => {
    const { db } = database();
    const reg = await setUp(db, 150);
    const watched = watchingExports(db, reg);
    // One registry request a chunk (batch size = chunk size), two allowed per chunk: only the turn can hold it to one.
    const result = await runBatch(runDeps(watched.db, reg, { chunkSize: 3, batchSize: 3, concurrency: 2 }), { province: null, workers: 1 });
    expect(result.counts).toMatchObject({ read: N, matched: N, pending: 0 });
    expect(reg.maxInFlight).toBe(1);
    expect(watched.seen.exports).toBe(N / 3);
    expect(watched.seen.duringRegistry).toBeGreaterThan(0);
    expect(await rows(db, `SELECT count(*)::int AS n FROM share_record`)).toEqual([{ n: N }]);
    expect(await rows(db, `SELECT count(*)::int AS n FROM participant WHERE status = 'MATCHED' AND so_giay_to = so_ddcn`)).toEqual([{ n: N }]);
  });

  it('two workers: two chunks at the registry at once, never three', async () => {
    const { db } = database();
    const reg = await setUp(db, 150);
    const result = await runBatch(runDeps(db, reg, { chunkSize: 3, batchSize: 3, concurrency: 2 }), { province: null, workers: 2 });
    expect(result.counts).toMatchObject({ read: N, matched: N, pending: 0 });
    expect(reg.maxInFlight).toBe(2);
  });
});
