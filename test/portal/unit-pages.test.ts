// A unit's page shows its Mẫu 02 people a page at a time: every person on exactly one page, in the list's order,
// with the total and the links between pages; a page past the end says so.
import { afterEach, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/db/portal-users.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import type { Portal } from '../../src/portal/app.js';
import { hashPassword } from '../../src/portal/passwords.js';
import { databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { PASSWORD, portal, signedIn } from './harness.js';

const database = databasePerFile();
let open: Portal | undefined;
afterEach(async () => {
  await open?.app.close();
  open = undefined;
});

const UNIT = { ma_don_vi: 'HN0010077', ten_don_vi: 'Công ty Đông Người', ma_tinh: '001', ma_huyen: '005' };
const COUNT = 230; // 100 + 100 + 30
const code = (i: number) => `00100${String(i).padStart(5, '0')}`;

describe('a unit page with many people on its Mẫu 02', () => {
  it('pages through them: each person once, in order, with the total and the way to the next page', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const people = Array.from({ length: COUNT }, (_, i) => ({
      ma_so_bhxh: code(i + 1), ho_ten: `Nguyễn Văn Người ${i + 1}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: '', ...UNIT,
    }));
    await importParticipants(deps(db), await writeParticipants(dir, people));
    await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, []))), { province: null });
    await insertUser(db, { login: 'tinh', scope: { role: 'province', maTinh: '001' }, passwordHash: await hashPassword(PASSWORD), now: new Date() });
    open = await portal(db);
    const office = await signedIn(open.app, 'tinh');

    const seen: string[] = [];
    let url: string | null = `/units/${UNIT.ma_don_vi}`;
    const pages: string[] = [];
    while (url) {
      const page = await office.get(url);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Người tham gia trên Mẫu số 02 (230)');
      pages.push(page.body);
      seen.push(...[...page.body.matchAll(/<td class="code"[^>]*>(\d+)<\/td>/g)].map((m) => m[1]!));
      url = /<a href="([^"]+)">Trang sau »<\/a>/.exec(page.body)?.[1]?.replace(/&amp;/g, '&') ?? null;
      expect(pages.length).toBeLessThanOrEqual(3);
    }
    expect(pages).toHaveLength(3);
    expect(seen).toEqual(people.map((p) => p.ma_so_bhxh));
    expect(pages[0]).toContain('Trang 1/3');
    expect(pages[0]).not.toContain('Trang trước');
    expect(pages[2]).toContain('Người thứ 201–230');
    expect(pages[2]).toContain(`<a href="/units/${UNIT.ma_don_vi}?page=2">« Trang trước</a>`);

    const beyond = await office.get(`/units/${UNIT.ma_don_vi}?page=9`);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toContain('Trang này không có ai.');
    expect(beyond.body).not.toMatch(/<td class="code"/);
  });
});

describe('the unit list search', () => {
  it('finds a unit by the start of its code or a part of its name, whatever the letter case, Vietnamese letters too', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const units = [
      { ma_don_vi: 'ĐN0010001', ten_don_vi: 'Công ty Đông Người', ma_tinh: '001', ma_huyen: '005' },
      { ma_don_vi: 'HN0010002', ten_don_vi: 'Xí nghiệp Bình Minh', ma_tinh: '001', ma_huyen: '005' },
    ];
    const people = units.map((u, i) => ({ ma_so_bhxh: code(i + 1), ho_ten: `Trần Thị Mai ${i + 1}`, ngay_sinh: '1990', gioi_tinh: 'Nữ', so_giay_to: '', ...u }));
    await importParticipants(deps(db), await writeParticipants(dir, people));
    await insertUser(db, { login: 'tinh', scope: { role: 'province', maTinh: '001' }, passwordHash: await hashPassword(PASSWORD), now: new Date() });
    open = await portal(db);
    const office = await signedIn(open.app, 'tinh');
    const found = async (q: string) => {
      const page = await office.get(`/units?q=${encodeURIComponent(q)}`);
      expect(page.status).toBe(200);
      return units.filter((u) => page.body.includes(`/units/${encodeURIComponent(u.ma_don_vi)}`)).map((u) => u.ma_don_vi);
    };
    expect(await found('đn001')).toEqual(['ĐN0010001']); // a code compares byte by byte (migration 0022), the search not
    expect(await found('hn001')).toEqual(['HN0010002']);
    expect(await found('BÌNH')).toEqual(['HN0010002']);
    expect(await found('0010')).toEqual([]); // the code's start, not any part of it
    // A page past the end says so and leads to the first page, the search kept; not "no unit" and a previous page as
    // empty as this one.
    for (const [url, first] of [['/units?page=7', '/units?page=1'], ['/units?q=b%C3%ACnh&page=3', '/units?q=b%C3%ACnh&amp;page=1']] as const) {
      const beyond = await office.get(url);
      expect(beyond.status).toBe(200);
      expect(beyond.body).toMatch(/Trang \d không có đơn vị nào/);
      expect(beyond.body).not.toContain('Không có đơn vị nào');
      expect(beyond.body).toContain(`<a href="${first}">Về trang đầu</a>`);
      expect(beyond.body).not.toContain('Trang trước');
    }
    // Beyond the pages it shows at all (1 000) a number is that last page, however many digits it has.
    for (const page of ['1001', '9999999', '1'.padEnd(400, '0')]) expect((await office.get(`/units?page=${page}`)).body).toContain('Trang 1000 không có đơn vị nào');
  });
});

describe('the unit list search, as people type', () => {
  it('ignores tones, đ, letter case, decomposed letters and runs of spaces; takes %, _ and \\ as themselves', async () => {
    const { db } = database();
    const names = {
      HN0010101: 'Trường THCS Chu Văn An',
      HN0010102: 'Công ty  Xây dựng   Hà Nội', // stored with runs of spaces
      HN0010103: 'Công ty Số 100',
      HN0010104: 'Quỹ 100% vốn nhà nước',
      HN0010105: 'Công ty A_B',
      HN0010106: 'Đoàn Luật sư',
      HN0010107: 'Trạm\u00a0Y tế\u200b Ðông Anh', // a no-break space and a zero-width one pasted from Excel; Ð for Đ
    };
    for (const [code, name] of Object.entries(names)) {
      await db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, ma_tinh, ma_huyen, updated_at) VALUES ($1, $2, '001', '005', now())`, [code, name]);
    }
    await insertUser(db, { login: 'tinh', scope: { role: 'province', maTinh: '001' }, passwordHash: await hashPassword(PASSWORD), now: new Date() });
    open = await portal(db);
    const office = await signedIn(open.app, 'tinh');
    const found = async (q: string) => {
      const page = await office.get(`/units?q=${encodeURIComponent(q)}`);
      expect(page.status, q).toBe(200);
      return Object.keys(names).filter((c) => page.body.includes(`/units/${c}"`));
    };
    expect(await found('chu van an')).toEqual(['HN0010101']);
    expect(await found('truong')).toEqual(['HN0010101']);
    expect(await found('TRƯỜNG thcs')).toEqual(['HN0010101']);
    expect(await found('Chu Văn An'.normalize('NFD'))).toEqual(['HN0010101']);
    expect(await found('Chu  Văn   An')).toEqual(['HN0010101']);
    expect(await found('ha noi')).toEqual(['HN0010102']);
    expect(await found('xây dựng hà nội')).toEqual(['HN0010102']);
    expect(await found('doan luat')).toEqual(['HN0010106']);
    expect(await found('%')).toEqual(['HN0010104']);
    expect(await found('100%')).toEqual(['HN0010104']);
    expect(await found('100')).toEqual(['HN0010103', 'HN0010104']);
    expect(await found('a_b')).toEqual(['HN0010105']);
    expect(await found('_')).toEqual(['HN0010105']);
    expect(await found('\\')).toEqual([]);
    expect(await found('tram y te dong anh')).toEqual(['HN0010107']);
    // A name not folded yet (migration 0026 not applied: it failed, or runs meanwhile) is folded as it is read.
    await db.query(`ALTER TABLE unit DISABLE TRIGGER unit_fold_name; UPDATE unit SET ten_don_vi_fold = NULL WHERE ma_don_vi = 'HN0010101';
                    ALTER TABLE unit ENABLE TRIGGER unit_fold_name`);
    expect(await found('chu van an')).toEqual(['HN0010101']);
    expect(await found('\u0301\u0300')).toEqual([]); // marks alone fold to nothing: no name matches, not every one
    expect(await found('hn00101')).toEqual(Object.keys(names)); // the code's start
  });
});

describe('the downloads of a unit whose code is not plain ASCII', () => {
  it('are named with the code as it is written (filename*), and an ASCII stand-in for older clients', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const unit = { ma_don_vi: 'ĐV-ĐẶC/01', ten_don_vi: 'Hợp tác xã Đặc Biệt', ma_tinh: '001', ma_huyen: '005' };
    await importParticipants(deps(db), await writeParticipants(dir, [{ ma_so_bhxh: code(1), ho_ten: 'Phạm Văn Đặc', ngay_sinh: '1980', gioi_tinh: 'Nam', so_giay_to: '', ...unit }]));
    await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, []))), { province: null });
    await insertUser(db, { login: 'tinh', scope: { role: 'province', maTinh: '001' }, passwordHash: await hashPassword(PASSWORD), now: new Date() });
    open = await portal(db);
    const office = await signedIn(open.app, 'tinh');
    const file = await office.get(`/units/${encodeURIComponent(unit.ma_don_vi)}/mau02.xlsx`);
    expect(file.status).toBe(200);
    const [, ascii, utf8] = /^attachment; filename="([^"]+)"; filename\*=UTF-8''(\S+)$/.exec(String(file.headers['content-disposition'])) ?? [];
    expect(ascii).toMatch(/^mau02-_V-__C_01-\d{4}-\d{2}-\d{2}\.xlsx$/);
    // The slash, which no file name can hold, is '_' in both.
    expect(decodeURIComponent(utf8 ?? '')).toMatch(/^mau02-ĐV-ĐẶC_01-\d{4}-\d{2}-\d{2}\.xlsx$/);
  });
});

describe('the unit list of an office whose people include some without a unit code', () => {
  it('says how many of its people have no unit (so no row), on its first page only, and a unit account is told nothing', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const person = (i: number, over: Record<string, string>) => ({
      ma_so_bhxh: code(i), ho_ten: `Trần Văn Số ${i}`, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: '', ...UNIT, ...over,
    });
    await importParticipants(deps(db), await writeParticipants(dir, [
      person(1, {}), person(2, {}),
      person(3, { ma_don_vi: '', ten_don_vi: '' }), person(4, { ma_don_vi: '', ten_don_vi: '', ma_huyen: '006' }),
      person(5, { ma_don_vi: '', ten_don_vi: '', ma_tinh: '079', ma_huyen: '760' }), // another province's
    ]));
    const now = new Date();
    for (const [login, scope] of [
      ['tinh', { role: 'province', maTinh: '001' }], ['huyen', { role: 'district', maTinh: '001', maHuyen: '005' }],
      ['dv', { role: 'unit', maDonVi: UNIT.ma_don_vi }],
    ] as const) await insertUser(db, { login, scope, passwordHash: await hashPassword(PASSWORD), now });
    open = await portal(db);
    const note = (body: string) => /<p class="muted unitless">([\d.]+) người tham gia thuộc phạm vi quản lý chưa có mã đơn vị/.exec(body)?.[1] ?? null;
    const province = await signedIn(open.app, 'tinh');
    expect(note((await province.get('/units')).body)).toBe('2');
    expect(note((await province.get('/units?q=HN')).body)).toBeNull(); // a search lists what it found, nothing else
    expect(note((await (await signedIn(open.app, 'huyen')).get('/units')).body)).toBe('1');
    expect((await (await signedIn(open.app, 'dv')).get('/units')).body).not.toContain('unitless');
  });
});
