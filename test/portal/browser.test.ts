// The portal in a real browser (Debian's Chromium driven by playwright-core): a province office downloads a unit's
// Mẫu 02, the unit sends it back filled in, a run verifies again and the office sees the counts move; a unit
// corrects a person in the form. Screenshots go to test-output/portal/ to be looked at.
// Without /usr/bin/chromium this test FAILS: `.ci/run` installs it (apt-get install -y chromium).
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Portal } from '../../src/portal/app.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, mockRegistry, runDeps, useTempDir } from '../helpers/pipeline.js';
import { launchChromium, SHOTS } from './chromium.js';
import { fillMau02 } from './fill-mau02.js';
import { PASSWORD, portal, seed } from './harness.js';
import { readFile } from 'node:fs/promises';

const database = databasePerFile();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function signIn(base: string, login: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'vi-VN' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text())); // a CSP refusal shows up here
  await page.goto(`${base}/`);
  expect(page.url()).toBe(`${base}/login`);
  await page.getByLabel('Tên đăng nhập').fill(login);
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/`);
  expect(errors).toEqual([]);
  return page;
}

const stat = (page: Page, label: string) => page.locator('.stat', { hasText: label }).locator('.n').first().textContent();

describe('portal in a browser', () => {
  it('province downloads a Mẫu 02, the unit returns it filled in and corrects a person, the office sees the counts move', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const { registryFile } = await seed(db, dir);
    let open: Portal | null = null;
    try {
      open = await portal(db);
      const base = (await open.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

      const office = await signIn(base, 'tinh-001');
      await office.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
      // On a 1 280 px screen the whole Mẫu 03 tables show, the assessment and the VssID columns included.
      for (const wrap of await office.locator('.table-wrap').all()) expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
      expect(await office.locator('.table-wrap').count()).toBe(2);
      // A keyboard's first stop is the skip link, shown when reached; it leads past the menu to the page itself.
      await office.keyboard.press('Tab');
      const skip = office.getByRole('link', { name: 'Bỏ qua, đến nội dung chính' });
      await expect.poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
      expect((await skip.boundingBox())!.x).toBeGreaterThanOrEqual(0);
      await office.keyboard.press('Enter');
      await expect.poll(() => office.evaluate(() => document.activeElement?.id)).toBe('main');
      await office.getByRole('link', { name: 'Đơn vị', exact: true }).click();
      await office.getByRole('link', { name: 'HN0010001' }).click();
      expect(await stat(office, 'đã khớp')).toBe('1');
      await office.screenshot({ path: path.join(SHOTS, 'unit.png'), fullPage: true });
      const [download] = await Promise.all([office.waitForEvent('download'), office.getByRole('link', { name: 'Tải Mẫu số 02 (.xlsx)' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^mau02-HN0010001-\d{4}-\d{2}-\d{2}\.xlsx$/);
      const downloaded = path.join(dir, download.suggestedFilename());
      await download.saveAs(downloaded);

      const unit = await signIn(base, 'dv-hn1');
      await unit.goto(`${base}/units/HN0010001`);
      const returned = path.join(dir, 'mau02-da-dien.xlsx');
      await import('node:fs/promises').then(async (fs) =>
        fs.writeFile(returned, await fillMau02(await readFile(downloaded), { '0010000002': { 10: 'Trần Thị Bính' } })),
      );
      await unit.locator('input[type=file]').setInputFiles(returned);
      await unit.getByRole('button', { name: 'Gửi' }).click();
      await expect.poll(() => unit.locator('h1').textContent()).toBe('Kết quả gửi Mẫu số 02');
      expect(await unit.locator('ul.result').textContent()).toContain('1 người được điều chỉnh');

      await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
      await office.reload();
      expect(await stat(office, 'đã khớp')).toBe('2');

      // A unit clerk on a phone corrects the person without a number.
      const phone = await signIn(base, 'dv-hn1', { width: 390, height: 844 });
      await phone.goto(`${base}/units/HN0010001`);
      // The people read as cards: nothing beyond the screen's edge, the link to the form included.
      await phone.screenshot({ path: path.join(SHOTS, 'unit-phone-before.png'), fullPage: true });
      const link = phone.locator('tr', { hasText: '0010000003' }).getByRole('link', { name: 'Điều chỉnh' });
      const box = (await link.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await link.click();
      await phone.getByLabel('(11) Ngày tháng năm sinh').fill('15/08/1979');
      await phone.getByLabel('(13) Số ĐDCN').fill('001079000003');
      await phone.getByRole('button', { name: 'Ghi điều chỉnh' }).click();
      await expect.poll(() => phone.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
      expect(await phone.locator('main').textContent()).toContain('Đã ghi 2 thông tin điều chỉnh');
      await phone.goto(`${base}/units/HN0010001`);
      await phone.screenshot({ path: path.join(SHOTS, 'unit-phone.png'), fullPage: true });
      // Signed out, Back does not show the page from the browser's cache (Cache-Control: no-store).
      expect(await phone.locator('main').textContent()).toContain('Lê Văn Cường');
      await phone.getByRole('button', { name: 'Đăng xuất' }).click();
      await phone.waitForURL(`${base}/login`);
      await phone.goBack();
      await phone.waitForLoadState();
      expect(await phone.locator('body').textContent()).not.toContain('Lê Văn Cường');
      // The sign-in page, which leads back to that page once signed in again.
      expect(phone.url()).toBe(`${base}/login?next=%2Funits%2FHN0010001`);
      await phone.getByLabel('Tên đăng nhập').fill('dv-hn1');
      await phone.getByLabel('Mật khẩu').fill(PASSWORD);
      await phone.getByRole('button', { name: 'Đăng nhập' }).click();
      await phone.waitForURL(`${base}/units/HN0010001`);
      expect(await phone.locator('main').textContent()).toContain('Lê Văn Cường');

      // An office on a phone: the unit list as cards too.
      const officePhone = await signIn(base, 'tinh-001', { width: 390, height: 844 });
      await officePhone.goto(`${base}/units`);
      await officePhone.screenshot({ path: path.join(SHOTS, 'units-phone.png'), fullPage: true });
      expect(await officePhone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const corrected = (await officePhone.locator('tr', { hasText: 'HN0010001' }).locator('td[data-label="Đã nhận điều chỉnh"]').boundingBox())!;
      expect(corrected.x + corrected.width).toBeLessThanOrEqual(390);

      await office.goto(`${base}/lookup`);
      await office.getByLabel('Số CMND/ĐDCN').fill('012345602'); // the old CMND, replaced by the ĐDCN in the run
      await office.getByRole('button', { name: 'Tra cứu' }).click();
      await expect.poll(() => office.locator('table').count()).toBe(1);
      expect(office.url()).toBe(`${base}/lookup`); // the number is not in the address
      expect(await office.locator('table').textContent()).toContain('001185000002');
      await office.screenshot({ path: path.join(SHOTS, 'lookup.png'), fullPage: true });
      await office.goto(`${base}/`);
      await office.screenshot({ path: path.join(SHOTS, 'dashboard-after-run.png'), fullPage: true });
    } finally {
      await open?.app.close();
    }
  }, 180_000);
});
