// What the portal answers beyond the happy path: no page kept by the browser, no 500 for a NUL in a URL, error
// pages that say what applies and lead back, a person form that shows what is on file and says when the person
// left Mẫu 02, and Mẫu 03 (sheet and dashboard) saying what a district's or unit's figures cover.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../src/db/pool.js';
import type { Portal } from '../../src/portal/app.js';
import { runBatch } from '../../src/pipeline/run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deps, mockRegistry, rows, runDeps, writeParticipants } from '../helpers/pipeline.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { importTargets } from '../../src/pipeline/targets.js';
import { Client, PEOPLE, portal, seed, signedIn, xlsxText } from './harness.js';
import { fillMau02 } from './fill-mau02.js';

let t: TestDatabase;
/** A page's title, what a browser's tab and a screen reader say of it first. */
const title = (html: string) => /<title>(.*)<\/title>/.exec(html)?.[1];
let db: Db;
let dir: string;
let registryFile: string;
let app: Portal;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-answers-'));
  ({ registryFile } = await seed(db, dir));
  app = await portal(db);
});

afterAll(async () => {
  await app?.app.close();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

describe('caching', () => {
  it('tells the browser to keep no page: signed-in pages, the sign-in page and error pages', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    for (const url of ['/', '/units/HN0010001', '/units/HN0010001/people/0010000002', '/units/SG0790001']) {
      expect((await unit.get(url)).headers['cache-control'], url).toBe('no-store');
    }
    expect((await new Client(app.app).get('/login')).headers['cache-control']).toBe('no-store');
    expect((await unit.get('/static/portal.css')).headers['cache-control']).toBe('public, max-age=3600');
  });
});

describe('bytes PostgreSQL cannot take', () => {
  it('answers 404 for a NUL in a path and 400 for one in a query or a form field, never 500', async () => {
    const office = await signedIn(app.app, 'tinh-001');
    for (const url of ['/units/HN0010001%00', '/units/HN0010001%00/mau01.xlsx', '/units/HN0010001/people/0010000002%00', '/units/HN0010001/uploads/1%00/rejects.csv']) {
      const r = await office.get(url);
      expect(r.status, url).toBe(404);
      expect(r.body).toContain('Không tìm thấy trang hoặc dữ liệu này.');
    }
    const nul = await office.get('/units?q=Hoa%00Sen');
    // Titled by what happened, as a browser's tab and a screen reader say it first.
    expect([nul.status, title(nul.body)]).toEqual([400, 'Yêu cầu không hợp lệ · ddcn']);
    expect((await office.get('/?as_of=2024-01-01%00')).status).toBe(400);
    expect((await office.post('/units/HN0010001/people/0010000002', { ho_ten: 'Trần\u0000Bính' })).status).toBe(400);
    expect((await office.post('/lookup', { number: '012345602\u0000' })).status).toBe(400);
  });

  it('takes forms and uploads only: a JSON body, however deep, is refused (415), never a 500', async () => {
    const deep = '{"a":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}';
    for (const [type, payload] of [['application/json', deep], ['text/plain', 'login=tw']]) {
      const r = await app.app.inject({ method: 'POST', url: '/login', headers: { 'content-type': type }, payload });
      expect(r.statusCode, type).toBe(415);
      expect(r.body).toContain('Yêu cầu không hợp lệ.');
    }
  });

  it('says a form sends one file, when an upload has more parts than the form', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    await unit.get('/units/HN0010001');
    const boundary = '----ddcntwo';
    const part = (name: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n`;
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${unit.csrf}\r\n${part('a.xlsx')}${part('b.xlsx')}--${boundary}--\r\n`;
    const r = await unit.request('POST', '/units/HN0010001/corrections', { body, type: `multipart/form-data; boundary=${boundary}` });
    expect(r.status).toBe(413);
    expect(r.body).toContain('Mỗi lần chỉ gửi một tệp Mẫu số 02');
  });
});

describe('requests the framework or the body reader refuses', () => {
  it('answers a path that is not UTF-8 once decoded with the portal’s 404 page, kept by no browser', async () => {
    for (const url of ['/units/%FF', '/units/HN0010001/people/%C0%80', '/units/%ED%A0%80']) {
      const r = await app.app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['content-security-policy']).toContain("default-src 'none'");
      // As helmet gives the pages (no hook ran for this request).
      const page = await app.app.inject({ url: '/login' });
      const helmet = [
        'x-frame-options', 'referrer-policy', 'x-content-type-options', 'cross-origin-opener-policy', 'cross-origin-resource-policy',
        'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection',
      ];
      for (const h of helmet) expect(r.headers[h], h).toBe(page.headers[h]);
      expect(r.body).toContain('Không tìm thấy trang hoặc dữ liệu này.');
      expect(title(r.body)).toBe('Không tìm thấy · ddcn'); // as every other 404's
    }
  });

  it('answers a multipart body cut off or malformed with a 400 that says to send it again, signed in or not, never a 500', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    await unit.get('/units/HN0010001');
    const cut = '--XX\r\nContent-Disposition: form-data; name="file"; filename="mau02.xlsx"\r\n\r\nPK';
    for (const type of ['multipart/form-data; boundary=XX', 'multipart/form-data']) {
      const r = await unit.request('POST', '/units/HN0010001/corrections', { body: cut, type });
      expect(r.status, type).toBe(400);
      expect(r.body).toContain('Nội dung gửi lên không đọc được (bị ngắt giữa chừng hoặc sai định dạng). Hãy gửi lại từ trang của hệ thống.');
    }
    // Signed out, a form's file is not read at all: the answer is that the session ended (docs/interface.md).
    const out = await new Client(app.app).request('POST', '/logout', { body: cut, type: 'multipart/form-data; boundary=XX' });
    expect(out.status).toBe(403);
    expect(out.body).toContain('Bạn đã đăng xuất hoặc phiên đã hết hạn: đăng nhập lại.');
  });

  it('refuses a file sent to any form but the upload’s before reading it: the sign-in’s, which anyone may send, above all', async () => {
    // 4 MB under a sign-in form's fields: read, it was held in memory up to an upload's size (5 MB), for anyone.
    const boundary = 'XX';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="login"\r\n\r\ndv-hn1\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n`),
      Buffer.alloc(4 * 1024 * 1024, 1),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const visitor = new Client(app.app);
    await visitor.get('/login');
    for (const [who, c, url] of [['signed out', visitor, '/login'], ['signed in', await signedIn(app.app, 'tinh-001'), '/lookup']] as const) {
      const r = await c.request('POST', url, { body, type: `multipart/form-data; boundary=${boundary}` });
      expect(r.status, `${who} ${url}`).toBe(415);
      expect(r.body).toContain('<title>Định dạng không được nhận · ddcn</title>');
      expect(r.body).toContain('Biểu mẫu này không nhận tệp gửi kèm. Hãy gửi lại từ trang của hệ thống.');
    }
  });

  it('answers HEAD on a download with 404: no file made, no download audited', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const audited = async () => (await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'download'`))[0]!.n;
    const before = await audited();
    for (const url of ['/units/HN0010001/mau02.xlsx', '/units/HN0010001/mau01.xlsx', '/report/mau03.xlsx']) {
      expect((await unit.request('HEAD', url)).status, url).toBe(404);
    }
    expect(await audited()).toBe(before);
    expect((await unit.get('/units/HN0010001/mau02.xlsx')).status).toBe(200);
    expect(await audited()).toBe(before + 1);
  });
});

describe('error pages', () => {
  it('say what applies: a form over its size is not a file; a well-formed day that does not exist', async () => {
    const office = await signedIn(app.app, 'tinh-001');
    const big = await office.post('/lookup', { number: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body).toContain('Nội dung gửi quá dài');
    expect(big.body).not.toContain('Tệp quá lớn');
    const day = await office.get('/?as_of=2026-02-30');
    expect(day.status).toBe(400);
    expect(day.body).toContain('Ngày báo cáo 2026-02-30 không có trong lịch.');
    // Years 1–99 are days of the calendar too (JavaScript's Date.UTC took them for 1901–1999), but no figures were
    // kept then: a slip of the year, said as such.
    const early = await office.get('/?as_of=0001-01-01');
    expect(early.body).not.toContain('không có trong lịch');
    expect([early.status, early.body.includes('Ngày báo cáo trước năm 2000, khi chưa có số liệu: kiểm tra lại năm.')]).toEqual([400, true]);
    expect((await office.get('/?as_of=30/02/2026')).body).toContain('phải có dạng YYYY-MM-DD');
    // A day before the first import (a year mistyped): its zeros are said to be that, not shown as nothing done.
    const first = (await rows<{ first: Date }>(db, `SELECT started_at AS first FROM import_run WHERE kind = 'participants' ORDER BY id LIMIT 1`))[0]!.first;
    const vnDay = (t: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh' }).format(t); // dd/mm/yyyy
    const twoDaysEarlier = new Date(first.getTime() - 2 * 86_400_000);
    const [d, m, y] = vnDay(twoDaysEarlier).split('/');
    const before = await office.get(`/?as_of=${y}-${m}-${d}`);
    expect(before.status).toBe(200);
    expect(before.body).toContain(
      `Ngày ${d}/${m}/${y} là trước lần nhập danh sách người tham gia đầu tiên (ngày ${vnDay(first)}): khi đó chưa có ai trên hệ thống, nên các số liệu dưới đây đều bằng 0.`,
    );
    expect((await office.get('/')).body).not.toContain('trước lần nhập danh sách người tham gia đầu tiên');
    // A parameter given twice is neither one nor the other: said so, never today's figures under the link's date.
    const twice = await office.get('/?as_of=2024-06-01&period=week&as_of=2024-06-30');
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('Tham số as_of có nhiều hơn một giá trị trong địa chỉ; mỗi tham số chỉ ghi một lần.');
    expect((await office.get('/units?page=1&page=2')).body).toContain('Tham số page có nhiều hơn một giá trị');
    // So is a form field sent twice: not read as "nothing filled in", and nothing is written.
    const unit = await signedIn(app.app, 'dv-hn1');
    await unit.get('/units/HN0010001/people/0010000003');
    const form = await unit.request('POST', '/units/HN0010001/people/0010000003', {
      body: new URLSearchParams([['_csrf', unit.csrf ?? ''], ['ho_ten', 'Lê Văn Cường'], ['ho_ten', 'Lê Văn Cương']]).toString(),
      type: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(400);
    expect(form.body).toContain('Trường ho_ten có nhiều hơn một giá trị trong biểu mẫu; mỗi trường chỉ gửi một lần.');
  });

  it('lead back to the unit when below a unit in scope, and reveal nothing of one out of scope', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const own = await unit.get('/units/HN0010001/people/0099999999');
    expect(own.status).toBe(404);
    expect(own.body).toContain('<a href="/units/HN0010001">« Về trang đơn vị Công ty Hoa Sen</a>');
    const foreign = await unit.get('/units/SG0790001/people/0790000022');
    expect(foreign.status).toBe(404);
    expect(foreign.body).not.toContain('SG0790001');
    expect(foreign.body).not.toContain('Bến Nghé');
    expect(foreign.body.replace(/<header[\s\S]*<\/header>/, '')).toBe(own.body.replace(/<header[\s\S]*<\/header>/, '').replace(/<p><a href="\/units\/HN0010001">[^<]*<\/a><\/p>\n/, ''));
  });

  it('say a stale form was sent after signing out, with the way to sign in again', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    await unit.get('/units/HN0010001/people/0010000002');
    const token = unit.csrf;
    const other = new Client(app.app); // another tab of the same browser signs out
    other.cookies.set('ddcn_session', unit.cookies.get('ddcn_session')!);
    await other.post('/logout', {}, token);
    const r = await unit.post('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bính' }, token);
    expect(r.status).toBe(403);
    expect(r.body).toContain('Bạn đã đăng xuất hoặc phiên đã hết hạn: đăng nhập lại.');
    // Once signed in again, back to the form's page, to fill it in there.
    expect(r.body).toContain('<a href="/login?next=%2Funits%2FHN0010001%2Fpeople%2F0010000002">Đăng nhập lại</a>');
    expect(title(r.body)).toBe('Phiên làm việc đã hết hạn · ddcn');
    // Signed in, a form without its token is still only "expired".
    const again = await signedIn(app.app, 'dv-hn1');
    const bad = await again.post('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bính' }, 'khong-dung');
    expect(bad.status).toBe(403);
    expect(bad.body).toContain('Biểu mẫu đã hết hạn');
    expect(title(bad.body)).toBe('Biểu mẫu đã hết hạn · ddcn'); // not "session ended": it has not
  });
});

describe('small things', () => {
  it('keeps the searched number in the look-up field', async () => {
    const office = await signedIn(app.app, 'tinh-001');
    await office.get('/lookup');
    const r = await office.post('/lookup', { number: '012345602' });
    expect(r.body).toMatch(/<input name="number"[^>]* value="012345602">/);
  });

  it('audits a refused upload of a wrong type, without its file name', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    await unit.get('/units/HN0010001');
    const r = await unit.upload('/units/HN0010001/corrections', { name: 'Trần Thị Bích.csv', body: Buffer.from('a,b\n') });
    expect(r.status).toBe(415);
    const audited = await rows<{ object: string; result: string }>(db, `SELECT object, result FROM audit_log WHERE action = 'upload' AND result = 'refused 415'`);
    expect(audited).toEqual([{ object: 'mau02 HN0010001', result: 'refused 415' }]);
  });

  it('promises a new verification after an upload only when someone was corrected', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    await unit.get('/units/HN0010001');
    const sent = new Date();
    const r = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: sheet.raw }); // nothing filled in
    expect(r.status).toBe(200);
    expect(r.body).toContain('0 người được điều chỉnh');
    // Which sending this is, in Vietnam's time (a page kept open, or come back to, the next day).
    const at = /của đơn vị HN0010001, gửi lúc (\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):/.exec(r.body);
    expect(at, 'the time it was sent').not.toBeNull();
    const [, d, mo, y, h, mi] = at!.map(Number);
    expect(Math.abs(Date.UTC(y!, mo! - 1, d!, h! - 7, mi!) - sent.getTime())).toBeLessThan(2 * 60_000);
    expect(r.body).not.toContain('sẽ được xác thực lại');
  });

  it('says, when every row filled in was refused, that nothing was taken and where the reasons are, not that nothing changed', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    await unit.get('/units/HN0010001');
    const filled = await fillMau02(sheet.raw, { '0010000003': { 11: '31/02/1979' } }); // no such day
    const r = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: filled });
    expect(r.status).toBe(200);
    expect(r.body).toContain('0 người được điều chỉnh');
    expect(r.body).toContain('1 dòng không nhận');
    expect(r.body).not.toContain('không có thông tin nào thay đổi');
    expect(r.body).toContain('Không có ai được điều chỉnh: các dòng đã điền đều không được nhận.');
  });

  it('does not say every row was refused when the rest were the same as on file', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    await unit.get('/units/HN0010001');
    const [stored] = await rows<{ ho_ten: string }>(db, `SELECT ho_ten FROM participant WHERE ma_so_bhxh = '0010000002'`);
    const filled = await fillMau02(sheet.raw, { '0010000002': { 10: stored!.ho_ten }, '0010000003': { 11: '31/02/1979' } });
    const r = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: filled });
    expect(r.body).toContain('1 dòng giống thông tin đang lưu');
    expect(r.body).toContain('1 dòng không nhận');
    expect(r.body).not.toContain('đều không được nhận');
    expect(r.body).toContain('Không có ai được điều chỉnh: các dòng đã điền hoặc giống thông tin đang lưu, hoặc không được nhận.');
  });

  it('offers a list download only for a form the unit has people on', async () => {
    // HN1: one matched (Mẫu 01), two on Mẫu 02. Its matched person moved away: no one on Mẫu 01 any more.
    const office = await signedIn(app.app, 'tw');
    const before = await office.get('/units/HN0010001');
    expect(before.body).toContain('Tải Mẫu số 01 (.xlsx)');
    expect(before.body).toContain('Tải Mẫu số 02 (.xlsx)');
    await db.query(`INSERT INTO unit (ma_don_vi, ten_don_vi, ma_tinh, ma_huyen, updated_at) VALUES ('HN0010099', 'Công ty Trống', '001', '005', now())`);
    const empty = await office.get('/units/HN0010099');
    expect(empty.status).toBe(200);
    expect(empty.body).not.toContain('mau01.xlsx');
    expect(empty.body).not.toContain('mau02.xlsx');
    expect(empty.body).toContain('Đơn vị chưa có ai trên Mẫu số 01.');
    expect(empty.body).toContain('Đơn vị chưa có ai trên Mẫu số 02.');
  });
});

describe('the person form', () => {
  it('shows what is on file: name, date of birth, sex and number', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const r = await unit.get('/units/HN0010001/people/0010000002');
    const stored = /<dl class="facts stored">([\s\S]*?)<\/dl>/.exec(r.body)?.[1] ?? '';
    expect(stored).toContain('<dd>Trần Thị Bích</dd>');
    expect(stored).toContain('<dd>12/07/1985</dd>');
    expect(stored).toContain('<dd>Nữ</dd>');
    expect(stored).toContain('<dd class="code">012345602</dd>');
  });
});

describe('Mẫu 03 of a district or a unit', () => {
  it('says what it covers, on the sheet and the dashboard, and labels the unit’s row as the unit', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const sheet = await xlsxText((await unit.get('/report/mau03.xlsx')).raw);
    expect(sheet).toContain('Phạm vi: đơn vị HN0010001 — Công ty Hoa Sen');
    expect(sheet).toContain('CÔNG TY HOA SEN');
    expect(sheet).toContain('Công ty Hoa Sen (HN0010001)');
    for (const national of ['toàn quốc', 'TRUNG TÂM CÔNG NGHỆ THÔNG TIN', 'Hà Nội (001)']) expect(sheet).not.toContain(national);
    const dashboard = await unit.get('/');
    expect(dashboard.body).toContain('Phạm vi: đơn vị HN0010001 — Công ty Hoa Sen');
    expect(dashboard.body).toContain('<td>Công ty Hoa Sen (HN0010001)</td>');
    expect(dashboard.body).not.toContain('Hà Nội (001)');

    const district = await signedIn(app.app, 'huyen-001-005');
    const districtSheet = await xlsxText((await district.get('/report/mau03.xlsx')).raw);
    expect(districtSheet).toMatch(/Phạm vi: .*\(005\), BHXH THÀNH PHỐ HÀ NỘI/);
    expect(districtSheet).not.toContain('theo quận, huyện');
    expect((await district.get('/')).body).toMatch(/Phạm vi: .*\(005\), BHXH THÀNH PHỐ HÀ NỘI/);

    // A province's sheet is `ddcn report progress --province`'s, unchanged.
    const province = await signedIn(app.app, 'tinh-001');
    expect(await xlsxText((await province.get('/report/mau03.xlsx')).raw)).toContain('Phạm vi: BHXH THÀNH PHỐ HÀ NỘI, theo quận, huyện');
  });

  it('shows the columns (12) re-verified and matched and (13) sent to the IT centre on the dashboard', async () => {
    const office = await signedIn(app.app, 'tinh-001');
    const r = await office.get('/');
    expect(r.body).toContain('<th scope="col" class="num">Xác thực lại khớp</th>');
    expect(r.body).toContain('<th scope="col" class="num">Chuyển TT CNTT hỗ trợ</th>');
    const total = /<tr class="total">([\s\S]*?)<\/tr>/.exec(r.body)![1]!;
    expect([...total.matchAll(/<td class="num">/g)]).toHaveLength(10);
  });
});

describe('the dashboard’s VssID columns (14)–(17)', () => {
  it('shows each row’s target, accounts, rate against the target and increase, as Mẫu 03 does', async () => {
    // One Hà Nội person has an account now; Hà Nội has a target of 4, TP Hồ Chí Minh none.
    const today = { ...deps(db), now: () => new Date() }; // the portal's clock: this week's increase
    await importParticipants(today, await writeParticipants(dir, PEOPLE.map((p, i) => ({ ...p, vssid: i === 0 ? '1' : '' })), 'vssid.csv'));
    await writeFile(path.join(dir, 'targets.csv'), 'ma_tinh,chi_tieu_vssid\n001,4\n');
    await importTargets(deps(db), path.join(dir, 'targets.csv'));
    const r = await (await signedIn(app.app, 'tw')).get('/');
    const table = /<table class="figures vssid">([\s\S]*?)<\/table>/.exec(r.body)![1]!;
    const cells = (label: string) =>
      [...new RegExp(`<tr[^>]*>\\s*<td>${label}</td>([\\s\\S]*?)</tr>`).exec(table)![1]!.matchAll(/<td class="(?:num|bar-col)">([\s\S]*?)<\/td>/g)].map((m) =>
        m[1]!.includes('<svg') ? /aria-label="([^"]*)"/.exec(m[1]!)![1] : m[1]!.trim(),
      );
    // target, accounts, rate against the target, increase in the week, participants
    expect(cells('Hà Nội \\(001\\)')).toEqual(['4', '1', '25 %', '1', '6']);
    expect(cells('Hồ Chí Minh \\(079\\)')).toEqual(['–', '0', '–', '0', '3']);
    expect(cells('Tổng cộng')).toEqual(['–', '1', '–', '1', '9']); // a total over rows that do not all have a target
    // The same figures as columns (14)–(17) of the Mẫu 03 the page offers.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await (await signedIn(app.app, 'tw')).get('/report/mau03.xlsx')).raw as unknown as ArrayBuffer);
    const sheetRows: string[][] = [];
    wb.worksheets[0]!.eachRow((row) => sheetRows.push(Array.from({ length: 18 }, (_, i) => row.getCell(i + 1).text)));
    const hanoi = sheetRows.find((row) => row[1] === 'Hà Nội (001)')!;
    expect(hanoi.slice(13, 17)).toEqual(['4', '1', '0.25', '1']); // the rate cell holds its fraction, shown as a percentage
  });
});

// Last: it runs a verification, which moves people between the forms.
describe('a person matched after the form was opened', () => {
  it('answers a page that says so, 409, not "not found"; out of scope stays 404', async () => {
    const unit = await signedIn(app.app, 'dv-hn1');
    const form = await unit.get('/units/HN0010001/people/0010000002');
    expect(form.status).toBe(200);
    // Another clerk corrects the person and the night's run matches them, while this form stays open.
    const other = await signedIn(app.app, 'dv-hn1');
    await other.get('/units/HN0010001/people/0010000002');
    expect((await other.submit('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bính' })).status).toBe(200);
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect((await rows<{ status: string }>(db, `SELECT status FROM participant WHERE ma_so_bhxh = '0010000002'`))[0]!.status).toBe('MATCHED');
    const sent = await unit.post('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bính' });
    expect(sent.status).toBe(409);
    expect(sent.body).toContain('đã được xác thực khớp');
    expect(sent.body).toContain('<a href="/units/HN0010001">« Về trang đơn vị</a>');
    expect((await unit.post('/units/SG0790001/people/0790000021', { ho_ten: 'X' })).status).toBe(404); // matched, another scope
    expect((await unit.post('/units/HN0010001/people/0790000021', { ho_ten: 'X' })).status).toBe(404);
  });
});
