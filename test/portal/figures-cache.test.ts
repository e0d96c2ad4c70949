// The dashboards' fast path gives exactly the figures of `ddcn report progress`: as of a passed date whatever
// happens later, and as of now again after every change.
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cachedCountsAsOf, figuresStored } from '../../src/db/figures-cache.js';
import { warmNationalFigures } from '../../src/portal/figures.js';
import { createDb, type Db, type Queryable } from '../../src/db/pool.js';
import { countsAsOf, type CountsArgs } from '../../src/db/reports.js';
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

// The Mẫu 03 query as one statement over the whole history, as it was before it was split and narrowed for the
// dashboards: countsAsOf must give exactly its rows.
async function wholeHistoryCounts(q: Queryable, args: CountsArgs) {
  return rows(q,
    `WITH s AS (
       SELECT DISTINCT ON (ma_so_bhxh) ma_so_bhxh, vssid, ma_tinh, ma_huyen FROM participant_state WHERE valid_from < $1::timestamptz
        ORDER BY ma_so_bhxh, valid_from DESC, id DESC
     ), v AS (
       SELECT ma_so_bhxh, (array_agg(status ORDER BY verified_at DESC, batch_id DESC))[1] AS status,
              (array_agg(data_version ORDER BY verified_at DESC, batch_id DESC))[1] AS data_version,
              max(data_version) FILTER (WHERE status <> 'PENDING') AS verified_version
         FROM verification x WHERE applied AND verified_at < $1::timestamptz AND (chunk_no = -1 OR EXISTS (
                SELECT 1 FROM batch_chunk bc WHERE bc.batch_id = x.batch_id AND bc.chunk_no = x.chunk_no AND bc.written_at < $1::timestamptz))
        GROUP BY ma_so_bhxh
     ), c AS (
       SELECT ma_so_bhxh, max(data_version) AS version FROM participant_correction WHERE changed_at < $1::timestamptz GROUP BY ma_so_bhxh
     ), ch AS (
       SELECT ma_so_bhxh, max(changed_version) AS version FROM participant_state WHERE changed_version IS NOT NULL AND valid_from < $1::timestamptz GROUP BY 1
     ), o AS (
       SELECT s.*, CASE WHEN v.status IS NULL OR ch.version > v.data_version THEN 'PENDING' ELSE v.status END AS status, v.verified_version
         FROM s LEFT JOIN v ON v.ma_so_bhxh = s.ma_so_bhxh LEFT JOIN ch ON ch.ma_so_bhxh = s.ma_so_bhxh
     )
     SELECT CASE WHEN $2::text IS NULL THEN o.ma_tinh ELSE o.ma_huyen END AS key, count(*)::int AS total,
            count(*) FILTER (WHERE o.status = 'MATCHED')::int AS matched, count(*) FILTER (WHERE o.status = 'MISMATCHED')::int AS mismatched,
            count(*) FILTER (WHERE o.status = 'MISSING_ID')::int AS missing, count(*) FILTER (WHERE o.status = 'CONFLICT')::int AS conflict,
            count(*) FILTER (WHERE o.status = 'PENDING')::int AS pending, count(*) FILTER (WHERE o.vssid)::int AS vssid,
            count(c.ma_so_bhxh)::int AS corrected,
            count(*) FILTER (WHERE o.status = 'MATCHED' AND o.verified_version >= c.version)::int AS rematched,
            count(*) FILTER (WHERE o.status IN ('MISMATCHED', 'CONFLICT') AND o.verified_version >= c.version)::int AS escalated
       FROM o LEFT JOIN c ON c.ma_so_bhxh = o.ma_so_bhxh
      WHERE ($2::text IS NULL OR o.ma_tinh = $2::text) AND ($3::text IS NULL OR o.ma_huyen = $3::text)
        AND ($4::text IS NULL OR o.ma_so_bhxh IN (SELECT ma_so_bhxh FROM participant WHERE ma_don_vi = $4::text))
      GROUP BY 1 ORDER BY 1 NULLS LAST`,
    [args.cutoff, args.province, args.district ?? null, args.unit ?? null],
  );
}

async function sameAsWholeHistory(db: Db, cutoffs: string[]) {
  for (const cutoff of cutoffs) {
    for (const s of [...SCOPES, { province: '079' }, { province: '001', district: '006' }]) {
      const args = { ...s, cutoff: new Date(cutoff) };
      expect({ args, counts: await countsAsOf(db, args) }).toEqual({ args, counts: await wholeHistoryCounts(db, args) });
    }
  }
}

const cached = async (db: Db) => (await figuresStored(), await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM figures_cache'))[0]!.n;
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
    // Meanwhile one person of HN2 has moved to Hồ Chí Minh City, and one of HN1 to the other district of Hà Nội.
    const moved = PEOPLE.map((p) =>
      p.ma_so_bhxh === '0010000013' ? { ...p, ma_tinh: '079', ma_huyen: '760' } : p.ma_so_bhxh === '0010000003' ? { ...p, ma_huyen: '006' } : p);
    await importParticipants(day2, await writeParticipants(dir, moved, 'moved.csv'));
    await importCorrections(day2, sheet);
    const corrected = await nationalToday(day2);
    expect(corrected.corrected).toBe(before.corrected + 1);
    await runBatch({ ...runDeps(db, await mockRegistry(registry)), now: at(DAY2) }, { province: null });
    expect((await nationalToday(day2)).matched).toBe(corrected.matched + 1);
    for (const { exact, fast } of await both(day2, null)) expect(fast).toEqual(exact);
    for (const { exact, fast } of await both(day2, { year: 2024, month: 6, day: 3 })) expect(fast).toEqual(exact);
    await sameAsWholeHistory(db, ['2024-06-03T02:00:00Z', '2024-06-04T00:00:00Z', '2024-06-06T00:00:00Z']);
  });

  it('of a unit are counted again when an import moves one of its people to another unit (no state row marks that)', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    await importParticipants(day1, await writeParticipants(dir, PEOPLE));
    const unitOf = (code: string) => PEOPLE.find((p) => p.ma_so_bhxh === code)!.ma_don_vi;
    // Someone of HN1 goes to work for HN2, with the same province and district codes: no state row changes.
    const mover = PEOPLE.find((p) => p.ma_don_vi === 'HN0010001')!;
    const unitTotal = async () =>
      (await progressFigures(day1, { province: null, unit: 'HN0010002', asOf: null, period: 'week' }, cachedCountsAsOf(db, day1.now()))).total.total;
    const before = await unitTotal();
    await figuresStored();
    expect(await unitTotal()).toBe(before); // from the cache
    await importParticipants(day1, await writeParticipants(dir, PEOPLE.map((p) => (p === mover ? { ...p, ma_don_vi: 'HN0010002' } : p)), 'moved.csv'));
    expect(unitOf(mover.ma_so_bhxh)).not.toBe('HN0010002');
    expect(await unitTotal()).toBe(before + 1);
  });

  it('as of a moment an import under way began before are not settled until it ends (its rows carry its start)', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await importParticipants({ ...deps(db), now: at(DAY1) }, await writeParticipants(dir, PEOPLE.slice(0, 5)));
    // A second import began on day 1 at 03:00 and runs on; its rows, stamped 03:00, commit as it goes.
    const later = '2024-06-03T05:00:00Z';
    const read = cachedCountsAsOf(db, new Date(later));
    const args = { cutoff: new Date('2024-06-03T04:00:00Z'), province: null };
    const id = (await rows<{ id: string }>(db, `INSERT INTO import_run (kind, file_name, started_at) VALUES ('participants', 'big.csv', $1::timestamptz) RETURNING id`, [DAY1]))[0]!.id;
    const total = async () => (await read(db, args)).reduce((n, g) => n + g.total, 0);
    expect(await total()).toBe(5);
    await figuresStored();
    expect((await rows<{ fingerprint: string }>(db, `SELECT DISTINCT fingerprint FROM figures_cache`)).map((r) => r.fingerprint)).not.toContain('past');
    // The rest of its rows come in, with its start; it ends: as of 04:00, every one of them is counted.
    await importParticipants({ ...deps(db), now: at(DAY1) }, await writeParticipants(dir, PEOPLE));
    await db.query(`UPDATE import_run SET finished_at = $2::timestamptz WHERE id = $1::bigint`, [id, later]);
    expect(await total()).toBe(PEOPLE.length);
    expect(await total()).toEqual((await countsAsOf(db, args)).reduce((n, g) => n + g.total, 0));
  });

  it('are worked out once for visitors asking at the same time', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    await importParticipants(day1, await writeParticipants(dir, PEOPLE));
    let outcomeQueries = 0;
    // Both visitors find the cache empty before either has worked anything out.
    let looked = 0;
    let bothLooked!: () => void;
    const barrier = new Promise<void>((resolve) => (bothLooked = resolve));
    const counting: Queryable = {
      query: (async (sql: string, values?: unknown[]) => {
        if (sql.includes('FROM participant_state WHERE valid_from')) outcomeQueries += 1;
        const res = await db.query(sql, values);
        if (sql.includes('SELECT counts FROM figures_cache') && ++looked <= 2) {
          if (looked === 2) bothLooked();
          await barrier;
        }
        return res;
      }) as Queryable['query'],
      copyIn: (sql) => db.copyIn(sql),
      copyOut: (sql) => db.copyOut(sql),
    };
    const read = cachedCountsAsOf(db, day1.now());
    const args = { cutoff: new Date(DAY1), province: null };
    const [a, b] = await Promise.all([read(counting, args), read(counting, args)]);
    expect(outcomeQueries).toBe(1);
    expect(b).toEqual(a);
    expect(a).toEqual(await countsAsOf(db, args));
  });

  it('are worked out even when every pool connection is held by a visitor (no second connection is waited for)', async () => {
    const { db, url } = database();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    await importParticipants(day1, await writeParticipants(await useTempDir(), PEOPLE));
    const one = createDb(url, { max: 1 });
    try {
      const report = progressFigures({ ...day1, db: one }, { province: null, asOf: null, period: 'week' }, cachedCountsAsOf(one, day1.now()));
      const late = new Promise((resolve) => setTimeout(resolve, 20_000, 'waited for a connection'));
      expect(await Promise.race([report.then((r) => r.total.total), late])).toBe(PEOPLE.length);
      await figuresStored();
    } finally {
      await one.close();
    }
  });

  it('are worked out ahead for the national dashboard (what `ddcn serve` does every minute)', async () => {
    const { db } = database();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    await importParticipants(day1, await writeParticipants(await useTempDir(), PEOPLE));
    await warmNationalFigures(day1);
    await figuresStored();
    const kept = await rows<{ narrow: string }>(db, 'SELECT narrow FROM figures_cache ORDER BY narrow');
    expect(kept.map((r) => r.narrow)).toEqual(expect.arrayContaining(['corrections:p=;d=;u=', 'outcomes:p=;d=;u=']));
  });

  it('stay bounded: figures of a settled moment kept with a fingerprint, too old, or beyond the row limit are dropped', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const day1: Deps = { ...deps(db), now: at(DAY1) };
    await importParticipants(day1, await writeParticipants(dir, PEOPLE));
    const row = (cutoff: string, narrow: string, fingerprint: string, computedAt: string) =>
      db.query(`INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES ($1::timestamptz, $2::text, $3::text, '[]', $4::timestamptz)`, [
        cutoff, narrow, fingerprint, computedAt]);
    await row('2024-06-02T17:00:00Z', 'outcomes:stale-now', '1:2', '2024-06-02T03:00:00Z'); // as of a day now past, with a fingerprint
    await row('2024-05-01T00:00:00Z', 'outcomes:too-old', 'past', '2024-05-20T03:00:00Z'); // worked out two weeks ago
    await row('2024-06-01T00:00:00Z', 'outcomes:kept', 'past', '2024-06-02T03:00:00Z');
    const keys = async () => (await figuresStored(), await rows<{ narrow: string }>(db, 'SELECT narrow FROM figures_cache ORDER BY narrow')).map((r) => r.narrow);

    await progressFigures(day1, { province: null, asOf: null, period: 'week' }, cachedCountsAsOf(db, day1.now()));
    expect(await keys()).toContain('outcomes:kept');
    expect(await keys()).not.toContain('outcomes:stale-now');
    expect(await keys()).not.toContain('outcomes:too-old');

    // With room for two figures only, the two newest stay.
    await progressFigures(day1, { province: '001', asOf: null, period: 'week' }, cachedCountsAsOf(db, day1.now(), { keepMs: 86_400_000, maxRows: 2 }));
    expect(await cached(db)).toBe(2);
  });
});
