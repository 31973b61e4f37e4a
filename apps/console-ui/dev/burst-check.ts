// DEV ONLY: checks the per-frame batching of live streams against dev/fake-api.ts, whose
// `keys?prefix=/burst/` stream sends 1,000 separate change events at once. Counts how often the
// monitor's status line is re-rendered (a MutationObserver) while they arrive.
//
//   npx tsx apps/console-ui/dev/burst-check.ts http://127.0.0.1:8089
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:8089';

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/#/keys?prefix=%2Fburst%2F`);
    await page.getByTestId('signin-username').fill('burst');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('keys-monitor-toggle').click();
    const status = page.getByTestId('monitor-status');
    await status.waitFor();
    await status.evaluate((element) => {
      const counter = { renders: 0 };
      (window as unknown as { burst: typeof counter }).burst = counter;
      new MutationObserver(() => (counter.renders += 1)).observe(element, { subtree: true, characterData: true, childList: true });
    });
    await page.waitForFunction(() => document.querySelector('[data-testid="monitor-status"]')?.textContent?.includes('1000 changes'), undefined, { timeout: 20_000 });
    const renders = await page.evaluate(() => (window as unknown as { burst: { renders: number } }).burst.renders);
    const rows = await page.getByTestId('keys-monitor').getAttribute('data-rows').catch(() => null);
    process.stdout.write(`1000 change events → status line re-rendered ${renders} time(s); monitor rows in DOM: ${await page.locator('[data-testid="monitor-row"]').count()} ${rows ?? ''}\n`);
    if (renders > 20) process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
