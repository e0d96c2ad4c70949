// Accounts and sessions over HTTP: sign-in and its audit, CSRF on every form, a disabled account or a new password
// ending sessions at once, the lock-out after repeated failures, the idle timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { disableUser, setPassword } from '../../src/db/portal-users.js';
import { hashPassword } from '../../src/portal/passwords.js';
import { databasePerFile, rows, useTempDir } from '../helpers/pipeline.js';
import { Client, PASSWORD, portal, seed, signedIn } from './harness.js';
import type { Portal } from '../../src/portal/app.js';

const database = databasePerFile();
let open: Portal | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

async function setUp(settings = {}, now?: () => Date) {
  const { db } = database();
  await seed(db, await useTempDir());
  open = await portal(db, settings, now);
  return { db, app: open.app };
}

const auditRows = (db: Parameters<typeof rows>[0]) =>
  rows<{ login: string | null; action: string; object: string; result: string; ip: string | null }>(db, 'SELECT login, action, object, result, ip FROM audit_log ORDER BY id');

describe('portal sign-in', () => {
  it('signs in with the right password (303 to / with an httpOnly SameSite=Lax cookie) and refuses a wrong one with 401', async () => {
    const { db, app } = await setUp();
    const c = new Client(app);
    expect((await c.get('/')).status).toBe(303);
    const bad = await c.signIn('tinh-001', 'sai-mat-khau-roi');
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('Tên đăng nhập hoặc mật khẩu không đúng');
    const ok = await c.signIn('tinh-001');
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    const cookie = [ok.headers['set-cookie']].flat().find((s) => String(s).startsWith('ddcn_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const home = await c.get('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Tiến độ cập nhật số ĐDCN/CCCD');
    await c.post('/logout', {});
    expect((await c.get('/')).status).toBe(303);
    const trail = await auditRows(db);
    expect(trail.map((r) => [r.login, r.action, r.result])).toEqual([
      ['tinh-001', 'login', 'wrong-password'],
      ['tinh-001', 'login', 'ok'],
      ['tinh-001', 'logout', 'ok'],
    ]);
    // No password in the trail, whatever the outcome.
    expect(JSON.stringify(trail)).not.toContain('sai-mat-khau-roi');
    expect(JSON.stringify(trail)).not.toContain(PASSWORD);
  });

  it('leads back to the page asked before sign-in, and only to a page of the portal', async () => {
    const { app } = await setUp();
    const c = new Client(app);
    const asked = await c.get('/units/HN0010002?trang=1');
    expect(asked.status).toBe(303);
    expect(asked.headers.location).toBe('/login?next=%2Funits%2FHN0010002%3Ftrang%3D1');
    const form = await c.get(String(asked.headers.location));
    expect(form.body).toContain('<input type="hidden" name="next" value="/units/HN0010002?trang=1">');
    // Said why the sign-in form came instead of the page, and that the page follows; not on the plain sign-in page.
    const why = 'Trang bạn mở cần đăng nhập (phiên làm việc có thể đã hết hạn). Đăng nhập để tiếp tục: hệ thống sẽ đưa bạn về đúng trang đó.';
    expect(form.body).toContain(why);
    expect((await c.get('/login')).body).not.toContain(why);
    // A wrong password keeps where to go; the right one goes there.
    expect((await c.post('/login', { login: 'tinh-001', password: 'sai-mat-khau-roi', next: '/units/HN0010002?trang=1' })).body)
      .toContain('name="next" value="/units/HN0010002?trang=1"');
    const ok = await c.post('/login', { login: 'tinh-001', password: PASSWORD, next: '/units/HN0010002?trang=1' });
    expect([ok.status, ok.headers.location]).toEqual([303, '/units/HN0010002?trang=1']);
    expect((await c.get('/units/HN0010002?trang=1')).status).toBe(200);
    // A file asked while signed out leads back to the page that offers it: sent on to the file, the browser kept
    // showing the sign-in form, filled in, and the clerk took the file for not received.
    const files: Array<[string, string]> = [
      ['/units/HN0010001/mau02.xlsx', '/units/HN0010001'],
      ['/units/HN0010001/uploads/7/rejects.csv', '/units/HN0010001/uploads/7'],
      ['/report/mau03.xlsx?as_of=2026-06-30&period=week', '/?as_of=2026-06-30&period=week'],
      ['/audit.csv', '/login'],
      ['/units/DV.csv', '/units/DV.csv'], // a unit's page, whatever its code ends with
    ];
    for (const [file, page] of files) {
      const r = await new Client(app).get(file);
      expect([file, r.status, r.headers.location]).toEqual([file, 303, page === '/login' ? page : `/login?next=${encodeURIComponent(page)}`]);
    }
    // A link typed by hand with a letter beyond ASCII or a space in `next` (the browser sends it percent-encoded; it
    // is read decoded): there all the same, written as a browser writes it — not a 500 once the password was right.
    expect((await c.get('/login?next=%2Funits%2F%C4%90V%2001%3Fq%3D%E1%BA%BE')).headers.location).toBe('/units/%C4%90V%2001?q=%E1%BA%BE');
    for (const next of ['/units/ĐV 01?q=Ế', '/units/%C4%90V%2001?q=%E1%BA%BE']) {
      const other = new Client(app);
      await other.get('/login');
      const r = await other.post('/login', { login: 'tinh-001', password: PASSWORD, next });
      expect([r.status, r.headers.location], next).toEqual([303, '/units/%C4%90V%2001?q=%E1%BA%BE']);
    }
    // Never to another site, whatever `next` a link carries.
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/units\nx', 'units']) {
      const other = new Client(app);
      await other.get('/login');
      const r = await other.post('/login', { login: 'tinh-001', password: PASSWORD, next });
      expect([r.status, r.headers.location], next).toEqual([303, '/']);
    }
  });

  it('marks the cookie Secure when the HTTPS setting is on', async () => {
    const { app } = await setUp({ secureCookies: true });
    const ok = await new Client(app).signIn('tw');
    expect([ok.headers['set-cookie']].flat().find((s) => String(s).startsWith('ddcn_session='))).toMatch(/Secure/);
  });

  it('answers 403 to every POST without a valid _csrf, and changes nothing', async () => {
    const { db, app } = await setUp();
    const anon = new Client(app);
    await anon.get('/login');
    expect((await anon.post('/login', { login: 'tw', password: PASSWORD }, null)).status).toBe(403);
    const forged = await anon.post('/login', { login: 'tw', password: PASSWORD }, 'forged');
    expect([forged.status, /<title>(.*)<\/title>/.exec(forged.body)?.[1]]).toEqual([403, 'Biểu mẫu đã hết hạn · ddcn']);

    const c = await signedIn(app, 'dv-hn1');
    const other = await signedIn(app, 'tw'); // a token of another session is not this session's
    for (const token of [null, 'forged', other.csrf]) {
      expect((await c.post('/logout', {}, token)).status).toBe(403);
      expect((await c.post('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bính' }, token)).status).toBe(403);
      expect((await c.upload('/units/HN0010001/corrections', { name: 'x.xlsx', body: Buffer.from('PK') }, token)).status).toBe(403);
    }
    const office = await signedIn(app, 'tinh-001');
    expect((await office.post('/lookup', { number: '012345602' }, null)).status).toBe(403);
    expect((await c.get('/')).status).toBe(200); // still signed in: the logouts were refused
    expect(await rows(db, 'SELECT count(*)::int AS n FROM participant_correction')).toEqual([{ n: 0 }]);
  });

  it('ends the sessions of a disabled account, or of one whose password was reset, at the next request', async () => {
    const { db, app } = await setUp();
    const a = await signedIn(app, 'tinh-001');
    const b = await signedIn(app, 'tinh-001');
    const u = await signedIn(app, 'dv-hn1');
    await db.withTransaction((tx) => disableUser(tx, 'tinh-001'));
    expect((await a.get('/units')).status).toBe(303);
    expect((await b.get('/units/HN0010001')).status).toBe(303);
    expect((await new Client(app).signIn('tinh-001')).status).toBe(401);

    expect((await u.get('/units')).status).toBe(200);
    await db.withTransaction(async (tx) => setPassword(tx, 'dv-hn1', await hashPassword('mat-khau-moi-123'), new Date()));
    expect((await u.get('/units')).status).toBe(303);
    expect((await new Client(app).signIn('dv-hn1', 'mat-khau-moi-123')).status).toBe(303);
  });

  it('locks an account after repeated failures, even for the right password, and logs no password', async () => {
    const { db, app } = await setUp({ lockoutFailures: 3, lockoutMinutes: 15 });
    const c = new Client(app);
    for (let i = 0; i < 3; i++) expect((await c.signIn('huyen-001-005', `sai-${i}-mat-khau`)).status).toBe(401);
    expect((await c.signIn('huyen-001-005')).status).toBe(401);
    expect((await c.signIn('tinh-001')).status).toBe(303); // other accounts are not affected
    const trail = (await auditRows(db)).filter((r) => r.login === 'huyen-001-005').map((r) => r.result);
    expect(trail).toEqual(['wrong-password', 'wrong-password', 'wrong-password, locked', 'locked']);
  });

  it('once a lock-out is over, gives the account its failures again: a single wrong password does not lock it anew', async () => {
    let now = new Date('2024-06-03T01:00:00Z');
    const { db, app } = await setUp({ lockoutFailures: 3, lockoutMinutes: 15 }, () => now);
    const attempt = async (password: string) => {
      now = new Date(now.getTime() + 1_000);
      return (await new Client(app).signIn('huyen-001-005', password)).status;
    };
    for (let i = 0; i < 3; i++) expect(await attempt(`sai-${i}-mat-khau`)).toBe(401);
    expect(await attempt(PASSWORD)).toBe(401); // locked
    now = new Date('2024-06-03T01:16:00Z'); // the 15 minutes are over
    // A clerk who mistypes once more (a 1 read as l on the printed password) may still sign in with the right one.
    expect(await attempt('sai-lan-nua-mat-khau')).toBe(401);
    expect(await attempt(PASSWORD)).toBe(303);
    // And the count starts again: three failures in a row lock it again, for the right password too.
    now = new Date('2024-06-03T02:00:00Z');
    for (let i = 0; i < 3; i++) expect(await attempt(`sai-${i}-mat-khau`)).toBe(401);
    now = new Date('2024-06-03T02:16:00Z');
    expect(await attempt('sai-lan-nua-mat-khau')).toBe(401);
    expect(await attempt('sai-lan-nua-mat-khau')).toBe(401);
    expect(await attempt('sai-lan-nua-mat-khau')).toBe(401);
    expect(await attempt(PASSWORD)).toBe(401);
    const trail = (await auditRows(db)).filter((r) => r.login === 'huyen-001-005').map((r) => r.result);
    expect(trail).toEqual([
      'wrong-password', 'wrong-password', 'wrong-password, locked', 'locked',
      'wrong-password', 'ok',
      'wrong-password', 'wrong-password', 'wrong-password, locked',
      'wrong-password', 'wrong-password', 'wrong-password, locked', 'locked',
    ]);
  });

  it('limits sign-in attempts per address, counted for every portal process on the database, per minute', async () => {
    let now = new Date('2024-06-03T01:00:10Z');
    const { db, app } = await setUp({ loginsPerMinute: 3 }, () => now);
    // A second `ddcn serve` on the same database (behind one proxy): the attempts add up.
    const other = await portal(db, { loginsPerMinute: 3 }, () => now);
    try {
      expect((await new Client(app).signIn('khong-co', 'sai-mat-khau-1')).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await new Client(other.app).signIn('khong-co', 'sai-mat-khau-1')).status).toBe(401);
      const limited = await new Client(app).signIn('tw');
      expect(limited.status).toBe(429);
      expect(limited.body).toContain('Quá nhiều lần thử');
      expect(limited.headers['retry-after']).toBe('50');
      // Audited like any sign-in, by address (the login typed is not taken: it may be a password).
      expect((await auditRows(db)).map((r) => [r.login, r.result])).toEqual([
        [null, 'unknown-login'], [null, 'unknown-login'], [null, 'unknown-login'], [null, 'refused 429: too many attempts from this address'],
      ]);
      now = new Date('2024-06-03T01:01:00Z'); // the next minute
      expect((await new Client(app).signIn('tw')).status).toBe(303);
    } finally {
      await other.app.close();
    }
  });

  it('behind a proxy, takes the address the proxy saw, not the one a client writes into X-Forwarded-For', async () => {
    const { db, app } = await setUp({ loginsPerMinute: 2, trustProxy: 1 });
    // Each attempt claims another address at the left; the proxy appends the one it saw, the same each time.
    const attempt = (i: number) => {
      const c = new Client(app);
      c.headers = { 'x-forwarded-for': `10.0.0.${i}, 192.0.2.9` };
      return c.signIn('khong-co', 'sai-mat-khau');
    };
    expect((await attempt(1)).status).toBe(401);
    expect((await attempt(2)).status).toBe(401);
    expect((await attempt(3)).status).toBe(429);
    expect((await auditRows(db)).map((r) => r.ip)).toEqual(['192.0.2.9', '192.0.2.9', '192.0.2.9']); // the third, refused (429)
  });

  it('ends a session left idle longer than the timeout', async () => {
    let now = new Date('2024-06-03T01:00:00Z');
    const { app } = await setUp({ idleMinutes: 30 }, () => now);
    const c = await signedIn(app, 'tw');
    now = new Date(now.getTime() + 29 * 60_000);
    expect((await c.get('/units')).status).toBe(200);
    now = new Date(now.getTime() + 29 * 60_000); // 29 minutes since the last request: still alive
    expect((await c.get('/units')).status).toBe(200);
    now = new Date(now.getTime() + 31 * 60_000);
    expect((await c.get('/units')).status).toBe(303);
  });

  it('writes a session\'s last-seen time at most once a minute, and ends it after the timeout since its last use, within a minute more', async () => {
    const t0 = new Date('2024-06-03T01:00:00Z').getTime();
    let now = new Date(t0);
    const { db, app } = await setUp({ idleMinutes: 30 }, () => now);
    const c = await signedIn(app, 'tw');
    const lastSeen = async () => (await db.query<{ at: Date }>(`SELECT max(last_seen_at) AS at FROM portal_session WHERE login = 'tw'`)).rows[0]!.at.getTime();
    now = new Date(t0 + 59_000);
    expect((await c.get('/units')).status).toBe(200);
    expect(await lastSeen()).toBe(t0); // under a minute: read only
    now = new Date(t0 + 61_000);
    expect((await c.get('/units')).status).toBe(200);
    expect(await lastSeen()).toBe(t0 + 61_000);
    const lastUse = t0 + 61_000 + 50_000; // not written…
    now = new Date(lastUse);
    expect((await c.get('/units')).status).toBe(200);
    expect(await lastSeen()).toBe(t0 + 61_000);
    now = new Date(lastUse + 30 * 60_000 - 1_000); // …yet 29 min 59 s after that use the session is alive,
    expect((await c.get('/units')).status).toBe(200);
    expect(await lastSeen()).toBe(lastUse + 30 * 60_000 - 1_000);
    now = new Date(now.getTime() + 30 * 60_000 + 61_000); // and 31 min 1 s after the last use it is over
    expect((await c.get('/units')).status).toBe(303);
  });

  it('keeps a session in use alive under the shortest timeout, a minute: its last-seen time is written every half minute then', async () => {
    const t0 = new Date('2024-06-03T01:00:00Z').getTime();
    let now = new Date(t0);
    const { app } = await setUp({ idleMinutes: 1 }, () => now);
    const c = await signedIn(app, 'tw');
    for (let s = 20; s <= 200; s += 20) {
      now = new Date(t0 + s * 1000);
      expect((await c.get('/units')).status, `${s} s`).toBe(200);
    }
    // Used at 29 s past a write and not written: alive 59 s after that use (a full minute unused is the timeout)…
    now = new Date(t0 + 229_000);
    expect((await c.get('/units')).status).toBe(200);
    now = new Date(t0 + 288_000);
    expect((await c.get('/units')).status).toBe(200);
    // …and over once a minute and a half has passed with no use.
    now = new Date(now.getTime() + 91_000);
    expect((await c.get('/units')).status).toBe(303);
  });
});
