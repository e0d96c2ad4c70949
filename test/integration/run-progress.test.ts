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
  const events: Array<{ kind: 'begin' | 'advance' | 'end'; stage?: RunStage; n?: number; done?: number }> = [];
  const progress: RunProgress = {
    begin: (_batch, stage, total, done = 0) => events.push({ kind: 'begin', stage, n: total, done }),
    advance: (stage, n) => events.push({ kind: 'advance', stage, n }),
    end: () => events.push({ kind: 'end' }),
    // The run's last end of the line, for good.
    close: () => events.push({ kind: 'end' }),
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
    expect(r.events.filter((e) => e.kind === 'end')).toHaveLength(2);
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
});
