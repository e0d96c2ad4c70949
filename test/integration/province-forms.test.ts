// One province, one form: a province's code written `79` by some rows and `079` by others (`1`, `01`, `001`: a
// number cell that lost its zeros, 2-digit GSO or 3-digit CCCD codes) is one province — one folder of lists, one
// line on Mẫu 03, one province account that sees everyone — stored in the form first on file.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { importParticipants, type ImportOptions } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { progressFigures } from '../../src/pipeline/progress-report.js';
import { runBatch } from '../../src/pipeline/run.js';
import { ddcn } from '../helpers/cli.js';
import {
  databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput,
} from '../helpers/pipeline.js';
import { Client, portal } from '../portal/harness.js';

const database = databasePerFile();

const SG1 = { ma_don_vi: 'SG1', ten_don_vi: 'Công ty Bến Nghé', ma_huyen: '760' };
const SG2 = { ma_don_vi: 'SG2', ten_don_vi: 'Công ty Sài Gòn', ma_huyen: '770' };
const HN1 = { ma_don_vi: 'HN1', ten_don_vi: 'Công ty Hoa Sen', ma_huyen: '005' };
const HN2 = { ma_don_vi: 'HN2', ten_don_vi: 'Công ty Trúc Xanh', ma_huyen: '006' };

/** Each person: the registry confirms the odd ones (Mẫu 01), the even ones have no number (Mẫu 02). */
const person = (n: number, ma_tinh: string, unit: typeof SG1, name = 'Trần Thị Lan'): ParticipantInput => ({
  ma_so_bhxh: `${ma_tinh.padStart(3, '0')}000000${n}`.slice(0, 10),
  ho_ten: name, ngay_sinh: `198${n}`, gioi_tinh: 'Nữ', so_giay_to: n % 2 ? `07918${n}00000${n}` : '', ma_tinh, ...unit,
});
const registryOf = (people: ParticipantInput[]) =>
  people.filter((p) => p.so_giay_to).map((p) => ({ so_ddcn: p.so_giay_to!, ho_ten: p.ho_ten!, ngay_sinh: p.ngay_sinh!, gioi_tinh: 'Nữ' }));

// Hồ Chí Minh written three times 79 and twice 079, 79 first; Hà Nội as 01, 001 and 1, 01 first.
const MIXED: ParticipantInput[] = [
  person(1, '79', SG1), person(2, '079', SG1), person(3, '079', SG2), person(4, '79', SG2), person(5, '79', SG1),
  person(6, '01', HN1), person(7, '001', HN1), person(8, '1', HN2),
];

/** The folders of the lists, province/unit, sorted: what an office finds on the share. */
async function folders(out: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(out, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /^mau0[12]\.xlsx$/.test(e.name)) found.push(path.relative(out, e.parentPath));
  }
  return [...new Set(found)].sort();
}

async function importRunList(db: Db, dir: string, people: ParticipantInput[], options: ImportOptions = {}) {
  await importParticipants(deps(db), await writeParticipants(dir, people), undefined, options);
  await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, registryOf(people)))), { province: null });
  const out = path.join(dir, 'lists');
  await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
  return folders(out);
}

/** Mẫu 03's province lines as the national report has them: label, participants, matched. */
async function mau03(db: Db) {
  const report = await progressFigures(deps(db), { period: 'month', asOf: null, province: null });
  return report.rows.map((r) => [r.label, r.total, r.matched]);
}

/** `ddcn users add` of a province account; its generated password, printed on stdout. */
async function addProvinceAccount(url: string, login: string, province: string): Promise<string> {
  const added = await ddcn(['users', 'add', login, '--role', 'province', '--province', province], { DATABASE_URL: url });
  expect(added.stderr).toContain(`account ${login} (province) created`);
  return added.stdout.trim();
}

/** What a province office signed in to the portal sees on its dashboard: how many participants. */
async function dashboardTotal(db: Db, login: string, password: string): Promise<number> {
  const app = await portal(db);
  try {
    const office = new Client(app.app);
    expect((await office.signIn(login, password)).status).toBe(303);
    const page = await office.get('/?period=month');
    return Number(/<span class="n">(\d+)<\/span><span>người tham gia<\/span>/.exec(page.body)![1]);
  } finally {
    await app.app.close();
  }
}

const stateForms = (db: Db) => rows<{ ma_tinh: string; n: number }>(db, 'SELECT ma_tinh, count(*)::int AS n FROM participant_state GROUP BY 1 ORDER BY 1');

describe('a province written in two forms in one file', () => {
  it.each([
    ['the bulk load', {}],
    // A later segment writing a province in the other form than the segment that put it on file.
    ['the bulk load, in segments of 2', { chunkSize: 2 }],
    ['the chunked path, in chunks of 3', { bulk: false, chunkSize: 3 } as const],
  ])('is one province in the first line’s form: one folder, one line on Mẫu 03, one account that sees all (%s)', async (_, options) => {
    const { db, url } = database();
    const dir = await useTempDir();
    expect(await importRunList(db, dir, MIXED, options)).toEqual(['01/HN1', '01/HN2', '79/SG1', '79/SG2']);
    expect(await mau03(db)).toEqual([['Hà Nội (01)', 3, 1], ['Hồ Chí Minh (79)', 5, 3]]);
    expect(await rows(db, 'SELECT ma_don_vi, ma_tinh FROM unit ORDER BY 1')).toEqual([
      { ma_don_vi: 'HN1', ma_tinh: '01' }, { ma_don_vi: 'HN2', ma_tinh: '01' }, { ma_don_vi: 'SG1', ma_tinh: '79' }, { ma_don_vi: 'SG2', ma_tinh: '79' },
    ]);
    expect(await stateForms(db)).toEqual([{ ma_tinh: '01', n: 3 }, { ma_tinh: '79', n: 5 }]);

    // An office's account, given in any form, is the province on file, and its dashboard counts everyone in it.
    const hcm = await addProvinceAccount(url, 'tinh-79', '079');
    const hn = await addProvinceAccount(url, 'tinh-01', '1');
    expect(await rows(db, 'SELECT login, ma_tinh FROM portal_user ORDER BY 1')).toEqual([
      { login: 'tinh-01', ma_tinh: '01' }, { login: 'tinh-79', ma_tinh: '79' },
    ]);
    expect(await dashboardTotal(db, 'tinh-79', hcm)).toBe(5);
    expect(await dashboardTotal(db, 'tinh-01', hn)).toBe(3);
  });
});

describe('a later file writing the other form', () => {
  it('keeps the form on file, for new and existing people, and its unchanged re-import changes nothing', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const first = [person(1, '79', SG1), person(2, '79', SG2)];
    // Each import at its own time, as on successive nights (an update is told by its time).
    const night = (n: number) => ({ ...deps(db), now: () => new Date(Date.UTC(2024, 5, n, 20)) });
    await importParticipants(night(1), await writeParticipants(dir, first, 'a.csv'));
    // Written 079: the first person as they were, the second with a new name, a third new; and a new unit.
    const second = [
      { ...first[0]!, ma_tinh: '079' }, { ...first[1]!, ma_tinh: '079', ho_ten: 'Trần Thị Lanh' }, person(3, '079', { ...SG1, ma_don_vi: 'SG3' }),
    ];
    const b = path.join(dir, 'b.csv');
    await writeParticipants(dir, second, 'b.csv');
    const r1 = await importParticipants(night(2), b);
    expect([r1.inserted, r1.updated, r1.unchanged]).toEqual([1, 1, 1]);
    expect(await rows(db, 'SELECT DISTINCT ma_tinh FROM participant UNION SELECT ma_tinh FROM unit')).toEqual([{ ma_tinh: '79' }]);
    // One state row each: the form never changed, and the name is not a state.
    expect(await stateForms(db)).toEqual([{ ma_tinh: '79', n: 3 }]);

    const before = await rows(db, 'SELECT * FROM participant_state ORDER BY id');
    const r2 = await importParticipants(night(3), b);
    expect([r2.inserted, r2.updated, r2.unchanged]).toEqual([0, 0, 3]);
    expect(await rows(db, 'SELECT * FROM participant_state ORDER BY id')).toEqual(before);
    expect(await rows(db, 'SELECT DISTINCT ma_tinh FROM participant')).toEqual([{ ma_tinh: '79' }]);
    // A changed line of it, imported on the chunked path, does not flip the form back either.
    await writeParticipants(dir, [{ ...second[0]!, vssid: '1' }], 'c.csv');
    const r3 = await importParticipants(night(4), path.join(dir, 'c.csv'));
    expect([r3.inserted, r3.updated]).toEqual([0, 1]);
    expect(await stateForms(db)).toEqual([{ ma_tinh: '79', n: 4 }]); // the VssID account's state row, in 79
  });
});

describe('a province written one way throughout', () => {
  it.each([
    ['079', '79', ['079/HN1', '079/SG1']],
    ['79', '079', ['79/HN1', '79/SG1']],
    ['1', '001', ['1/HN1', '1/SG1']],
  ])('keeps the form the data writes (%s), in the lists, for accounts and against a later file writing %s', async (form, other, expected) => {
    const { db, url } = database();
    const dir = await useTempDir();
    const people = [person(1, form, SG1), person(2, form, SG1), person(3, form, HN1)];
    expect(await importRunList(db, dir, people)).toEqual(expected);
    await addProvinceAccount(url, 'tinh', other);
    expect(await rows(db, 'SELECT ma_tinh FROM portal_user')).toEqual([{ ma_tinh: form }]);
    await importParticipants(deps(db), await writeParticipants(dir, [person(4, other, SG2)], 'later.csv'));
    expect(await rows(db, 'SELECT DISTINCT ma_tinh FROM participant UNION SELECT ma_tinh FROM unit')).toEqual([{ ma_tinh: form }]);
  });
});

describe('the form a province takes when it first comes on file', () => {
  it('is given to the accounts made before any participant was, so that they see their people', async () => {
    const { db, url } = database();
    const dir = await useTempDir();
    // On an empty database the account's code cannot be checked: it is kept as given (79), then the data writes 079.
    const hcm = await addProvinceAccount(url, 'tinh-hcm', '79');
    await importParticipants(deps(db), await writeParticipants(dir, [person(1, '079', SG1), person(2, '079', SG2)]));
    expect(await rows(db, 'SELECT ma_tinh FROM portal_user')).toEqual([{ ma_tinh: '079' }]);
    expect(await dashboardTotal(db, 'tinh-hcm', hcm)).toBe(2);
  });

  it.each([
    ['the bulk load', {}],
    ['the chunked path', { bulk: false, chunkSize: 2 } as const],
  ])('is not taken from a line rejected as a later line of its key (%s)', async (_, options) => {
    const { db } = database();
    const dir = await useTempDir();
    const first = person(1, '79', SG1);
    // The second line repeats the first one's key (rejected) and is the first to name Hà Nội, as 001; then 01.
    const file = await writeParticipants(dir, [first, { ...first, ma_tinh: '001', ...HN1 }, person(2, '01', HN2)]);
    const r = await importParticipants(deps(db), file, undefined, options);
    expect([r.inserted, r.rejected]).toEqual([2, 1]);
    expect(await rows(db, 'SELECT ma_tinh FROM participant ORDER BY 1')).toEqual([{ ma_tinh: '01' }, { ma_tinh: '79' }]);
  });
});
