// `--concurrency N`: the registry requests in flight from one process, whatever its chunk steps at once — with one
// worker a process verifies and shares two chunks at once when the registry is the mock or the file exchange (jobs.ts,
// queueFor).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileExchangeRegistry } from '../../src/adapters/file-exchange.js';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { createLogger } from '../../src/log.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const PEOPLE: ParticipantInput[] = Array.from({ length: 40 }, (_, k) => ({
  ma_so_bhxh: `01000${String(k + 1).padStart(5, '0')}`, ho_ten: `Nguyễn Văn Số ${k + 1}`, ngay_sinh: '01/01/1990', gioi_tinh: 'Nam',
  so_giay_to: `0123${String(k + 1).padStart(5, '0')}`, ma_don_vi: 'TA0001A', ma_tinh: '01', vssid: '1',
}));

/**
 * Verifies with `verifier`, shares with `sharer`, counting the requests of each kind in hand at once, and noting
 * the chunk of each verify request (told apart by their people's codes: ten a chunk, in key order).
 */
class CountedShares implements RegistryAdapter {
  now = 0;
  most = 0;
  verifying = 0;
  mostVerifying = 0;
  readonly verifiedChunks: number[] = [];
  constructor(
    readonly kind: string,
    private readonly verifier: RegistryAdapter,
    private readonly sharer: (records: ShareRecord[]) => Promise<string[]>,
  ) {}
  async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    this.verifiedChunks.push(Math.floor((Number(batch[0]!.requestId.slice(-5)) - 1) / 10));
    this.verifying += 1;
    this.mostVerifying = Math.max(this.mostVerifying, this.verifying);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return await this.verifier.verify(batch);
    } finally {
      this.verifying -= 1;
    }
  }
  /** Whether a chunk's verify requests came between another's: two chunks were verified at once. */
  get chunksInterleaved(): boolean {
    const seen = new Set<number>();
    return this.verifiedChunks.some((c, i) => {
      const again = seen.has(c) && this.verifiedChunks[i - 1] !== c;
      seen.add(c);
      return again;
    });
  }
  async share(records: ShareRecord[]): Promise<string[]> {
    this.now += 1;
    this.most = Math.max(this.most, this.now);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return await this.sharer(records);
    } finally {
      this.now -= 1;
    }
  }
  async close(): Promise<void> {}
}

async function setUp() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const registryFile = await writeRegistry(
    dir,
    PEOPLE.map((p, k) => ({ so_ddcn: `0010900${String(k + 1).padStart(5, '0')}`, so_cmnd: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: p.ngay_sinh!, gioi_tinh: 'Nam' })),
  );
  return { db, dir, mock: await mockRegistry(registryFile) };
}

// Four chunks of ten, requests of two people, one request at a time: the share phase has two chunks in hand.
const CONFIG = { chunkSize: 10, batchSize: 2, concurrency: 1 };

describe('registry requests in flight from one process', () => {
  it('the mock: one verify request at a time with --concurrency 1, although two chunks are verified at once', async () => {
    const { db, mock } = await setUp();
    const registry = new CountedShares('mock', mock, (r) => mock.share(r));
    const result = await runBatch(runDeps(db, registry, CONFIG), { province: null, workers: 1 });
    expect(result.counts.matched).toBe(40);
    expect(registry.chunksInterleaved).toBe(true);
    expect(registry.mostVerifying).toBe(1);
  });

  it('the mock: one share request at a time with --concurrency 1, although two chunks are shared at once', async () => {
    const { db, mock } = await setUp();
    const registry = new CountedShares('mock', mock, (r) => mock.share(r));
    const result = await runBatch(runDeps(db, registry, CONFIG), { province: null, workers: 1 });
    expect(result.shared).toBe(40);
    expect(registry.most).toBe(1);
  });

  it('the file exchange: one share file written at a time with --concurrency 1, every one kept', async () => {
    const { db, dir, mock } = await setUp();
    const files = await FileExchangeRegistry.open(
      { outbox: path.join(dir, 'out'), inbox: path.join(dir, 'in'), resendAfterMs: 1e9 },
      db,
      createLogger('silent'),
    );
    const registry = new CountedShares('file', mock, (r) => files.share(r));
    const result = await runBatch(runDeps(db, registry, CONFIG), { province: null, workers: 1 });
    expect(result.shared).toBe(40);
    expect(registry.most).toBe(1);
    expect((await readdir(path.join(dir, 'out'))).length).toBe(files.stats.shareFiles);
    expect(files.stats.shareFiles).toBe(20);
  });
});
