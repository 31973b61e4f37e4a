// Renders the report's key charts (`#key`) to a PNG with headless Chromium, for the README.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * Loads `html` in headless Chromium (no network: the report is self-contained), waits for the
 * charts to be drawn and writes a screenshot of the key charts section to `path`.
 * @throws when Chromium is missing or the charts do not draw within 30 s.
 */
export async function renderPng(html: string, path: string): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1240, height: 900 }, deviceScaleFactor: 1 });
    // Any request the page makes would be a bug: the report must not need the network.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as { __chartsDone?: boolean }).__chartsDone === true, undefined, { timeout: 30_000 });
    mkdirSync(dirname(path), { recursive: true });
    await page.locator('#key').screenshot({ path });
  } finally {
    await browser.close();
  }
}
