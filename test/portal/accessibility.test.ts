// The portal with the keyboard only, on a 320 px screen, and as a screen reader reads it (Debian's Chromium, as
// web.browser.test.ts): what a clerk who does not use a mouse, or does not see the page, meets on the way through it.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { databasePerFile } from '../helpers/pipeline.js';
import { SHOTS } from './chromium.js';
import { portalInBrowser } from './in-browser.js';
import { fillMau02 } from './fill-mau02.js';
import { PASSWORD } from './harness.js';

const NARROW = { width: 320, height: 700 };
const database = databasePerFile();
const web = portalInBrowser(database);
const start = () => web.start();

/** Signed in with the keyboard: typed, then Enter. */
async function signIn(login: string): Promise<Page> {
  const context = await web.browser.newContext({ viewport: NARROW, locale: 'vi-VN' });
  const page = await context.newPage();
  await page.goto(`${web.base}/login`);
  await page.getByLabel('Tên đăng nhập').fill(login);
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${web.base}/`);
  return page;
}

/** What a screen reader says of the focused element: its name (the field's label) and its description. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement;
    const described = (el.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    return {
      name: el.name || el.id,
      description: described.map((id) => document.getElementById(id)?.textContent?.trim() ?? '').join(' '),
    };
  });

/** WCAG 2's contrast ratio of two CSS colours `rgb(r, g, b)`. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = css.match(/\d+/g)!.slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const fitsTheScreen = async (page: Page) => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);

describe('the portal with the keyboard only, 320 px wide, and read aloud', () => {
  it('a unit clerk corrects a person and sends a sheet back: each refusal said at its field, which has the focus; each result announced', async () => {
    await start();
    const page = await signIn('dv-hn1');
    // The header's links show where the keyboard is: a ring in white on the blue header, not the browser's thin dark one.
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => [document.activeElement?.textContent, getComputedStyle(document.activeElement!).outlineColor, getComputedStyle(document.activeElement!).outlineWidth]))
      .toEqual(['Tổng quan', 'rgb(255, 255, 255)', '3px']);
    expect(await page.getByRole('navigation', { name: 'Trang chính' }).getByRole('link').allTextContents()).toEqual(['Tổng quan', 'Đơn vị']);

    await page.goto(`${web.base}/units/HN0010001`);
    await fitsTheScreen(page);
    // The menu says which of its entries the page is under (a screen reader: "current page"; underlined on the screen).
    expect(await page.getByRole('navigation', { name: 'Trang chính' }).locator('[aria-current="page"]').allTextContents()).toEqual(['Đơn vị']);
    // The list is a table a screen reader can name, each column headed; each person's link says whose form it opens.
    const people = page.getByRole('table', { name: 'Người tham gia trên Mẫu số 02' });
    expect(await people.getByRole('columnheader').evaluateAll((ths) => ths.map((th) => [th.getAttribute('scope'), th.textContent!.trim() !== '']))).toEqual(
      Array(5).fill(['col', true]),
    );
    expect(await people.getByRole('link', { name: 'Điều chỉnh', exact: true }).count()).toBe(0);
    await people.getByRole('link', { name: 'Điều chỉnh thông tin Trần Thị Bích (0010000002)' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.base}/units/HN0010001/people/0010000002`);

    // What is typed is another person's data: the browser neither keeps it nor offers it in the next person's form.
    expect(await page.locator('form', { has: page.getByLabel('(13) Số ĐDCN') }).getAttribute('autocomplete')).toBe('off');
    await page.getByLabel('(11) Ngày tháng năm sinh').fill('31/02/1985');
    await page.getByLabel('(13) Số ĐDCN').fill('12');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).name).toBe('ngay_sinh'); // (13) had it before the page was sent
    await page.screenshot({ path: path.join(SHOTS, 'person-refused-narrow.png'), fullPage: true });
    expect(await page.title()).toBe('Chưa ghi điều chỉnh — 0010000002 · ddcn');
    await fitsTheScreen(page);
    // The first field refused has the focus, and is described by its own reason only; the other field by its own.
    expect(await focused(page)).toEqual({ name: 'ngay_sinh', description: 'Cột (11) ngày tháng năm sinh "31/02/1985" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy' });
    expect(await page.getByLabel('(13) Số ĐDCN').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('(10) Họ và tên').getAttribute('aria-invalid')).toBeNull();
    // The list of reasons at the top leads to each field.
    const alert = page.getByRole('alert');
    expect(await alert.getByRole('link').allTextContents()).toEqual([
      'Cột (11) ngày tháng năm sinh "31/02/1985" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy',
      expect.stringMatching(/^Cột \(13\) số ĐDCN "12" không hợp lệ/),
    ]);
    await alert.getByRole('link', { name: /^Cột \(13\)/ }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).name).toBe('so_ddcn');
    expect((await focused(page)).description).toMatch(/^Cột \(13\) số ĐDCN "12" không hợp lệ/);

    // Nothing filled in: a refusal of no field, which has the focus itself.
    await page.getByLabel('(11) Ngày tháng năm sinh').fill('');
    await page.getByLabel('(13) Số ĐDCN').fill('');
    await page.getByLabel('(13) Số ĐDCN').press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('alert');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Chưa điền thông tin nào cần sửa.');

    // Saved: the result is a status a screen reader announces.
    await page.getByLabel('(10) Họ và tên').fill('Trần Thị Bính');
    await page.getByLabel('(10) Họ và tên').press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Đã ghi điều chỉnh');
    expect(await page.getByRole('status').textContent()).toContain('Đã ghi 1 thông tin điều chỉnh cho người tham gia 0010000002');

    // A sheet sent back: its result too.
    const sheet = await (await page.request.get(`${web.base}/units/HN0010001/mau02.xlsx`)).body();
    await page.goto(`${web.base}/units/HN0010001`);
    await page.getByLabel(/^Tệp Mẫu số 02/).setInputFiles({
      name: 'mau02-da-dien.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: await fillMau02(sheet, { '0010000003': { 13: '001079000003' } }),
    });
    await page.getByRole('button', { name: 'Gửi' }).press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Kết quả gửi Mẫu số 02');
    expect(await page.getByRole('status').textContent()).toContain('1 người được điều chỉnh (1 thông tin)');
    await fitsTheScreen(page);
    await page.context().close();
  }, 120_000);

  it('an office: the wide tables scroll with the keyboard, the look-up and the sign-in put the focus on the field refused', async () => {
    await start();
    const page = await signIn('tinh-001');
    // A day to come typed in the dashboard's date field: the browser says so at the field, the page stays (it sent the
    // clerk to an error page, 400, away from the form).
    await page.getByLabel('Đến ngày').fill('2999-01-01');
    await page.getByRole('button', { name: 'Xem' }).press('Enter');
    expect(await page.getByLabel('Đến ngày').evaluate((el: HTMLInputElement) => el.validity.rangeOverflow && el === document.activeElement)).toBe(true);
    expect(await page.title()).toBe('Tổng quan tiến độ · ddcn');
    expect(page.url()).toBe(`${web.base}/`);
    // The assessment most offices read during the year is legible: its colour at least 4.5:1 on the page (WCAG AA).
    await page.goto(`${web.base}/?as_of=2024-06-03`); // the seed's plan year (2024), before its first milestone
    const assessment = page.locator('p.assessment');
    expect(await assessment.textContent()).toMatch(/^Đang thực hiện/);
    const [ink, paper] = await assessment.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(document.body).backgroundColor]);
    expect(contrast(ink!, paper!)).toBeGreaterThanOrEqual(4.5);
    await page.goto(`${web.base}/`);
    // Mẫu 03's tables do not fit 320 px: each is a named region the keyboard reaches and scrolls.
    const progress = page.getByRole('region', { name: 'Tiến độ cập nhật số ĐDCN/CCCD theo đơn vị' });
    expect(await progress.getByRole('table', { name: 'Tiến độ cập nhật số ĐDCN/CCCD theo đơn vị' }).count()).toBe(1);
    expect(await page.getByRole('region', { name: 'Đăng ký ứng dụng VssID theo đơn vị' }).count()).toBe(1);
    await fitsTheScreen(page);
    await page.getByRole('link', { name: 'Tải Mẫu số 03 (.xlsx)' }).focus();
    await page.keyboard.press('Tab');
    expect(await progress.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => progress.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);

    // The list of units: a named table, its columns headed, its pages a navigation of their own beside the menu.
    await page.goto(`${web.base}/units`);
    await fitsTheScreen(page);
    const units = page.getByRole('table', { name: 'Đơn vị quản lý: số người tham gia theo tình trạng' });
    expect(await units.getByRole('columnheader').evaluateAll((ths) => ths.every((th) => th.getAttribute('scope') === 'col'))).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Phân trang' }).textContent()).toContain('Trang 1');

    await page.goto(`${web.base}/lookup`);
    await page.getByLabel('Số CMND/ĐDCN').fill('12ab');
    await page.keyboard.press('Enter');
    // (Polled whole: the field had the focus before the page was sent, too.)
    await expect.poll(() => focused(page)).toEqual({ name: 'number', description: 'Số cần tra phải là số CMND (9 chữ số) hoặc số ĐDCN/CCCD (12 chữ số).' });
    expect(await page.getByLabel('Số CMND/ĐDCN').getAttribute('aria-invalid')).toBe('true');
    expect(await page.title()).toBe('Số cần tra không hợp lệ — Tra cứu số CMND/ĐDCN · ddcn');
    await page.getByLabel('Số CMND/ĐDCN').fill('099999999');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Không có người tham gia nào trong phạm vi quản lý có hoặc đã từng có số này.');
    expect(await page.getByLabel('Số CMND/ĐDCN').getAttribute('aria-invalid')).toBeNull();
    await page.context().close();

    // A sign-in refused: the password field has the focus (the name stays typed), the reason said there.
    const other = await (await web.browser.newContext({ viewport: NARROW, locale: 'vi-VN' })).newPage();
    await other.goto(`${web.base}/login`);
    await other.getByLabel('Tên đăng nhập').fill('tinh-001');
    await other.getByLabel('Mật khẩu').fill('sai-mat-khau');
    await other.keyboard.press('Enter');
    await expect.poll(() => focused(other)).toEqual({ name: 'password', description: 'Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị khoá.' });
    expect(await other.title()).toBe('Đăng nhập không thành công · ddcn');
    await other.context().close();
  }, 120_000);
});
