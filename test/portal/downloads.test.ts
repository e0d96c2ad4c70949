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
});
