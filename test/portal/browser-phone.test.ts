// The portal in a real browser, what a reviewer met in it (Debian's Chromium, as browser.test.ts): the look-up's
// results on a phone, the dashboard's bars of an office far behind. Screenshots go to test-output/portal/.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, runDeps, writeParticipants } from '../helpers/pipeline.js';
import { SHOTS } from './chromium.js';
import { portalInBrowser } from './in-browser.js';

const PHONE = { width: 375, height: 740 };
const database = databasePerFile();
const web = portalInBrowser(database);

/** The harness's people and accounts (the database is emptied before each test), and the portal over them. */
const start = () =>
  web.start(async (db, dir, { registryFile }) => {
    // A district of Hà Nội where nobody is matched yet (0 %): nobody there has a number.
    await importParticipants(deps(db), await writeParticipants(dir, [
      { ma_so_bhxh: '0010000031', ho_ten: 'Ngô Văn Phúc', ngay_sinh: '1988', gioi_tinh: 'Nam', so_giay_to: '', ma_don_vi: 'HN0010003', ten_don_vi: 'Công ty Sen Vàng', ma_tinh: '001', ma_huyen: '007' },
    ]));
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
  });


describe('portal in a browser, as its users meet it', () => {
  it("an office on a phone reads the look-up's result whole: the unit's link is on the screen, not beyond its edge", async () => {
    await start();
    const phone = await web.signIn('tinh-001', PHONE);
    await phone.goto(`${web.base}/lookup`);
    await phone.getByLabel('Số CMND/ĐDCN').fill('012345602');
    await phone.getByRole('button', { name: 'Tra cứu' }).click();
    await expect.poll(() => phone.locator('table').count()).toBe(1);
    await phone.screenshot({ path: path.join(SHOTS, 'lookup-phone.png'), fullPage: true });
    const unit = (await phone.getByRole('link', { name: 'HN0010001' }).boundingBox())!;
    expect(unit.x).toBeGreaterThanOrEqual(0);
    expect(unit.x + unit.width).toBeLessThanOrEqual(PHONE.width);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // Nor hidden in a frame that scrolls sideways: every cell is there to be read.
    expect(await phone.locator('.table-wrap').evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
    await phone.context().close();
  }, 60_000);

  it("the dashboard's bar of an office far behind says its figure legibly: dark beside the bar, not white on the light background", async () => {
    await start();
    const office = await web.signIn('tinh-001');
    await office.screenshot({ path: path.join(SHOTS, 'dashboard-behind.png'), fullPage: true });
    const row = office.locator('table.figures').first().locator('tr', { hasText: '007' });
    const bar = row.locator('svg.bar');
    expect(await bar.locator('text').textContent()).toBe('0 %');
    // The contrast of the figure's colour with what lies under it (WCAG 2: at least 4.5 for text this small).
    const [text, under] = await bar.evaluate((svg) => {
      const label = svg.querySelector('text')!;
      const fg = svg.querySelector('.bar-fg')!;
      const x = label.getBBox().x;
      const behind = x >= Number(fg.getAttribute('width')) ? svg.querySelector('.bar-bg')! : fg;
      return [getComputedStyle(label).fill, getComputedStyle(behind).fill];
    });
    const luminance = (css: string) => {
      const [r, g, b] = css.match(/\d+/g)!.slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [hi, lo] = [luminance(text), luminance(under)].sort((a, b) => b - a);
    expect((hi! + 0.05) / (lo! + 0.05)).toBeGreaterThanOrEqual(4.5);
    await office.context().close();
  }, 60_000);
});
