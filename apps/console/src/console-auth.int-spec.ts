import 'reflect-metadata';
import { listVersions, publish } from '@etcd-patterns/config';
import type { AccessView, ApiError, KeyListView, LiveEvent, ServicesView, SessionInfo } from '@etcd-patterns/console-contract';
import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { Range } from 'etcd3';
import { startTestConsole, type ConsoleClient, type TestConsole } from './testing/console-client';

jest.setTimeout(60_000);

const ROOT_PASSWORD = 'root-pw-Zq81';
const VIEWER_PASSWORD = 'viewer-pw-Kd42';
const WRITER_PASSWORD = 'writer-pw-Lm73';

const code = (answer: { json: unknown }): string | undefined => (answer.json as ApiError | undefined)?.error?.code;
const message = (answer: { json: unknown }): string => (answer.json as ApiError | undefined)?.error?.message ?? '';

/**
 * etcd with auth on: a root user, a `viewer` with read-only permission on `/`, and a `writer`
 * with read-write on `/app/` only. Created through etcd's auth API, as an operator would.
 */
async function enableAuth(endpoints: readonly string[]): Promise<void> {
  const admin = await createEtcdClient({ endpoints });
  try {
    await admin.user('root').create(ROOT_PASSWORD);
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    const viewer = await admin.role('viewer').create();
    await viewer.grant({ permission: 'Read', range: Range.prefix('/') });
    await admin.user('viewer').create(VIEWER_PASSWORD);
    await admin.user('viewer').addRole('viewer');
    const writer = await admin.role('writer').create();
    await writer.grant({ permission: 'Readwrite', range: Range.prefix('/app/') });
    await admin.user('writer').create(WRITER_PASSWORD);
    await admin.user('writer').addRole('writer');
    await admin.put('/app/seed').value('seed');
    await admin.auth.authEnable();
  } finally {
    admin.close();
  }
}

describe('console with etcd auth on (real etcd RBAC)', () => {
  let cluster: EtcdCluster;
  let root: Etcd3;
  let app: TestConsole;
  let asRoot: ConsoleClient;
  let asViewer: ConsoleClient;
  let asWriter: ConsoleClient;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    await enableAuth(cluster.endpoints);
    root = await createEtcdClient({ endpoints: cluster.endpoints, username: 'root', password: ROOT_PASSWORD });
    await publish({ client: root, namespace: 'prod/app', document: { greeting: 'hi' }, author: 'setup' });
    app = await startTestConsole(cluster.endpoints);
    expect(app.authEnabled).toBe(true);
    asRoot = app.client();
    asViewer = app.client();
    asWriter = app.client();
    expect((await asRoot.signIn('root', ROOT_PASSWORD)).status).toBe(200);
    expect((await asViewer.signIn('viewer', VIEWER_PASSWORD)).status).toBe(200);
    expect((await asWriter.signIn('writer', WRITER_PASSWORD)).status).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    root?.close();
    await cluster?.close();
  });

  it('refuses wrong credentials with 401 and never logs passwords', async () => {
    const wrong = await app.client().signIn('viewer', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(code(wrong)).toBe('UNAUTHENTICATED');
    expect((await app.client().signIn('nobody', 'whatever')).status).toBe(401);
    expect((await app.client().signIn('', '')).status).toBe(401);
    const log = app.logLines.join('\n');
    for (const secret of [ROOT_PASSWORD, VIEWER_PASSWORD, WRITER_PASSWORD, 'not-the-password']) expect(log).not.toContain(secret);
  });

  it('acts as the signed-in user: the session info says who, with the roles etcd gave', async () => {
    const info = (await asViewer.get<SessionInfo>('/api/session')).json;
    expect(info).toMatchObject({ username: 'viewer', authEnabled: true, roles: ['viewer'] });
  });

  it("lets the viewer read, and answers its writes with 403 permission denied, changing nothing", async () => {
    const keys = (await asViewer.get<KeyListView>(`/api/keys?prefix=${encodeURIComponent('/app/')}`)).json;
    expect(keys.keys.map((k) => k.key)).toEqual(['/app/seed']);
    expect((await asViewer.get<ServicesView>('/api/services')).status).toBe(200);

    const put = await asViewer.request('PUT', '/api/keys/value', { body: { key: '/app/seed', value: 'viewer was here', expectedModRevision: keys.keys[0]!.modRevision } });
    expect(put.status).toBe(403);
    expect(code(put)).toBe('ETCD_PERMISSION_DENIED');
    expect(message(put)).toMatch(/^permission denied: /);
    expect(await root.get('/app/seed').string()).toBe('seed');

    const publishAttempt = await asViewer.request('POST', '/api/config/prod/app/publish', { body: { text: 'greeting: hacked\n', format: 'yaml', baseVersion: 1 } });
    expect(publishAttempt.status).toBe(403);
    expect(code(publishAttempt)).toBe('ETCD_PERMISSION_DENIED');
    expect((await listVersions({ client: root, namespace: 'prod/app' })).map((v) => v.version)).toEqual([1]);

    expect((await asViewer.request('DELETE', `/api/keys/value?key=${encodeURIComponent('/app/seed')}&expectedModRevision=${keys.keys[0]!.modRevision}`)).status).toBe(403);
    expect((await asViewer.request('POST', '/api/cluster/compact', { body: { revision: 'current' } })).status).toBe(403);
    expect((await asViewer.get('/api/access')).status).toBe(403);
    expect(await root.get('/app/seed').string()).toBe('seed');
  });

  it('lets the writer write only its prefix', async () => {
    expect((await asWriter.request('PUT', '/api/keys/value', { body: { key: '/app/writer', value: 'ok', expectedModRevision: 0 } })).status).toBe(200);
    expect(await root.get('/app/writer').string()).toBe('ok');
    const outside = await asWriter.request('PUT', '/api/keys/value', { body: { key: '/other/writer', value: 'no', expectedModRevision: 0 } });
    expect(outside.status).toBe(403);
    expect(await root.get('/other/writer').string()).toBeNull();
  });

  it('lets root publish, edit and administer users and roles', async () => {
    const published = await asRoot.request<{ version: number }>('POST', '/api/config/prod/app/publish', { body: { text: 'greeting: hello\n', format: 'yaml', baseVersion: 1 } });
    expect(published.status).toBe(200);
    expect(published.json.version).toBe(2);
    expect((await asRoot.request('PUT', '/api/keys/value', { body: { key: '/root-only', value: 'x', expectedModRevision: 0 } })).status).toBe(200);

    expect((await asRoot.request('POST', '/api/access/roles', { body: { name: 'ops' } })).status).toBe(204);
    expect((await asRoot.request('POST', '/api/access/roles', { body: { name: 'ops' } })).status).toBe(409);
    expect((await asRoot.request('POST', '/api/access/roles/ops/permissions', { body: { type: 'readwrite', key: '/ops/', prefix: true } })).status).toBe(204);
    expect((await asRoot.request('POST', '/api/access/users', { body: { name: 'olga', password: 'olga-pw-Hh19' } })).status).toBe(204);
    expect((await asRoot.request('POST', '/api/access/users/olga/roles', { body: { role: 'ops' } })).status).toBe(204);
    const view = (await asRoot.get<AccessView>('/api/access')).json;
    expect(view.authEnabled).toBe(true);
    expect(view.users).toEqual(expect.arrayContaining([{ name: 'olga', roles: ['ops'] }, { name: 'viewer', roles: ['viewer'] }, { name: 'root', roles: ['root'] }]));
    expect(view.roles.find((r) => r.name === 'viewer')!.permissions).toEqual([{ type: 'read', key: '/', rangeEnd: '0', prefix: true }]);
    expect(view.roles.find((r) => r.name === 'ops')!.permissions).toEqual([{ type: 'readwrite', key: '/ops/', rangeEnd: '/ops0', prefix: true }]);

    const olga = app.client();
    expect((await olga.signIn('olga', 'olga-pw-Hh19')).status).toBe(200);
    expect((await olga.request('PUT', '/api/keys/value', { body: { key: '/ops/x', value: '1', expectedModRevision: 0 } })).status).toBe(200);
    expect((await asRoot.request('DELETE', '/api/access/roles/ops/permissions?key=%2Fops%2F&prefix=true')).status).toBe(204);
    expect((await olga.request('PUT', '/api/keys/value', { body: { key: '/ops/y', value: '1', expectedModRevision: 0 } })).status).toBe(403);
    expect((await asRoot.request('DELETE', '/api/access/users/olga/roles/ops')).status).toBe(204);
    expect((await asRoot.request('DELETE', '/api/access/users/olga/roles/ops')).status).toBe(404);
    expect(app.logLines.join('\n')).not.toContain('olga-pw-Hh19');
  });

  it('enables auth only for root (here: a no-op, auth is on)', async () => {
    const viewer = await asViewer.request('POST', '/api/access/enable');
    expect(viewer.status).toBe(409);
    expect(code(viewer)).toBe('ACCESS_LOCKOUT');
    const byRoot = await asRoot.request('POST', '/api/access/enable');
    expect(byRoot.status).toBe(200);
    expect(byRoot.json).toEqual({ authEnabled: true, signedOut: 0 });
  });

  it("applies the user's permissions to live streams too", async () => {
    const events = await asViewer.events<LiveEvent<unknown>>('/api/events/keys?prefix=%2F', (e) => e.length >= 1);
    expect(events[0]!.type).toBe('snapshot');
    const denied = await asWriter.events<LiveEvent<unknown>>('/api/events/keys?prefix=%2F', (e) => e.length >= 1);
    expect(denied[0]).toMatchObject({ type: 'error', code: 'ETCD_PERMISSION_DENIED' });
  });

  it('signs out: the session client is closed and the session is gone', async () => {
    const temp = app.client();
    expect((await temp.signIn('viewer', VIEWER_PASSWORD)).status).toBe(200);
    expect((await temp.request('DELETE', '/api/session')).status).toBe(204);
    expect((await temp.get('/api/services')).status).toBe(401);
  });
});

describe('enabling etcd auth from the console', () => {
  let cluster: EtcdCluster;
  let app: TestConsole;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    const admin = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      await admin.user('root').create(ROOT_PASSWORD);
      await admin.role('root').create();
    } finally {
      admin.close();
    }
    app = await startTestConsole(cluster.endpoints);
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.close();
  });

  it('refuses to lock everyone out, then enables auth for root and signs the auth-off sessions out', async () => {
    const ada = app.client();
    expect((await ada.signIn('ada', '')).json.authEnabled).toBe(false);
    const notRoot = await ada.request('POST', '/api/access/enable');
    expect(code(notRoot)).toBe('ACCESS_LOCKOUT');
    const rootOff = app.client();
    expect((await rootOff.signIn('root', '')).status).toBe(200);
    const noRole = await rootOff.request('POST', '/api/access/enable');
    expect(code(noRole)).toBe('ACCESS_LOCKOUT');
    expect(message(noRole)).toMatch(/root role/);
    expect((await rootOff.request('POST', '/api/access/users/root/roles', { body: { role: 'root' } })).status).toBe(204);

    const enabled = await rootOff.request('POST', '/api/access/enable');
    expect(enabled.status).toBe(200);
    expect(enabled.json).toEqual({ authEnabled: true, signedOut: 2 });
    expect(rootOff.signedIn).toBe(false);
    expect((await ada.get('/api/services')).status).toBe(401);

    const rootOn = app.client();
    expect((await rootOn.signIn('root', 'wrong')).status).toBe(401);
    const info = await rootOn.signIn('root', ROOT_PASSWORD);
    expect(info.json).toMatchObject({ username: 'root', authEnabled: true, roles: ['root'] });
    expect((await rootOn.get('/api/services')).status).toBe(200);
  });
});
