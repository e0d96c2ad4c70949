// The dashboards' fast path gives exactly the figures of `ddcn report progress`: as of a passed date whatever
// happens later, and as of now again after every change.
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cachedCountsAsOf } from '../../src/db/figures-cache.js';
import type { Db } from '../../src/db/pool.js';
import { importCorrections } from '../../src/pipeline/corrections.js';
import type { Deps } from '../../src/pipeline/deps.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { fillMau02 } from './fill-mau02.js';
import { PEOPLE, REGISTRY } from './harness.js';

const database = databasePerFile();
const at = (iso: string) => (): Date => new Date(iso);
const DAY1 = '2024-06-03T03:00:00Z';
const DAY2 = '2024-06-05T03:00:00Z';
const SCOPES = [{ province: null }, { province: '001' }, { province: '001', district: '005' }, { province: null, unit: 'HN0010002' }];

async function both(d: Deps, asOf: { year: number; month: number; day: number } | null) {
  const out = [];
  for (const s of SCOPES) {
    const exact = await progressFigures(d, { ...s, asOf, period: 'week' });
    const fast = await progressFigures(d, { ...s, asOf, period: 'week' }, cachedCountsAsOf(d.db, d.now()));
    out.push({ exact, fast });
  }
  return out;
}

const cached = async (db: Db) => (await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM figures_cache'))[0]!.n;
const nationalToday = async (d: Deps) => (await progressFigures(d, { province: null, asOf: null, period: 'week' }, cachedCountsAsOf(d.db, d.now()))).total;

describe('dashboard figures through the cache', () => {
  it('equal the exact figures as of a passed day after later changes, and as of now after every change', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    const day2: Deps = { ...deps(db), now: at(DAY2) };
    await importParticipants(day1, await writeParticipants(dir, PEOPLE));
    const registry = await writeRegistry(dir, REGISTRY);
    await runBatch({ ...runDeps(db, await mockRegistry(registry)), now: at(DAY1) }, { province: null });

    for (const { exact, fast } of await both(day1, null)) expect(fast).toEqual(exact);
    const stored = await cached(db);
    expect(stored).toBeGreaterThan(0);
    // Asked again with nothing changed: answered from the cache, the same.
    for (const { exact, fast } of await both(day1, null)) expect(fast).toEqual(exact);
    expect(await cached(db)).toBe(stored);

    // Two days later a unit returns its Mẫu 02 and a run verifies again: day 1 stays what it was, today moves.
    const out = path.join(dir, 'lists');
    await generateLists(day2, { out, province: null, unit: null, workers: 0 });
    const sheet = path.join(out, '001', 'HN0010002', 'mau02.xlsx');
    await writeFile(sheet, await fillMau02(await readFile(sheet), { '0010000012': { 10: 'Hoàng Văn Êm' } }));
    const before = await nationalToday(day2);
    await importCorrections(day2, sheet);
    const corrected = await nationalToday(day2);
    expect(corrected.corrected).toBe(before.corrected + 1);
    await runBatch({ ...runDeps(db, await mockRegistry(registry)), now: at(DAY2) }, { province: null });
    expect((await nationalToday(day2)).matched).toBe(corrected.matched + 1);
    for (const { exact, fast } of await both(day2, null)) expect(fast).toEqual(exact);
    for (const { exact, fast } of await both(day2, { year: 2024, month: 6, day: 3 })) expect(fast).toEqual(exact);
  });
});
