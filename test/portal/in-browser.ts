// A Chromium for a browser test file, and the portal each of its tests starts over the harness's people: the same
// scaffolding for every file that drives the portal in a real browser.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import type { Portal } from '../../src/portal/app.js';
import type { TestDatabase } from '../helpers/db.js';
import { launchChromium } from './chromium.js';
import { PASSWORD, portal, seed } from './harness.js';

/**
 * Launches Chromium once for the file; `start()` seeds the test's database (then `more`: people of its own), starts
 * the portal on a free port and gives its base URL as `base`; after each test the portal and its folder go.
 */
export function portalInBrowser(database: () => TestDatabase) {
  let browser: Browser | undefined;
  let open: Portal | undefined;
  let dir = '';
  const web = {
    base: '',
    get browser(): Browser {
      if (!browser) throw new Error('portalInBrowser(): Chromium runs only inside the tests');
      return browser;
    },
    /** A browser context of its own signed in as `login` (the form filled in, its button clicked), on the dashboard. */
    async signIn(login: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
      const context = await web.browser.newContext({ viewport, locale: 'vi-VN', acceptDownloads: true });
      const page = await context.newPage();
      await page.goto(`${web.base}/login`);
      await page.getByLabel('Tên đăng nhập').fill(login);
      await page.getByLabel('Mật khẩu').fill(PASSWORD);
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.waitForURL(`${web.base}/`);
      return page;
    },
    async start(more?: (db: Db, dir: string, seeded: Awaited<ReturnType<typeof seed>>) => Promise<void>): Promise<void> {
      const { db } = database();
      dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-it-'));
      const seeded = await seed(db, dir);
      await more?.(db, dir, seeded);
      open = await portal(db);
      web.base = (await open.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    },
  };
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await open?.app.close();
    open = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });
  return web;
}
