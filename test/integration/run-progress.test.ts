// The progress a run reports counts people: a step per registry request, the chunks written, the shares.
import { describe, expect, it } from 'vitest';
import { openBatch } from '../../src/db/batches.js';
import { workOnChunk } from '../../src/pipeline/chunk-work.js';
import { runBatch } from '../../src/pipeline/run.js';
import type { RunProgress, RunStage } from '../../src/run-progress.js';
import { databasePerFile, mockRegistry, runDeps } from '../helpers/pipeline.js';
import { FIXTURE_REGISTRY, importFixtures } from './http-harness.js';

const database = databasePerFile();

function recorder() {
  const events: Array<{ kind: 'begin' | 'advance' | 'end' | 'close'; stage?: RunStage; n?: number; done?: number; batch?: number; closed?: boolean }> = [];
  let closed = false;
  const progress: RunProgress = {
    // A line closed for good draws nothing more: a begin after the close would never be seen (recorded as such).
    begin: (batch, stage, total, done = 0) => events.push({ kind: 'begin', stage, n: total, done, batch, closed }),
    advance: (stage, n) => events.push({ kind: 'advance', stage, n }),
    end: () => events.push({ kind: 'end' }),
    // The run's last end of the line, for good.
    close: () => {
      closed = true;
      events.push({ kind: 'close' });
    },
  };
  const steps = (stage: RunStage) => events.filter((e) => e.kind === 'advance' && e.stage === stage).map((e) => e.n!);
  const total = (stage: RunStage) => events.find((e) => e.kind === 'begin' && e.stage === stage)?.n;
  const doneBefore = (stage: RunStage) => events.find((e) => e.kind === 'begin' && e.stage === stage)?.done;
  return { progress, events, steps, total, doneBefore };
}

describe('run progress', () => {
  it('counts the people of the batch, a step per registry request, per chunk written and per share request', async () => {
    const db = database().db;
    await importFixtures(db);
    const r = recorder();
    const config = { chunkSize: 40, batchSize: 10, concurrency: 2 };
    const result = await runBatch({ ...runDeps(db, await mockRegistry(FIXTURE_REGISTRY), config), runProgress: r.progress }, { province: null });

    expect(result.counts.read).toBe(335);
    // The totals are people, not chunk capacity (9 chunks of 40 would be 360).
    expect(r.total('verify')).toBe(335);
    expect(r.total('write')).toBe(335);
    const verify = r.steps('verify');
    expect(verify.reduce((a, b) => a + b, 0)).toBe(335);
    // One step per request of at most --batch-size people, plus the people pre-flight settles without a request.
    const missing = result.counts.missing;
    expect(verify.filter((n) => n <= 10).length).toBeGreaterThanOrEqual(Math.ceil((335 - missing) / 10));
    expect(r.steps('write').reduce((a, b) => a + b, 0)).toBe(335);
    expect(r.steps('write')).toHaveLength(9);
    expect(r.total('share')).toBe(0); // streamed: not known ahead
    expect(r.steps('share').reduce((a, b) => a + b, 0)).toBe(result.shared);
    // One step per share request of at most --batch-size people; each chunk's share job sends its own requests.
    expect(r.steps('share').every((n) => n >= 1 && n <= 10)).toBe(true);
    expect(r.steps('share').length).toBeGreaterThanOrEqual(Math.ceil(result.shared / 10));
    expect(r.steps('share').length).toBeLessThanOrEqual(Math.ceil(result.shared / 10) + 9);
    // verify and write end as sharing begins, sharing with the batch; the line is closed once, last.
    expect(r.events.filter((e) => e.kind === 'end')).toHaveLength(2);
    expect(r.events.at(-1)).toEqual({ kind: 'close' });
  });

  it('starts a resumed batch from the people its chunks verified before', async () => {
    const db = database().db;
    await importFixtures(db);
    const config = { chunkSize: 40, batchSize: 10, concurrency: 2 };
    const registry = await mockRegistry(FIXTURE_REGISTRY);
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: null, chunkSize: 40, maxInFlight: null, now: new Date() }));
    const batchId = opened!.batch.id;
    // Two chunks verified by a run that then died.
    const work = { ...runDeps(db, registry, config), queue: { enqueue: async () => undefined }, worker: 'host-a:41' };
    const before = (await workOnChunk(work, { batchId, step: 'verify', chunkNo: 0 })) + (await workOnChunk(work, { batchId, step: 'verify', chunkNo: 1 }));
    expect(before).toBe(80);
    const r = recorder();
    const result = await runBatch({ ...runDeps(db, registry, config), runProgress: r.progress }, { province: null });
    expect(result).toMatchObject({ batchId, resumed: true });
    expect([r.total('verify'), r.doneBefore('verify'), r.doneBefore('write')]).toEqual([335, 80, 0]);
    expect(r.steps('verify').reduce((a, b) => a + b, 0)).toBe(335 - 80);
  });

  it('shows every batch of a run: the open one of another scope finished first, then the one asked', async () => {
    const db = database().db;
    await importFixtures(db);
    const config = { chunkSize: 40, batchSize: 10, concurrency: 2 };
    const registry = await mockRegistry(FIXTURE_REGISTRY);
    // A batch of the first province on file, opened by a run that then died.
    const [{ ma_tinh: first }] = (await db.query<{ ma_tinh: string }>('SELECT min(ma_tinh) AS ma_tinh FROM participant')).rows as [{ ma_tinh: string }];
    const opened = await db.withTransaction((tx) => openBatch(tx, { registry: 'mock', province: first, chunkSize: 40, maxInFlight: null, now: new Date() }));
    const r = recorder();
    const result = await runBatch({ ...runDeps(db, registry, config), runProgress: r.progress }, { province: null });
    expect(result.finishedFirst.map((b) => b.batchId)).toEqual([opened!.batch.id]);
    const begins = r.events.filter((e) => e.kind === 'begin');
    expect([...new Set(begins.map((e) => e.batch))]).toEqual([opened!.batch.id, result.batchId]);
    expect(begins.every((e) => !e.closed)).toBe(true);
    expect(r.events.filter((e) => e.kind === 'close')).toHaveLength(1);
  });
});
