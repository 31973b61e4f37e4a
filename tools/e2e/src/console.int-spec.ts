// End-to-end in a real browser: the ops console (apps/console serving the built apps/console-ui)
// as a real process, next to greeters, workers and the gateway, on a real 3-member etcd cluster,
// driven with headless Chromium (playwright-core, /usr/bin/chromium). A second, 1-member cluster
// with etcd auth on (root + a read-only `viewer`) and its own console process covers RBAC refusals.
// Screenshots of every page are written to tmp/console-e2e/ (printed at the end).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { publish } from '@etcd-patterns/config';
import { AppProcess, REPO_ROOT, type AppName } from '@etcd-patterns/demo';
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, spawnEtcdctl } from '@etcd-patterns/etcd-cluster';
import { Mutex, type LockHandle } from '@etcd-patterns/lock';
import { readSnapshotFile } from '@etcd-patterns/ops';
import { Range } from 'etcd3';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { OtlpSink } from './otlp-sink';
import { waitFor } from './wait-for';

jest.setTimeout(90_000);

const NAMESPACE = 'e2e/greeter';
const ELECTION = '/elections/worker-requeue'; // apps/worker/src/job-record.ts REQUEUE_ELECTION
const LOCK_NAME = '/e2e-console/locks/report';
const XSS = '<img src=x onerror=alert(1)>';
const ROOT_PASSWORD = 'root-pw-Vb27';
const VIEWER_PASSWORD = 'viewer-pw-Hq58';
const GUARDED_KEY = '/app/guarded';
const SHOTS_DIR = join(REPO_ROOT, 'tmp', 'console-e2e');
const DIST_INDEX = join(REPO_ROOT, 'apps', 'console-ui', 'dist', 'index.html');
const UI_TIMEOUT_MS = 20_000;

/** Polls a page-side condition (a locator's state or text) like `waitFor`, for UI assertions. */
const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = UI_TIMEOUT_MS): Promise<T> => waitFor(what, probe, timeoutMs, 150);

describe('ops console in Chromium (real apps, 3-member etcd)', () => {
  let cluster: EtcdCluster;
  let authCluster: EtcdCluster;
  let sink: OtlpSink;
  let client: Etcd3;
  let authRoot: Etcd3;
  let gatewayUrl: string;
  let consoleUrl: string;
  let authConsoleUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let session: Session | undefined;
  let held: LockHandle | undefined;
  const workers: AppProcess[] = [];
  const all = new Set<AppProcess>();
  const etcdctls: ChildProcess[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const shots: string[] = [];

  const env = (extra: Record<string, string>): Record<string, string> => ({
    ETCD_ENDPOINTS: cluster.endpoints.join(','),
    ETCD_SESSION_TTL_SECONDS: '3',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    ...extra,
  });
  const start = async (app: AppName, instance: string, extra: Record<string, string> = {}): Promise<AppProcess> => {
    const proc = await AppProcess.start({ app, env: env({ INSTANCE_NAME: instance, ...extra }) });
    all.add(proc);
    return proc;
  };
  const startConsole = async (endpoints: readonly string[], instance: string): Promise<string> => {
    const proc = await AppProcess.start({ app: 'console', env: { ETCD_ENDPOINTS: endpoints.join(','), CONSOLE_HOST: '127.0.0.1', CONSOLE_PORT: '0', INSTANCE_NAME: instance } });
    all.add(proc);
    return String((await proc.waitForLog((e) => e['msg'] === 'console ready'))['url']);
  };
  const greeterEnv = { CONFIG_NAMESPACE: NAMESPACE, SHUTDOWN_DRAIN_MS: '300' };

  const hello = async (): Promise<string | undefined> => {
    const res = await fetch(`${gatewayUrl}/hello?name=Ada`, { signal: AbortSignal.timeout(5000) });
    return res.status === 200 ? String(((await res.json()) as { message: string }).message) : undefined;
  };

  const shot = async (name: string, on: Page = page): Promise<void> => {
    const path = join(SHOTS_DIR, `${name}.png`);
    await on.screenshot({ path });
    shots.push(path);
  };

  const open = async (hash: string, on: Page = page): Promise<void> => {
    await on.goto(`${on === page ? consoleUrl : authConsoleUrl}/${hash}`);
    await on.getByTestId('session-user').waitFor({ timeout: UI_TIMEOUT_MS });
  };

  const signIn = async (on: Page, base: string, username: string, password: string): Promise<void> => {
    await on.goto(`${base}/#/services`);
    await on.getByTestId('signin-form').waitFor({ timeout: UI_TIMEOUT_MS });
    await on.getByTestId('signin-username').fill(username);
    await on.getByTestId('signin-password').fill(password);
    await on.getByTestId('signin-submit').click();
    await on.getByTestId('session-user').waitFor({ timeout: UI_TIMEOUT_MS });
  };

  /** Replaces the whole text of the CodeMirror editor inside `testId`, typing like a user. */
  const replaceEditorText = async (on: Page, testId: string, text: string): Promise<void> => {
    const content = on.getByTestId(testId).locator('.cm-content');
    await content.click();
    await on.keyboard.press('Control+A');
    await on.keyboard.press('Delete');
    await on.keyboard.insertText(text);
  };

  const newPage = async (ctx: BrowserContext): Promise<Page> => {
    const p = await ctx.newPage();
    p.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    p.on('pageerror', (error) => pageErrors.push(error.message));
    return p;
  };

  const greeterAddresses = (): Promise<string[]> =>
    page.locator('[data-testid="service-row"][data-service="greeter"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-address') ?? ''));

  beforeAll(async () => {
    if (!existsSync(DIST_INDEX)) {
      throw new Error(`the console SPA is not built (${DIST_INDEX} is missing): run \`npx nx build console-ui\` first (npm test does)`);
    }
    mkdirSync(SHOTS_DIR, { recursive: true });
    [cluster, authCluster, sink] = await Promise.all([EtcdCluster.start({ size: 3 }), EtcdCluster.start({ size: 1 }), OtlpSink.start()]);
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    await publish({ client, namespace: NAMESPACE, document: { template: 'Hello, {name}!' }, author: 'e2e', message: 'initial' });

    // The auth cluster: root, and a viewer with read on the whole keyspace only.
    const admin = await createEtcdClient({ endpoints: authCluster.endpoints });
    try {
      await admin.user('root').create(ROOT_PASSWORD);
      await admin.role('root').create();
      await admin.user('root').addRole('root');
      const viewer = await admin.role('viewer').create();
      await viewer.grant({ permission: 'Read', range: Range.prefix('/') });
      await admin.user('viewer').create(VIEWER_PASSWORD);
      await admin.user('viewer').addRole('viewer');
      await admin.put(GUARDED_KEY).value('original');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
    authRoot = await createEtcdClient({ endpoints: authCluster.endpoints, username: 'root', password: ROOT_PASSWORD });

    const started = await Promise.all([
      start('greeter', 'g1', greeterEnv),
      start('worker', 'w1', { SHUTDOWN_DRAIN_MS: '300' }),
      start('worker', 'w2', { SHUTDOWN_DRAIN_MS: '300' }),
      start('gateway', 'gw', { GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1' }),
      startConsole(cluster.endpoints, 'console'),
      startConsole(authCluster.endpoints, 'console-auth'),
    ]);
    workers.push(started[1] as AppProcess, started[2] as AppProcess);
    gatewayUrl = String((await (started[3] as AppProcess).waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
    consoleUrl = started[4] as string;
    authConsoleUrl = started[5] as string;

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await newPage(context);
  }, 150_000);

  afterAll(async () => {
    // Each step on its own, so one failure cannot leave processes behind.
    await browser?.close().catch(() => undefined);
    for (const child of etcdctls) if (child.exitCode === null) child.kill('SIGKILL');
    await held?.unlock().catch(() => undefined);
    await session?.close().catch(() => undefined);
    await Promise.all([...all].map((p) => p.kill()));
    client?.close();
    authRoot?.close();
    await sink?.close();
    await Promise.all([cluster?.close(), authCluster?.close()]);
    if (shots.length > 0) process.stdout.write(`console e2e screenshots (${shots.length}) in ${SHOTS_DIR}\n`);
  });

  it('signs in and shows a greeter appear live when it starts, and vanish within its TTL after kill -9', async () => {
    await page.goto(`${consoleUrl}/#/services`);
    await shot('00-sign-in');
    await signIn(page, consoleUrl, 'anyone', '');
    await page.getByTestId('auth-off-banner').waitFor({ timeout: UI_TIMEOUT_MS });
    await until('the live services stream', async () => (await page.getByTestId('live-status').getAttribute('data-status')) === 'live');
    await until('greeter g1 in the table', async () => (await greeterAddresses()).length === 1);
    const [g1Address] = await greeterAddresses();

    // Started while the page is open: its row must appear without a reload.
    const g2 = await start('greeter', 'g2', greeterEnv);
    const g2Address = String((await g2.waitForLog((e) => e['msg'] === 'greeter ready'))['address']);
    expect(g2Address).not.toBe(g1Address);
    const row = page.locator(`[data-testid="service-row"][data-service="greeter"][data-address="${g2Address}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    await shot('01-services');

    // kill -9: no deregistration; the lease (TTL 3 s) expires and the row goes.
    await g2.kill();
    await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    expect(await greeterAddresses()).toEqual([g1Address]);
  });

  it('publishes a config change from the editor, diffs two versions, rolls back; GET /hello follows each', async () => {
    expect(await until('a greeting', hello, 30_000)).toBe('Hello, Ada!');
    await open('#/config/e2e/greeter');
    await page.getByTestId('config-editor').locator('.cm-content').waitFor({ timeout: UI_TIMEOUT_MS });
    await replaceEditorText(page, 'config-editor', 'template: "Howdy, {name}!"\n');
    await page.getByTestId('publish-message').fill('friendlier greeting');
    await page.getByTestId('config-publish').click();
    await page.getByTestId('publish-ok').waitFor({ timeout: UI_TIMEOUT_MS });
    await shot('02-config-published');
    await until('/hello to use v2', async () => (await hello()) === 'Howdy, Ada!', 30_000);

    await page.getByTestId('tab-history').click();
    await page.locator('[data-testid="config-version-row"][data-version="2"]').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByTestId('history-compare').click(); // defaults: v1 ↔ v2
    const diff = page.getByTestId('config-diff');
    await diff.waitFor({ timeout: UI_TIMEOUT_MS });
    await until('the diff to show both greetings', async () => {
      const text = (await diff.textContent()) ?? '';
      return text.includes('Hello, {name}!') && text.includes('Howdy, {name}!');
    });
    await shot('03-config-diff');

    await page.getByTestId('tab-history').click();
    await page.locator('[data-testid="rollback-button"][data-version="1"]').click();
    await page.getByTestId('confirm-dialog').waitFor({ timeout: UI_TIMEOUT_MS });
    await shot('04-config-rollback-confirm');
    await page.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="config-version-row"][data-version="3"]').waitFor({ timeout: UI_TIMEOUT_MS });
    await until('/hello to follow the rollback (v3 = v1)', async () => (await hello()) === 'Hello, Ada!', 30_000);
    await shot('05-config-history');
  });

  it('shows a lock holder and its waiters in queue order, an etcdctl lock waiter among them', async () => {
    session = await Session.create(client, { ttlSeconds: 10 });
    held = await new Mutex(session, LOCK_NAME).lock();
    const ownersByRevision = async (): Promise<string[]> => {
      const res = await client.getAll().prefix(`${LOCK_NAME}/`).exec();
      return res.kvs.sort((a, b) => Number(a.create_revision) - Number(b.create_revision)).map((kv) => kv.key.toString());
    };
    // Two etcdctl waiters, the second queued after the first (its owner key is written later).
    const first = spawnEtcdctl(cluster.endpoints, ['lock', LOCK_NAME]);
    etcdctls.push(first);
    await waitFor('the first etcdctl waiter', async () => (await ownersByRevision()).length === 2);
    const second = spawnEtcdctl(cluster.endpoints, ['lock', LOCK_NAME]);
    etcdctls.push(second);
    const owners = await waitFor('the second etcdctl waiter', async () => {
      const keys = await ownersByRevision();
      return keys.length === 3 ? keys : undefined;
    });
    expect(owners[0]).toBe(held.key);

    await open('#/locks');
    const card = page.locator(`[data-testid="lock-card"][data-name="${LOCK_NAME}"]`);
    const queue = async (): Promise<string[]> => card.getByTestId('queue-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-key') ?? ''));
    await until('the lock card with two waiters', async () => JSON.stringify(await queue()) === JSON.stringify(owners.slice(1)));
    expect((await card.textContent()) ?? '').toContain(held.key);
    await shot('06-locks');

    // Released: the first etcdctl waiter holds it (it prints the key), the second still waits.
    await held.unlock();
    held = undefined;
    await until('the first etcdctl waiter to hold the lock', async () => JSON.stringify(await queue()) === JSON.stringify([owners[2]]));
    expect((await card.textContent()) ?? '').toContain(owners[1]);
  });

  it('shows the worker election leader change when the leader worker is killed', async () => {
    const leader = await Promise.race(workers.map((w) => w.waitForLog((e) => e['msg'] === 'elected: re-queueing jobs of dead workers').then(() => w)));
    const follower = workers.find((w) => w !== leader)!;
    await open('#/locks');
    const card = page.locator(`[data-testid="election-card"][data-name="${ELECTION}"]`);
    const leaderKey = async (): Promise<string | undefined> => (await card.getByTestId('queue-entry').first().getAttribute('data-key', { timeout: 2000 })) ?? undefined;
    const before = await until('the election with both candidates', async () => ((await card.getByTestId('queue-entry').count()) === 2 ? leaderKey() : undefined));
    await shot('07-elections');

    await leader.kill();
    await follower.waitForLog((e) => e['msg'] === 'elected: re-queueing jobs of dead workers');
    await until('the page to show the new leader alone', async () => (await card.getByTestId('queue-entry').count()) === 1 && (await leaderKey()) !== before);
    await shot('08-elections-new-leader');
  });

  it('downloads a snapshot from the Cluster page that verifies', async () => {
    await open('#/cluster');
    await page.locator('[data-testid="member-row"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    await until('three members', async () => (await page.getByTestId('member-row').count()) === 3);
    await shot('09-cluster');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('snapshot-download').click()]);
    const file = join(SHOTS_DIR, 'snapshot.db');
    await download.saveAs(file);
    const status = await readSnapshotFile(file, { requireDigest: true });
    expect(status.sha256Verified).toBe(true);
    expect(status.revision).toBeGreaterThan(0);
    expect(status.totalKeys).toBeGreaterThan(0);
  });

  it('renders an HTML-looking value as text on the Keys page (no script runs)', async () => {
    await client.put('/e2e-console/xss').value(XSS);
    await open(`#/keys?prefix=${encodeURIComponent('/e2e-console/')}&key=${encodeURIComponent('/e2e-console/xss')}`);
    const value = page.getByTestId('key-value');
    await until('the value as literal text', async () => ((await value.textContent()) ?? '').includes(XSS));
    await page.locator('[data-testid="key-row"][data-key="/e2e-console/xss"]').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await shot('10-keys-xss');
    expect(dialogs).toEqual([]);
  });

  it('refuses a viewer’s write with "permission denied" (403) and nothing changes in etcd', async () => {
    const before = (await authRoot.get(GUARDED_KEY).exec()).kvs[0]!;
    const viewerContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const viewerPage = await newPage(viewerContext);
      await signIn(viewerPage, authConsoleUrl, 'viewer', VIEWER_PASSWORD);
      expect(await viewerPage.getByTestId('session-user').textContent()).toContain('viewer');
      await open(`#/keys?prefix=${encodeURIComponent('/app/')}&key=${encodeURIComponent(GUARDED_KEY)}`, viewerPage);
      await viewerPage.getByTestId('key-value').waitFor({ timeout: UI_TIMEOUT_MS });
      await viewerPage.getByTestId('tab-edit').click();
      await viewerPage.getByTestId('key-editor').locator('.cm-content').waitFor({ timeout: UI_TIMEOUT_MS });
      await replaceEditorText(viewerPage, 'key-editor', 'changed by a viewer');
      await viewerPage.getByTestId('key-save').click();
      const error = viewerPage.getByTestId('api-error');
      await error.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await error.getAttribute('data-status')).toBe('403');
      expect(await error.getAttribute('data-code')).toBe('ETCD_PERMISSION_DENIED');
      expect((await error.textContent()) ?? '').toMatch(/permission denied/i);
      await shot('11-keys-viewer-denied', viewerPage);
    } finally {
      await viewerContext.close();
    }
    const after = (await authRoot.get(GUARDED_KEY).exec()).kvs[0]!;
    expect(after.value.toString()).toBe('original');
    expect(after.mod_revision).toBe(before.mod_revision);
  });

  it('keeps 8 more tabs of the same browser live (one shared connection, not one per tab), updates reaching the last', async () => {
    // Chromium allows 6 HTTP/1.1 connections per host for all tabs of a browser; with one
    // EventSource per tab the 7th tab never loaded. Services, locks, config and cluster each hold a stream.
    const sections = ['services', 'locks', 'config', 'cluster', 'services', 'locks', 'config', 'services'];
    const tabs: Page[] = [];
    try {
      for (const section of sections) {
        const tab = await newPage(context);
        tabs.push(tab);
        await tab.goto(`${consoleUrl}/#/${section}`);
        await tab.getByTestId(`page-${section}`).waitFor({ timeout: UI_TIMEOUT_MS });
      }
      for (const [i, tab] of tabs.entries()) {
        await until(`tab ${i + 1} (${sections[i]}) live`, async () => (await tab.getByTestId('live-status').getAttribute('data-status')) === 'live');
      }
      const last = tabs.at(-1)!;
      const address = '127.0.0.1:65001';
      await client.put(`/services/e2e-tabs/${address}`).value(JSON.stringify({ Op: 0, Addr: address, Metadata: { version: '9.9.9' } }));
      const row = last.locator(`[data-testid="service-row"][data-service="e2e-tabs"][data-address="${address}"]`);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      await shot('12-ninth-tab-live', last);
      // A request of the last tab still gets a connection too.
      expect(await last.evaluate(async () => (await fetch('/api/services')).status)).toBe(200);
      await client.delete().key(`/services/e2e-tabs/${address}`);
      await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    } finally {
      for (const tab of tabs) await tab.close();
    }
  });

  it('renders every page (screenshots kept under tmp/console-e2e/)', async () => {
    for (const section of ['services', 'config', 'locks', 'cluster', 'keys', 'leases', 'access', 'traces']) {
      await open(`#/${section}`);
      await page.getByTestId(`page-${section}`).waitFor({ timeout: UI_TIMEOUT_MS });
      // Each page shows what it loaded, not its "Loading …" line (live pages never go network-idle).
      await page.getByTestId(`page-${section}`).getByTestId('loading').first().waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
      await shot(`page-${section}`);
    }
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
