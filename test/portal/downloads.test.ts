// A unit's Mẫu 01 and Mẫu 02 downloaded from the portal are the files `ddcn lists` writes for that unit at the same
// moment: the same writer on the same rows, byte for byte, for an office and for the unit itself.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLists } from '../../src/pipeline/lists.js';
import type { Portal } from '../../src/portal/app.js';
import { databasePerFile, deps, useTempDir } from '../helpers/pipeline.js';
import { portal, seed, signedIn, xlsxText } from './harness.js';

const database = databasePerFile();
const NOW = new Date('2024-06-05T03:00:00Z');
let open: Portal | undefined;
afterEach(async () => {
  await open?.app.close();
  open = undefined;
});

describe('portal downloads', () => {
  it('are byte for byte the files of ddcn lists for the unit', async () => {
    const { db } = database();
    const dir = await useTempDir();
    await seed(db, dir);
    const out = path.join(dir, 'lists');
    await generateLists({ ...deps(db), now: () => NOW }, { out, province: null, unit: null, workers: 0 });
    open = await portal(db, {}, () => NOW);
    const office = await signedIn(open.app, 'tinh-001');
    const unit = await signedIn(open.app, 'dv-hn1');
    let compared = 0;
    for (const code of ['HN0010001', 'HN0010002']) {
      for (const form of ['mau01', 'mau02'] as const) {
        const written = await readFile(path.join(out, '001', code, `${form}.xlsx`)).catch(() => null);
        const asked = await office.get(`/units/${code}/${form}.xlsx`);
        if (!written) {
          expect(asked.status).toBe(404); // no rows on that form: no file either way
          continue;
        }
        expect(asked.status).toBe(200);
        expect(await xlsxText(asked.raw)).toContain(code);
        expect(asked.raw.equals(written)).toBe(true);
        if (code === 'HN0010001') expect((await unit.get(`/units/${code}/${form}.xlsx`)).raw.equals(written)).toBe(true);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('give Mẫu 03 again from the workbook already made while the figures are the same, and a new one once they move', async () => {
    const { db } = database();
    await seed(db, await useTempDir());
    let now = new Date('2024-06-05T03:00:00Z');
    open = await portal(db, {}, () => now);
    const office = await signedIn(open.app, 'tinh-001');
    const first = await office.get('/report/mau03.xlsx');
    expect(first.status).toBe(200);
    now = new Date('2024-06-05T03:20:00Z'); // later the same day, nothing changed
    const again = await office.get('/report/mau03.xlsx');
    expect(again.status).toBe(200);
    expect(again.raw.equals(first.raw)).toBe(true);
    const unit = await signedIn(open.app, 'dv-hn1');
    expect((await unit.post('/units/HN0010001/people/0010000003', { so_ddcn: '001170000003' })).status).toBeLessThan(400);
    const moved = await office.get('/report/mau03.xlsx');
    expect(moved.raw.equals(first.raw)).toBe(false);
    expect(await xlsxText(moved.raw)).not.toBe(await xlsxText(first.raw)); // the corrections received
    now = new Date('2024-06-06T04:00:00Z'); // the next day: issued that day
    const nextDay = await (await signedIn(open.app, 'tinh-001')).get('/report/mau03.xlsx');
    expect(nextDay.status).toBe(200);
    expect(await xlsxText(nextDay.raw)).toContain('06 tháng 06 năm 2024');
  });
});
