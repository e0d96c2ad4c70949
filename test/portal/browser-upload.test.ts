// A returned Mẫu 02 sent in a real browser (Debian's Chromium, as browser.test.ts), or one person's correction typed
// into its form, and what the clerk does next: reload the result, go Back, sign in again. Screenshots go to
// test-output/portal/.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { databasePerFile, rows } from '../helpers/pipeline.js';
import { SHOTS } from './chromium.js';
import { fillMau02 } from './fill-mau02.js';
import { portalInBrowser } from './in-browser.js';
import { PASSWORD } from './harness.js';

const database = databasePerFile();
const web = portalInBrowser(database);


/** The session of `page`'s browser ended from another tab of it (Đăng xuất there), `page` left as it was. */
async function signOutInAnotherTab(page: Page): Promise<void> {
  const other = await page.context().newPage();
  await other.goto(`${web.base}/`);
  await other.getByRole('button', { name: 'Đăng xuất' }).click();
  await other.waitForURL(`${web.base}/login`);
  await other.close();
}

/** The unit's Mẫu 02 as downloaded from its page, filled in by `fills`, saved in `dir` where the clerk picks it. */
async function filledIn(page: Page, dir: string, fills: Parameters<typeof fillMau02>[1], name = 'mau02-da-dien.xlsx'): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải Mẫu số 02 (.xlsx)' }).click()]);
  const returned = path.join(dir, name);
  await writeFile(returned, await fillMau02(await readFile((await download.path())!), fills));
  return returned;
}

const count = async (sql: string) => (await rows<{ n: number }>(database().db, sql))[0]!.n;

describe('a returned Mẫu 02 or a person’s form sent in a browser, and what the clerk does next', () => {
  it('reloading the result page (F5) shows the same result and sends nothing again; Back leads to the unit’s page', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-upload-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const returned = await filledIn(clerk, dir, { '0010000002': { 10: 'Trần Thị Bính' } });
    await clerk.locator('input[type=file]').setInputFiles(returned);
    await clerk.getByRole('button', { name: 'Gửi' }).click();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Kết quả gửi Mẫu số 02');
    const shown = await clerk.locator('[role=status]').textContent();
    expect(shown).toContain('1 người được điều chỉnh (1 thông tin)');
    const corrections = `SELECT count(*)::int AS n FROM participant_correction`;
    const uploads = `SELECT count(*)::int AS n FROM portal_upload`;
    expect([await count(corrections), await count(uploads)]).toEqual([1, 1]);

    // F5: the same result, not "0 corrected, 1 the same as on file" of the file read and applied a second time.
    await clerk.reload();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Kết quả gửi Mẫu số 02');
    expect(await clerk.locator('[role=status]').textContent()).toBe(shown);
    expect([await count(corrections), await count(uploads)]).toEqual([1, 1]);
    await clerk.screenshot({ path: path.join(SHOTS, 'upload-result-reloaded.png'), fullPage: true });

    // Back: the unit's page, where the file was picked (not a form sent again).
    await clerk.goBack();
    await clerk.waitForURL(`${web.base}/units/HN0010001`);
    expect(await clerk.locator('h1').textContent()).toBe('Công ty Hoa Sen');
    expect([await count(corrections), await count(uploads)]).toEqual([1, 1]);
    await clerk.context().close();
  }, 60_000);

  it('shows a long file name, as a clerk’s system names a copy, within a phone’s screen', async () => {
    await web.start();
    const phone = await web.signIn('dv-hn1', { width: 320, height: 700 });
    await phone.goto(`${web.base}/units/HN0010001`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-upload-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const name = 'Mau02_HN0010001_da_dien_xong_gui_lai_BHXH_quan_Hoan_Kiem_ban_cuoi_cung.xlsx';
    await phone.locator('input[type=file]').setInputFiles(await filledIn(phone, dir, { '0010000002': { 10: 'Trần Thị Bính' } }, name));
    await phone.getByRole('button', { name: 'Gửi' }).click();
    await expect.poll(() => phone.locator('h1').textContent()).toBe('Kết quả gửi Mẫu số 02');
    expect(await phone.locator('[role=status] strong').textContent()).toBe(name);
    await phone.screenshot({ path: path.join(SHOTS, 'upload-result-phone.png'), fullPage: true });
    // Nothing beyond the screen's edge: the page does not scroll sideways.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await phone.context().close();
  }, 60_000);

  it('a file sent after signing out in another tab is answered "signed out", whatever its size, and the clerk signs in again there', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001`);
    await signOutInAnotherTab(clerk);
    // Over the 5 MB a file may have: read first, it was refused as too large, and the clerk sent a smaller one in vain.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-upload-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const large = path.join(dir, 'mau02-da-dien.xlsx');
    await writeFile(large, Buffer.alloc(6 * 1024 * 1024, 1));
    await clerk.locator('input[type=file]').setInputFiles(large);
    await clerk.getByRole('button', { name: 'Gửi' }).click();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Phiên làm việc đã hết hạn');
    expect(await clerk.locator('[role=alert]').textContent()).toBe('Bạn đã đăng xuất hoặc phiên đã hết hạn: đăng nhập lại.');
    expect(await clerk.locator('main').textContent()).not.toContain('Công ty Hoa Sen');
    expect(await count(`SELECT count(*)::int AS n FROM portal_upload`)).toBe(0);
    // Signed in again, back on the unit's page, where the file is picked again (not on the dashboard).
    await clerk.getByRole('link', { name: 'Đăng nhập lại' }).click();
    await clerk.getByLabel('Tên đăng nhập').fill('dv-hn1');
    await clerk.getByLabel('Mật khẩu').fill(PASSWORD);
    await clerk.getByRole('button', { name: 'Đăng nhập' }).click();
    await clerk.waitForURL(`${web.base}/units/HN0010001`);
    expect(await clerk.getByRole('button', { name: 'Gửi' }).count()).toBe(1);
    await clerk.context().close();
  }, 60_000);

  it('reloading the page of a correction typed into the form shows what was saved and sends nothing again, even after another’s correction', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001/people/0010000002`);
    await clerk.getByLabel('(10) Họ và tên').fill('Trần Thị Bính');
    await clerk.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    const shown = await clerk.locator('main').textContent();
    expect(shown).toContain('Đã ghi 1 thông tin điều chỉnh cho người tham gia 0010000002');
    // Meanwhile the office corrects the same person otherwise.
    const office = await web.signIn('tinh-001');
    await office.goto(`${web.base}/units/HN0010001/people/0010000002`);
    await office.getByLabel('(10) Họ và tên').fill('Trần Thị Bình');
    await office.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
    await expect.poll(() => office.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    const names = `SELECT new_value AS n FROM participant_correction ORDER BY id`;
    expect(await rows(database().db, names)).toEqual([{ n: 'Trần Thị Bính' }, { n: 'Trần Thị Bình' }]);

    // F5 on the clerk's page: what was saved, again; the clerk's name is not sent again over the office's.
    await clerk.reload();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    expect(await clerk.locator('main').textContent()).toBe(shown);
    expect(await rows(database().db, names)).toEqual([{ n: 'Trần Thị Bính' }, { n: 'Trần Thị Bình' }]);
    await clerk.goBack();
    await clerk.waitForURL(`${web.base}/units/HN0010001/people/0010000002`);
    expect(await clerk.getByLabel('(10) Họ và tên').inputValue()).toBe('');
    expect(await rows(database().db, names)).toHaveLength(2);
    await clerk.context().close();
    await office.context().close();
  }, 60_000);

  it('a download asked after the session ended: signed in again, the clerk is on the page that offers it, not left on the sign-in form', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001`);
    await signOutInAnotherTab(clerk);
    await clerk.getByRole('link', { name: 'Tải Mẫu số 02 (.xlsx)' }).click();
    await clerk.waitForURL(/\/login\?next=/);
    await clerk.getByLabel('Tên đăng nhập').fill('dv-hn1');
    await clerk.getByLabel('Mật khẩu').fill(PASSWORD);
    await clerk.getByRole('button', { name: 'Đăng nhập' }).click();
    await clerk.waitForURL(`${web.base}/units/HN0010001`);
    expect(await clerk.locator('h1').textContent()).toBe('Công ty Hoa Sen');
    await clerk.context().close();
  }, 60_000);

  it('a person’s form sent after another’s correction of that person is not written over it: the form again, with what is on file now', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001/people/0010000002`);
    // While the clerk's form is open, the office corrects the person.
    const office = await web.signIn('tinh-001');
    await office.goto(`${web.base}/units/HN0010001/people/0010000002`);
    await office.getByLabel('(10) Họ và tên').fill('Trần Thị Bính');
    await office.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
    await expect.poll(() => office.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    const names = `SELECT new_value AS n FROM participant_correction ORDER BY id`;

    await clerk.getByLabel('(10) Họ và tên').fill('Trần Thị Bình');
    await clerk.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
    await expect.poll(() => clerk.title()).toBe('Chưa ghi điều chỉnh — 0010000002 · ddcn');
    expect(await clerk.locator('.error-summary').textContent()).toContain('thông tin đang lưu của người này đã thay đổi sau khi trang được mở');
    expect(await clerk.locator('.stored').textContent()).toContain('Trần Thị Bính'); // what is on file now
    expect(await clerk.getByLabel('(10) Họ và tên').inputValue()).toBe('Trần Thị Bình'); // what was typed, kept
    expect(await rows(database().db, names)).toEqual([{ n: 'Trần Thị Bính' }]);
    await clerk.screenshot({ path: path.join(SHOTS, 'person-changed-since.png'), fullPage: true });
    // Seen, and sent again: written.
    await clerk.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
    await expect.poll(() => clerk.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    expect(await rows(database().db, names)).toEqual([{ n: 'Trần Thị Bính' }, { n: 'Trần Thị Bình' }]);
    await clerk.context().close();
    await office.context().close();
  }, 60_000);

  it('the address a refused upload leaves, opened again, is the unit’s page, not “not found”', async () => {
    await web.start();
    const clerk = await web.signIn('dv-hn1');
    await clerk.goto(`${web.base}/units/HN0010001`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-upload-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const csv = path.join(dir, 'mau02.csv');
    await writeFile(csv, 'ma_so_bhxh,ho_ten\n');
    await clerk.locator('input[type=file]').setInputFiles(csv);
    await clerk.getByRole('button', { name: 'Gửi' }).click();
    await expect.poll(() => clerk.locator('#upload-error').textContent()).toContain('Chỉ nhận tệp Excel .xlsx');
    expect(clerk.url()).toBe(`${web.base}/units/HN0010001/corrections`);
    // Enter in the address bar (or the address sent to a colleague): a GET of it.
    await clerk.goto(clerk.url());
    await clerk.waitForURL(`${web.base}/units/HN0010001`);
    expect(await clerk.locator('h1').textContent()).toBe('Công ty Hoa Sen');
    await clerk.context().close();
  }, 60_000);
});
