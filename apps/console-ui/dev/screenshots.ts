// DEV ONLY: screenshots of every console page, for a human to look at (not a test).
//
//   npx tsx apps/console-ui/dev/screenshots.ts http://127.0.0.1:8089 [outDir] [user] [password]
//
// Signs in, opens each page, waits for it to settle, and writes PNGs (default
// tmp/console-screens/). Browser console errors, page errors and any alert() (an HTML
// injection that ran) are printed; an alert makes the exit code 1.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:8089';
const outDir = process.argv[3] ?? 'tmp/console-screens';
const user = process.argv[4] ?? 'root';
const password = process.argv[5] ?? '';
const only = process.env['SCREENS_ONLY']?.split(',');

interface Shot {
  readonly name: string;
  readonly hash: string;
  readonly then?: (page: Page) => Promise<void>;
}

const shots: Shot[] = [
  { name: '01-services', hash: '#/services' },
  { name: '02-services-filtered', hash: '#/services?service=greeter&zone=zone-b' },
  { name: '03-config', hash: '#/config/dev/greeter' },
  { name: '04-config-history', hash: '#/config/dev/greeter', then: (page) => page.getByTestId('tab-history').click() },
  { name: '05-config-diff', hash: '#/config/dev/greeter', then: async (page) => { await page.getByTestId('tab-history').click(); await page.getByTestId('history-compare').click(); await page.getByTestId('config-diff').waitFor(); } },
  { name: '06-config-replicas', hash: '#/config/dev/greeter', then: (page) => page.getByTestId('tab-replicas').click() },
  { name: '07-locks', hash: '#/locks' },
  { name: '08-cluster', hash: '#/cluster' },
  { name: '09-keys', hash: '#/keys?prefix=%2Fapp%2F&key=%2Fapp%2Fsettings.json' },
  { name: '10-keys-history', hash: '#/keys?prefix=%2Fapp%2F&key=%2Fapp%2Fsettings.json', then: async (page) => { await page.getByRole('tab', { name: /History/ }).click(); await page.waitForTimeout(800); } },
  { name: '11-keys-monitor', hash: '#/keys?prefix=%2F', then: async (page) => { await page.getByTestId('keys-monitor-toggle').click(); await page.waitForTimeout(3500); } },
  { name: '12-leases', hash: '#/leases' },
  { name: '13-leases-revoke', hash: '#/leases', then: async (page) => { await page.getByTestId('lease-revoke').first().click(); await page.getByTestId('confirm-dialog').waitFor(); } },
  { name: '14-access', hash: '#/access' },
  { name: '15-traces', hash: '#/traces' },
  { name: '16-trace', hash: '#/traces/4bf92f3577b34da6a3ce929d0e0e4736' },
  { name: '17-demo', hash: '#/demo' },
  {
    name: '19-config-validate-issues',
    hash: '#/config/dev/greeter',
    then: async (page) => {
      await replaceEditorText(page, 'config-editor', 'template: "Hi, {name}!"\nreplicas: 9\n');
      await page.getByTestId('config-validate').click();
      await page.getByTestId('validate-issues').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '19b-config-syntax-error',
    hash: '#/config/dev/greeter',
    then: async (page) => {
      await replaceEditorText(page, 'config-editor', 'template: "Hi, {name}!"\nlist: [1, 2\nreplicas: 2\n');
      await page.getByTestId('config-validate').click();
      await page.getByTestId('validate-issues').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '20-config-conflict',
    hash: '#/config/dev/greeter',
    then: async (page) => {
      await replaceEditorText(page, 'config-editor', 'template: "Mine, {name}!"\nreplicas: 2\n');
      // Someone else publishes on top of the same version first.
      await page.evaluate(async () => {
        const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
        const live = (await (await fetch('/api/config/dev/greeter')).json()) as { version: number };
        await fetch('/api/config/dev/greeter/publish', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ text: 'template: "Theirs, {name}!"\nreplicas: 2\n', format: 'yaml', baseVersion: live.version, message: 'a rival publish' }) });
      });
      await page.getByTestId('config-publish').click();
      await page.getByTestId('publish-conflict').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '21-config-conflict-diff',
    hash: '#/config/dev/greeter',
    then: async (page) => {
      await replaceEditorText(page, 'config-editor', 'template: "Mine again, {name}!"\nreplicas: 2\n');
      await page.evaluate(async () => {
        const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
        const live = (await (await fetch('/api/config/dev/greeter')).json()) as { version: number };
        await fetch('/api/config/dev/greeter/publish', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ text: 'template: "Theirs again, {name}!"\nreplicas: 2\n', format: 'yaml', baseVersion: live.version }) });
      });
      await page.getByTestId('config-publish').click();
      await page.getByTestId('conflict-diff').click();
      await page.getByTestId('config-diff').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '22-key-conflict',
    hash: '#/keys?prefix=%2Fapp%2F&key=%2Fapp%2Fsettings.json',
    then: async (page) => {
      await page.getByRole('tab', { name: 'Edit' }).click();
      await replaceEditorText(page, 'key-editor', '{"feature": {"enabled": true}, "mine": 1}');
      await page.evaluate(async () => {
        const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
        const current = (await (await fetch('/api/keys/value?key=%2Fapp%2Fsettings.json')).json()) as { modRevision: number };
        await fetch('/api/keys/value', { method: 'PUT', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ key: '/app/settings.json', value: '{"feature": {"enabled": false}, "theirs": 2}', expectedModRevision: current.modRevision }) });
      });
      await page.getByTestId('key-save').click();
      await page.getByTestId('key-conflict').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '23-keys-import-preview',
    hash: '#/keys?prefix=%2Fapp%2F',
    then: async (page) => {
      await page.getByTestId('keys-import-open').click();
      await page.getByTestId('import-text').fill(JSON.stringify({ prefix: '/app/', revision: 0, keys: [{ key: '/app/new-one', value: 'x', encoding: 'utf8' }, { key: '/app/settings.json', value: '{}', encoding: 'utf8' }] }));
      await page.getByTestId('import-dry-run').click();
      await page.getByTestId('import-preview').waitFor({ timeout: 5000 });
    },
  },
  {
    name: '24-access-error',
    hash: '#/access',
    then: async (page) => {
      await page.getByTestId('create-role-name').fill('ops-readers');
      await page.getByTestId('create-role-submit').click();
      await page.waitForTimeout(800);
    },
  },
  { name: '18-services-scrolled', hash: '#/services', then: async (page) => { await page.getByTestId('services-table').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; }); await page.waitForTimeout(300); } },
];

/** Replaces the whole text of the CodeMirror editor inside `data-testid=testId`, typing like a user. */
async function replaceEditorText(page: Page, testId: string, text: string): Promise<void> {
  const content = page.getByTestId(testId).locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  let alerted = false;
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: false });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      alerted = true;
      process.stdout.write(`ALERT (HTML injection ran!): ${dialog.message()}\n`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => process.stdout.write(`page error: ${error.message}\n`));
    page.on('console', (message) => message.type() === 'error' && process.stdout.write(`console error: ${message.text()}\n`));
    await page.goto(`${base}/#/services`);
    const form = page.getByTestId('signin-form');
    // Either the sign-in page or (a session cookie is still valid) the console itself.
    await form.or(page.getByTestId('session-user')).first().waitFor({ timeout: 30_000 });
    if (await form.isVisible()) {
      await page.screenshot({ path: join(outDir, '00-sign-in.png') });
      await page.getByTestId('signin-username').fill(user);
      await page.getByTestId('signin-password').fill(password);
      await page.getByTestId('signin-submit').click();
    }
    await page.getByTestId('session-user').waitFor({ timeout: 30_000 });
    for (const shot of shots) {
      if (only && !only.some((o) => shot.name.includes(o))) continue;
      await page.goto(`${base}/${shot.hash}`);
      await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
      await page.waitForTimeout(700);
      try {
        await shot.then?.(page);
      } catch (error) {
        process.stdout.write(`${shot.name}: ${(error as Error).message.split('\n')[0]}\n`);
      }
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(outDir, `${shot.name}.png`) });
      process.stdout.write(`${shot.name}.png\n`);
    }
  } finally {
    await browser.close();
  }
  if (alerted) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
