// Every route of the portal × every role, against objects of another scope, by URL and by form field: nothing
// of another scope is shown, sent or changed; it answers 404 as if it did not exist. The routes come from the app
// itself, so a route added without a case here fails this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import type { Portal } from '../../src/portal/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { rows } from '../helpers/pipeline.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PEOPLE, portal, seed, signedIn, UNITS, xlsxText, type Client } from './harness.js';
import { fillMau02 } from './fill-mau02.js';

type UnitKey = keyof typeof UNITS;
interface Who {
  login: string;
  own: UnitKey; // a unit in scope, for the probe that must work
  foreign: UnitKey[]; // units of another scope
  office: boolean;
  national: boolean;
  total: number; // participants in scope
  foreignLabels: string[]; // how other scopes would show on the figures
}

/** Today as a UTC date: never after Vietnam's today (UTC+7), so the figures as of it take everything in. */
const TODAY = new Date().toISOString().slice(0, 10);
const WHO: Who[] = [
  { login: 'tw', own: 'HCM1', foreign: [], office: true, national: true, total: 9, foreignLabels: [] },
  { login: 'tinh-001', own: 'HN2', foreign: ['HCM1'], office: true, national: false, total: 6, foreignLabels: ['Hồ Chí Minh', 'mã 760'] },
  { login: 'huyen-001-005', own: 'HN1', foreign: ['HN2', 'HCM1'], office: true, national: false, total: 3, foreignLabels: ['Hồ Chí Minh', 'mã 006', 'mã 760'] },
  { login: 'dv-hn1', own: 'HN1', foreign: ['HN2', 'HCM1'], office: false, national: false, total: 3, foreignLabels: ['Hồ Chí Minh', 'mã 006', 'mã 760'] },
];

const code = (u: UnitKey) => UNITS[u].ma_don_vi;
const people = (u: UnitKey) => PEOPLE.filter((p) => p.ma_don_vi === code(u));
const mismatched = (u: UnitKey) => people(u)[1]!; // second of each unit: on Mẫu 02
/** Anything that would show a foreign unit or its people. */
const markers = (w: Who) => [...w.foreign.flatMap((u) => [code(u), UNITS[u].ten_don_vi, ...people(u).flatMap((p) => [p.ma_so_bhxh, p.ho_ten!])]), ...w.foreignLabels];

/** Out of scope: a 404 that tells nothing of the other scope (the error page names no foreign unit or person). */
function expectNotFound(w: Who, r: { status: number; body: string }) {
  expect(r.status).toBe(404);
  // Titled as a page that does not exist (the tab and a screen reader say the title first).
  expect(r.body).toContain('<title>Không tìm thấy · ddcn</title>');
  expectNoLeak(w, r.body);
}

function expectNoLeak(w: Who, text: string) {
  for (const m of markers(w)) expect(text, `"${m}" must not reach ${w.login}`).not.toContain(m);
}

let t: TestDatabase;
let app: Portal;
let db: Db;
let dir: string;
const uploads: Partial<Record<UnitKey, number>> = {};
const filled: Partial<Record<UnitKey, Buffer>> = {};
const badDate: Partial<Record<UnitKey, Buffer>> = {}; // a sheet whose one filled row is rejected: nobody corrected

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-scope-'));
  await seed(db, dir);
  app = await portal(db);
  // Each unit's Mẫu 02, filled in with a correction and a bad date; the national office sends each back once,
  // so every unit has an upload with rejects that other scopes must not reach.
  const tw = await signedIn(app.app, 'tw');
  for (const u of Object.keys(UNITS) as UnitKey[]) {
    const file = await tw.get(`/units/${code(u)}/mau02.xlsx`);
    expect(file.status).toBe(200);
    const third = people(u)[2]!;
    filled[u] = await fillMau02(file.raw, { [third.ma_so_bhxh]: { 11: '31/02/1979' } });
    badDate[u] = filled[u];
  }
  for (const u of Object.keys(UNITS) as UnitKey[]) {
    const res = await tw.upload(`/units/${code(u)}/corrections`, { name: `mau02-${u}.xlsx`, body: filled[u]! });
    expect(res.status).toBe(200);
    uploads[u] = Number(/\/uploads\/(\d+)\/rejects\.csv/.exec(res.body)![1]);
  }
  // From here on, each upload of a filled sheet would correct the second person of its unit.
  for (const u of Object.keys(UNITS) as UnitKey[]) {
    const file = await tw.get(`/units/${code(u)}/mau02.xlsx`);
    filled[u] = await fillMau02(file.raw, { [mismatched(u).ma_so_bhxh]: { 10: 'Tên Đã Sửa' } });
  }
});

afterAll(async () => {
  await app?.app.close();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

const corrections = async () => (await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM participant_correction WHERE new_value = 'Tên Đã Sửa'`))[0]!.n;

type Case = (c: Client, w: Who) => Promise<void>;

const CASES: Record<string, Case> = {
  'GET /healthz': async (c) => {
    const r = await c.get('/healthz');
    expect([r.status, r.body]).toEqual([200, 'ok']);
  },
  'GET /static/portal.css': async (c, w) => expectNoLeak(w, (await c.get('/static/portal.css')).body),
  'GET /login': async (c) => expect((await c.get('/login')).status).toBe(303), // signed in already
  'POST /login': async (c, w) => {
    // by form field: another account's login, a wrong password — nothing of it comes back
    const r = await c.post('/login', { login: 'dv-hcm1', password: 'khong-dung-mat-khau' });
    expect(r.status).toBe(401);
    expectNoLeak(w, r.body);
  },
  'POST /logout': async () => undefined, // exercised last, by the test itself
  'GET /': async (c, w) => {
    const r = await c.get(`/?as_of=${TODAY}&period=month`);
    expect(r.status).toBe(200);
    // A day still to come is refused, as by `ddcn report progress --as-of`.
    expect((await c.get('/?as_of=2099-12-31&period=month')).status).toBe(400);
    expect(r.body).toContain(`<span class="n">${w.total}</span><span>người tham gia</span>`);
    expectNoLeak(w, r.body);
  },
  'GET /units': async (c, w) => {
    const list = await c.get('/units');
    expect(list.body).toContain(code(w.own));
    expectNoLeak(w, list.body);
    for (const f of w.foreign) expectNoLeak(w, (await c.get(`/units?q=${code(f)}`)).body.replace(/name="q" value="[^"]*"/, '')); // the search box shows what was typed
    expectNoLeak(w, (await c.get('/units?page=2')).body);
  },
  'GET /units/:ma_don_vi': async (c, w) => {
    expect((await c.get(`/units/${code(w.own)}`)).status).toBe(200);
    for (const f of w.foreign) {
      const r = await c.get(`/units/${code(f)}`);
      expect(r.status).toBe(404);
      expectNoLeak(w, r.body);
    }
  },
  'GET /units/:ma_don_vi/mau01.xlsx': async (c, w) => {
    const own = await c.get(`/units/${code(w.own)}/mau01.xlsx`);
    expect(own.status).toBe(200);
    expectNoLeak(w, await xlsxText(own.raw));
    for (const f of w.foreign) expectNotFound(w, await c.get(`/units/${code(f)}/mau01.xlsx`));
  },
  'GET /units/:ma_don_vi/mau02.xlsx': async (c, w) => {
    const own = await c.get(`/units/${code(w.own)}/mau02.xlsx`);
    expect(own.status).toBe(200);
    expect(own.headers['content-disposition']).toMatch(new RegExp(`filename="mau02-${code(w.own)}-\\d{4}-\\d{2}-\\d{2}\\.xlsx"`));
    expectNoLeak(w, await xlsxText(own.raw));
    for (const f of w.foreign) expectNotFound(w, await c.get(`/units/${code(f)}/mau02.xlsx`));
  },
  'POST /units/:ma_don_vi/corrections': async (c, w) => {
    for (const f of w.foreign) {
      const before = await corrections();
      // by URL: the other unit's page
      const byUrl = await c.upload(`/units/${code(f)}/corrections`, { name: 'mau02.xlsx', body: filled[f]! });
      expectNotFound(w, byUrl);
      // by the file: the other unit's sheet sent to one's own unit
      const byFile = await c.upload(`/units/${code(w.own)}/corrections`, { name: 'mau02.xlsx', body: filled[f]! });
      expect(byFile.status).toBe(422);
      expect(byFile.body).toContain('không phải của đơn vị');
      expectNoLeak(w, byFile.body.replace(`đơn vị ${code(f)},`, '')); // it names the code the file itself carries
      expect(await corrections()).toBe(before);
    }
  },
  'GET /units/:ma_don_vi/uploads/:id/rejects.csv': async (c, w) => {
    // Its own upload's rejects: the rows as its file had them, and why.
    const sent = await c.upload(`/units/${code(w.own)}/corrections`, { name: 'mau02.xlsx', body: badDate[w.own]! });
    const mine = Number(/\/uploads\/(\d+)\/rejects\.csv/.exec(sent.body)![1]);
    const own = await c.get(`/units/${code(w.own)}/uploads/${mine}/rejects.csv`);
    expect(own.status).toBe(200);
    expect(own.body).toContain('Cột (11)');
    // Another account's upload for a unit in scope holds what that account typed, people out of this scope
    // included: only its sender (and the national account) reads it.
    const others = await c.get(`/units/${code(w.own)}/uploads/${uploads[w.own]}/rejects.csv`);
    if (w.national) expect(others.status).toBe(200);
    else expectNotFound(w, others);
    for (const f of w.foreign) {
      expectNotFound(w, await c.get(`/units/${code(f)}/uploads/${uploads[f]}/rejects.csv`));
      expectNotFound(w, await c.get(`/units/${code(w.own)}/uploads/${uploads[f]}/rejects.csv`));
    }
  },
  'GET /units/:ma_don_vi/corrections': async (c, w) => {
    // The address a refused upload leaves: its unit's page, for a unit in scope only.
    const own = await c.get(`/units/${code(w.own)}/corrections`);
    expect([own.status, own.headers.location]).toEqual([303, `/units/${code(w.own)}`]);
    for (const f of w.foreign) expectNotFound(w, await c.get(`/units/${code(f)}/corrections`));
  },
  'GET /units/:ma_don_vi/uploads/:id': async (c, w) => {
    // Its own upload's result, where the upload's POST led: what was read, applied and refused.
    const sent = await c.upload(`/units/${code(w.own)}/corrections`, { name: 'mau02.xlsx', body: badDate[w.own]! });
    const mine = Number(/^\/units\/[^/]+\/uploads\/(\d+)$/.exec(String(sent.redirectedFrom?.headers.location))![1]);
    const own = await c.get(`/units/${code(w.own)}/uploads/${mine}`);
    expect(own.status).toBe(200);
    expect(own.body).toContain('1 dòng không nhận');
    // Another account's upload for a unit in scope: as its rejects, only its sender (and the national account).
    const others = await c.get(`/units/${code(w.own)}/uploads/${uploads[w.own]}`);
    if (w.national) expect(others.status).toBe(200);
    else expectNotFound(w, others);
    for (const f of w.foreign) {
      expectNotFound(w, await c.get(`/units/${code(f)}/uploads/${uploads[f]}`));
      expectNotFound(w, await c.get(`/units/${code(w.own)}/uploads/${uploads[f]}`));
    }
  },
  'GET /units/:ma_don_vi/people/:ma_so_bhxh': async (c, w) => {
    expect((await c.get(`/units/${code(w.own)}/people/${mismatched(w.own).ma_so_bhxh}`)).status).toBe(200);
    for (const f of w.foreign) {
      // People on the other unit's Mẫu 02 and off it (matched: the page that says a person needs no correction).
      for (const p of [mismatched(f), people(f)[0]!]) {
        expectNotFound(w, await c.get(`/units/${code(f)}/people/${p.ma_so_bhxh}`));
        expectNotFound(w, await c.get(`/units/${code(w.own)}/people/${p.ma_so_bhxh}`));
      }
    }
  },
  'POST /units/:ma_don_vi/people/:ma_so_bhxh': async (c, w) => {
    for (const f of w.foreign) {
      const before = await corrections();
      for (const p of [mismatched(f), people(f)[0]!]) {
        expectNotFound(w, await c.post(`/units/${code(f)}/people/${p.ma_so_bhxh}`, { ho_ten: 'Tên Đã Sửa' }));
        expectNotFound(w, await c.post(`/units/${code(w.own)}/people/${p.ma_so_bhxh}`, { ho_ten: 'Tên Đã Sửa' }));
      }
      expect(await corrections()).toBe(before);
    }
  },
  'GET /report/mau03.xlsx': async (c, w) => {
    const r = await c.get(`/report/mau03.xlsx?as_of=${TODAY}&period=week`);
    expect(r.status).toBe(200);
    expect((await c.get('/report/mau03.xlsx?as_of=2099-12-31&period=week')).status).toBe(400);
    const text = await xlsxText(r.raw);
    expectNoLeak(w, text);
  },
  'GET /lookup': async (c, w) => expect((await c.get('/lookup')).status).toBe(w.office ? 200 : 404),
  'POST /lookup': async (c, w) => {
    const ownNumber = mismatched(w.own).so_giay_to!;
    const own = await c.post('/lookup', { number: ownNumber });
    if (!w.office) {
      expect(own.status).toBe(404);
      return;
    }
    expect(own.body).toContain(mismatched(w.own).ho_ten);
    for (const f of w.foreign) {
      // by form field: the number of a person of another scope
      const r = await c.post('/lookup', { number: mismatched(f).so_giay_to! });
      expect(r.status).toBe(200);
      expectNoLeak(w, r.body);
    }
  },
  'GET /audit.csv': async (c, w) => {
    const r = await c.get('/audit.csv');
    expect(r.status).toBe(w.national ? 200 : 404);
    if (!w.national) expect(r.body).not.toContain('login,action');
  },
};

describe('portal scopes', () => {
  it('has a case for every route the portal answers', () => {
    const routes = [...new Set(app.routes.map((r) => `${r.method} ${r.url}`))].sort();
    expect(routes.filter((r) => !(r in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  for (const w of WHO) {
    it(`${w.login}: every route shows nothing of another scope and answers 404 for its objects`, async () => {
      const c = await signedIn(app.app, w.login);
      for (const [route, probe] of Object.entries(CASES)) {
        try {
          await probe(c, w);
        } catch (err) {
          (err as Error).message = `${route} as ${w.login}: ${(err as Error).message}`;
          throw err;
        }
      }
      expect((await c.post('/logout', {})).status).toBe(303);
      expect((await c.get('/units')).status).toBe(303);
    });
  }
});
