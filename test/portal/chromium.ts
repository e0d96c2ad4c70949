// Debian's Chromium driven by playwright-core, for the portal's tests in a real browser. Without /usr/bin/chromium
// they FAIL: `.ci/run` installs it (apt-get install -y chromium). Screenshots go to test-output/portal/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'test-output', 'portal');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's Chromium (apt-get install -y chromium; .ci/run does it)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SHOTS, { recursive: true });
  return browser;
}
