import 'reflect-metadata';
import { setStoredSchema } from '@etcd-patterns/config';
import type {
  ApiError,
  ClusterView,
  ConfigNamespaceView,
  KeyListView,
  KeyValueView,
  LeasesView,
  LiveEnvelope,
  LiveEvent,
  LocksView,
  ServicesView,
  SessionInfo,
  TraceDetailView,
  TracesView,
} from '@etcd-patterns/console-contract';
import { MAX_BODY_BYTES } from '@etcd-patterns/console-contract';
import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl, spawnEtcdctl } from '@etcd-patterns/etcd-cluster';
import { readSnapshotFile } from '@etcd-patterns/ops';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@etcd-patterns/telemetry';
import { startConsole } from './console-app';
import { parseConsoleEnv } from './env';
import { LiveViews } from './live-views';
import { startTestConsole, type ConsoleClient, type TestConsole } from './testing/console-client';

jest.setTimeout(60_000);

/** Polls `read` until `test` holds (the views are read from etcd: wait for the state, not for time). */
async function eventually<T>(read: () => Promise<T>, test: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (test(last)) return last;
    if (Date.now() > deadline) throw new Error(`condition not reached; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const code = (answer: { json: unknown }): string | undefined => (answer.json as ApiError | undefined)?.error?.code;

describe('console API (real etcd, auth off)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let app: TestConsole;
  let api: ConsoleClient;
  let staticDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    staticDir = mkdtempSync(join(tmpdir(), 'console-ui-'));
    app = await startTestConsole(cluster.endpoints, { CONSOLE_STATIC_DIR: staticDir, CONSOLE_LOCK_PREFIXES: '/t/locks/,/t/elections/' });
    api = app.client();
    const signedIn = await api.signIn('ada', 'secret-pass-123');
    expect(signedIn.status).toBe(200);
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await app?.close();
    etcd?.close();
    await cluster?.close();
    if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  });

  describe('HTTP edge', () => {
    it('sets the security headers and answers /healthz', async () => {
      const res = await api.get('/healthz');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: 'ok' });
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-powered-by')).toBeNull();
    });

    it('serves a hint while the UI is not built, then the single-page app with client routes', async () => {
      const missing = await api.get('/');
      expect(missing.status).toBe(200);
      expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
      expect(missing.text).toContain('npx nx build console-ui');

      mkdirSync(join(staticDir, 'assets'));
      writeFileSync(join(staticDir, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/app.js"></script>');
      writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
      const index = await api.get('/config/dev/greeter');
      expect(index.status).toBe(200);
      expect(index.text).toContain('<div id="root">');
      expect((await api.get('/assets/app.js')).text).toBe('console.log(1)');
      const missingAsset = await api.get('/assets/missing.js');
      expect(missingAsset.status).toBe(404);
      expect(missingAsset.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('answers unknown API routes with 404 JSON and wrong methods with 405 and Allow', async () => {
      const unknown = await api.get('/api/nothing/here');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
      expect(code(unknown)).toBe('NOT_FOUND');
      const wrong = await api.request('DELETE', '/api/services');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD');
      expect(code(wrong)).toBe('METHOD_NOT_ALLOWED');
    });

    it('requires a session (401) and, for changes, the CSRF token (403) before doing anything', async () => {
      const anonymous = app.client();
      expect((await anonymous.get('/api/services')).status).toBe(401);
      expect(code(await anonymous.get('/api/session'))).toBe('UNAUTHENTICATED');

      const put = (csrf: boolean, headers: Record<string, string> = {}) =>
        api.request('PUT', '/api/keys/value', { body: { key: '/t/csrf', value: 'x', expectedModRevision: 0 }, csrf, headers });
      const missing = await put(false);
      expect(missing.status).toBe(403);
      expect(code(missing)).toBe('CSRF');
      const wrong = await put(false, { 'x-csrf-token': 'not-the-token' });
      expect(code(wrong)).toBe('CSRF');
      expect((await etcd.get('/t/csrf').string())).toBeNull();
      expect((await put(true)).status).toBe(200);
    });

    it('refuses bodies over MAX_BODY_BYTES with 413 JSON', async () => {
      const res = await api.request('PUT', '/api/keys/value', { body: { key: '/t/big', value: 'x'.repeat(MAX_BODY_BYTES), expectedModRevision: 0 } });
      expect(res.status).toBe(413);
      expect(code(res)).toBe('TOO_LARGE');
      expect(await etcd.get('/t/big').string()).toBeNull();
      const text = await api.request('POST', '/api/keys/import', { body: 'x'.repeat(MAX_BODY_BYTES + 1), headers: { 'content-type': 'text/plain' } });
      expect([text.status, code(text)]).toEqual([413, 'TOO_LARGE']);
      const small = await api.request('POST', '/api/keys/import', { body: 'not json', headers: { 'content-type': 'text/plain' } });
      expect(small.status).toBe(400);
    });

    it('sets an HttpOnly, SameSite=Strict session cookie and never logs the password', async () => {
      const res = await fetch(`${app.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: 'another-secret-456' }) });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('ep_session='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Path=\//);
      const info = (await res.json()) as SessionInfo;
      expect(info).toMatchObject({ username: '', authEnabled: false, roles: [], demoControls: false });
      expect(info.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const log = app.logLines.join('\n');
      expect(log).toContain('"msg":"signed in"');
      expect(log).not.toContain('secret-pass-123');
      expect(log).not.toContain('another-secret-456');
      expect(log).not.toContain(info.csrfToken);
    });

    it('describes the API at /api/openapi.json and serves Swagger UI at /api/docs', async () => {
      const doc = await api.get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('/api/openapi.json');
      expect(doc.json.openapi).toBe('3.0.3');
      expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/api/session', '/api/config/{env}/{app}/publish', '/api/keys/value', '/api/events/{stream}', '/v1/traces']));
      expect(Object.keys(doc.json.paths['/api/keys/value']!).sort()).toEqual(['delete', 'get', 'put']);
      const ui = await api.get('/api/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline scripts (the CSP forbids them)
    });

    it('has no demo controls unless started by the demo launcher', async () => {
      expect((await api.get('/api/demo')).status).toBe(404);
      expect((await api.request('POST', '/api/demo/members/m0/pause')).status).toBe(404);
    });

    it('refuses a non-loopback address while etcd auth is off', async () => {
      const env = parseConsoleEnv({ ETCD_ENDPOINTS: cluster.endpoints.join(','), CONSOLE_HOST: '0.0.0.0', CONSOLE_PORT: '0' });
      await expect(startConsole(env, createLogger({ service: 'console', level: 'silent' }))).rejects.toThrow(/refusing to listen on 0\.0\.0\.0: etcd auth is off/);
    });
  });

  describe('services', () => {
    it('lists instances and shows malformed entries instead of hiding them', async () => {
      await etcd.put('/services/greeter/127.0.0.1:7001').value(JSON.stringify({ Op: 0, Addr: '127.0.0.1:7001', Metadata: { version: '1.2.0', zone: 'a', weight: 3 } }));
      expect((await etcdctl(cluster.endpoints, ['put', '/services/greeter/bad', 'not json'])).code).toBe(0);
      const view = (await api.get<ServicesView>('/api/services')).json;
      expect(view.prefix).toBe('/services/');
      expect(view.instances).toEqual([expect.objectContaining({ service: 'greeter', address: '127.0.0.1:7001', version: '1.2.0', zone: 'a', weight: 3, leaseId: '0' })]);
      expect(view.malformed).toEqual([expect.objectContaining({ key: '/services/greeter/bad', value: 'not json', reason: expect.stringMatching(/not JSON/) })]);
    });

    it('streams a snapshot, then only what changed as a delta, malformed entries included; streams of one client share one view', async () => {
      type ServicesEvent = LiveEvent<ServicesView>;
      const views = app.app.get(LiveViews);
      const path = '/api/events/services';
      const valid = '/services/delta/127.0.0.1:7101';
      const broken = '/services/delta/127.0.0.1:7102';
      let viewsWhileTwoOpen = -1;
      const events = await api.events<ServicesEvent>(path, (e) => e.some((x) => x.type === 'changes' && x.delta?.collections['instances']?.remove.includes(valid)), {
        onOpen: async () => {
          await api.events(path, (e) => {
            if (e.length > 0) viewsWhileTwoOpen = views.size;
            return e.length > 0;
          });
          await etcd.put(valid).value(JSON.stringify({ Op: 0, Addr: '127.0.0.1:7101', Metadata: { version: '2.0.0' } }));
          await etcd.put(broken).value('{"Addr": 7}');
          await etcd.delete().key(valid);
        },
      });
      expect(viewsWhileTwoOpen).toBe(1);
      const first = events[0] as Extract<ServicesEvent, { type: 'snapshot' }>;
      expect(first.type).toBe('snapshot');
      expect(first.data.instances.map((i) => i.key)).toContain('/services/greeter/127.0.0.1:7001');
      const deltas = events.slice(1).map((e) => (e as Extract<ServicesEvent, { type: 'changes' }>).delta!);
      const touched = deltas.flatMap((d) => Object.values(d.collections).flatMap((c) => [...c.upsert.map((i) => (i as { key?: string; id?: string }).key ?? (i as { id: string }).id), ...c.remove]));
      expect(touched).not.toContain('/services/greeter/127.0.0.1:7001'); // unchanged: never re-sent
      expect(deltas.flatMap((d) => d.collections['malformed']?.upsert ?? [])).toEqual([expect.objectContaining({ key: broken, reason: expect.any(String) })]);
      expect(deltas.flatMap((d) => d.collections['instances']?.remove ?? [])).toEqual([valid]);
      expect(events.every((e) => e.type !== 'changes' || e.revision > first.revision)).toBe(true);
      await etcd.delete().key(broken);
    });

    it('re-sends the TTL reading of a lease that is kept alive, without re-sending its instances', async () => {
      const lease = etcd.lease(3);
      const id = BigInt(await lease.grant()).toString(16);
      await lease.put('/services/ttl/127.0.0.1:7201').value(JSON.stringify({ Op: 0, Addr: '127.0.0.1:7201' }));
      try {
        type ServicesEvent = LiveEvent<ServicesView>;
        const refreshed = (e: ServicesEvent) => e.type === 'changes' && e.changes.length === 0 && (e.delta?.collections['leases']?.upsert ?? []).some((l) => (l as { id: string }).id === id);
        const events = await api.events<ServicesEvent>('/api/events/services', (e) => e.some(refreshed), { timeoutMs: 20_000 });
        const first = events[0] as Extract<ServicesEvent, { type: 'snapshot' }>;
        expect(first.data.leases).toEqual(expect.arrayContaining([expect.objectContaining({ id, grantedTtlSeconds: 3 })]));
        const refresh = events.find(refreshed) as Extract<ServicesEvent, { type: 'changes' }>;
        expect(Object.keys(refresh.delta!.collections)).toEqual(['leases']);
      } finally {
        await lease.revoke();
      }
    });
  });

  describe('config', () => {
    it('404s an unknown namespace and 400s an invalid one', async () => {
      expect(code(await api.get('/api/config/dev/nothing'))).toBe('CONFIG_NOT_FOUND');
      expect((await api.get('/api/config/dev/nothing')).status).toBe(404);
      expect((await api.get('/api/config/_x/app')).status).toBe(400);
    });

    it('answers invalid YAML with 400 and the line:column of the problem', async () => {
      const res = await api.request('POST', '/api/config/dev/app/validate', { body: { text: 'greeting: hi\nlist: [1, 2\nport: 80\n', format: 'yaml', baseVersion: 0 } });
      expect(res.status).toBe(400);
      const issue = (res.json as ApiError).error.issues![0]!;
      expect(issue.at).toMatch(/^\d+:\d+$/);
      expect(Number(issue.at!.split(':')[0])).toBeGreaterThanOrEqual(2);
      const json = await api.request('POST', '/api/config/dev/app/validate', { body: { text: '{\n  "a": 1,\n  "b": }\n', format: 'json', baseVersion: 0 } });
      expect(json.status).toBe(400);
      expect((json.json as ApiError).error.issues![0]!.at).toMatch(/^3:\d+$/);
    });

    it('publishes, refuses a stale base version with 409 and both sides, rolls back', async () => {
      const first = await api.request<{ version: number }>('POST', '/api/config/dev/app/publish', { body: { text: 'greeting: hi\nport: 80\n', format: 'yaml', baseVersion: 0, message: 'first' } });
      expect(first.status).toBe(200);
      expect(first.json.version).toBe(1);
      const stale = await api.request('POST', '/api/config/dev/app/publish', { body: { text: '{"greeting": "ho"}', format: 'json', baseVersion: 0 } });
      expect(stale.status).toBe(409);
      expect((stale.json as ApiError).error).toMatchObject({ code: 'CONFIG_CONFLICT', conflict: { yours: { greeting: 'ho' }, theirs: { greeting: 'hi', port: 80 }, theirsVersion: 1 } });
      const second = await api.request('POST', '/api/config/dev/app/publish', { body: { text: 'greeting: ho\nport: 81\n', format: 'yaml', baseVersion: 1 } });
      expect(second.status).toBe(200);

      const view = (await api.get<ConfigNamespaceView>('/api/config/dev/app')).json;
      expect(view).toMatchObject({ namespace: 'dev/app', version: 2, document: { greeting: 'ho', port: 81 }, drift: false, author: 'ada (etcd auth off)' });
      expect(view.yaml).toBe('greeting: ho\nport: 81\n');
      expect(view.versions.map((v) => v.version)).toEqual([2, 1]);
      expect((await api.get('/api/config/dev/app/versions/1')).json).toMatchObject({ version: 1, document: { greeting: 'hi', port: 80 } });
      expect((await api.get('/api/config/dev/app/versions/9')).status).toBe(404);
      expect((await api.get('/api/config')).json).toEqual({ namespaces: [expect.objectContaining({ namespace: 'dev/app', version: 2 })] });

      const back = await api.request<{ version: number }>('POST', '/api/config/dev/app/rollback', { body: { version: 1, baseVersion: 2 } });
      expect(back.status).toBe(200);
      expect((await api.get<ConfigNamespaceView>('/api/config/dev/app')).json.versions[0]).toMatchObject({ version: 3, rollbackOf: 1 });
      expect((await api.request('POST', '/api/config/dev/app/rollback', { body: { version: 1, baseVersion: 2 } })).status).toBe(409);
    });

    it('validates against the stored schema and points at the offending line', async () => {
      await setStoredSchema({ client: etcd, namespace: 'dev/typed', schema: { type: 'object', properties: { port: { type: 'integer' } }, required: ['port'] } });
      const res = await api.request('POST', '/api/config/dev/typed/publish', { body: { text: 'name: x\nport: eighty\n', format: 'yaml', baseVersion: 0 } });
      expect(res.status).toBe(400);
      expect((res.json as ApiError).error.issues).toEqual([expect.objectContaining({ path: 'port', at: '2:7' })]);
      expect((await api.get<ConfigNamespaceView>('/api/config/dev/typed')).status).toBe(404); // nothing was published
    });
  });

  describe('locks and elections', () => {
    it('shows etcdctl lock and elect holders, waiters and candidates in queue order', async () => {
      const holder = spawnEtcdctl(cluster.endpoints, ['lock', '/t/locks/job']);
      children.push(holder);
      await eventually(() => api.get<LocksView>('/api/locks'), (r) => r.json.locks.length === 1);
      const waiter = spawnEtcdctl(cluster.endpoints, ['lock', '/t/locks/job']);
      children.push(waiter);
      const leader = spawnEtcdctl(cluster.endpoints, ['elect', '/t/elections/leader', 'alice']);
      children.push(leader);
      await eventually(() => api.get<LocksView>('/api/locks'), (r) => r.json.elections.length === 1);
      const candidate = spawnEtcdctl(cluster.endpoints, ['elect', '/t/elections/leader', 'bob']);
      children.push(candidate);
      const view = (await eventually(() => api.get<LocksView>('/api/locks'), (r) => r.json.locks[0]?.waiters.length === 1 && r.json.elections[0]?.candidates.length === 1)).json;
      const lock = view.locks[0]!;
      expect(lock.name).toBe('/t/locks/job');
      expect(lock.holder.key).toBe(`/t/locks/job/${lock.holder.leaseId}`);
      expect(lock.holder.value).toBe('');
      expect(lock.waiters[0]!.createRevision).toBeGreaterThan(lock.holder.createRevision);
      expect(lock.holder.ttlSeconds).toBeGreaterThan(0);
      const election = view.elections[0]!;
      expect(election.name).toBe('/t/elections/leader');
      expect(election.leader.value).toBe('alice');
      expect(election.candidates.map((c) => c.value)).toEqual(['bob']);

      // The holder goes: the waiter holds the lock.
      holder.kill('SIGKILL');
      const leases = (await api.get<LeasesView>('/api/leases')).json.leases;
      expect(leases.find((l) => l.id === lock.holder.leaseId)?.owners).toEqual(['lock']);
      expect(leases.find((l) => l.id === election.leader.leaseId)?.owners).toEqual(['election']);
      const revoked = await api.request('DELETE', `/api/leases/${lock.holder.leaseId}`);
      expect(revoked.status).toBe(204);
      expect((await api.request('DELETE', `/api/leases/${lock.holder.leaseId}`)).status).toBe(404);
      const after = await eventually(() => api.get<LocksView>('/api/locks'), (r) => r.json.locks[0]?.holder.key === lock.waiters[0]!.key);
      expect(after.json.locks[0]!.waiters).toEqual([]);
    });
  });

  describe('keys', () => {
    it('404s an absent key and returns values as JSON text, never as markup', async () => {
      expect((await api.get(`/api/keys/value?key=${encodeURIComponent('/t/absent')}`)).status).toBe(404);
      const xss = '<script>alert(1)</script><img src=x onerror=alert(2)>';
      await etcd.put('/t/xss').value(xss);
      const res = await api.get<KeyValueView>(`/api/keys/value?key=${encodeURIComponent('/t/xss')}`);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.json).toMatchObject({ key: '/t/xss', kind: 'text', text: xss, size: Buffer.byteLength(xss) });
    });

    it('classifies JSON, YAML and binary values and lists the earlier revisions', async () => {
      await etcd.put('/t/v/json').value('{"a":1}');
      await etcd.put('/t/v/json').value('{"a":2,"b":[1]}');
      await etcd.put('/t/v/yaml').value('a: 1\nb:\n  - x\n');
      await etcd.put('/t/v/bin').value(Buffer.from([0, 1, 2, 255]));
      const json = (await api.get<KeyValueView>(`/api/keys/value?key=${encodeURIComponent('/t/v/json')}`)).json;
      expect(json).toMatchObject({ kind: 'json', pretty: '{\n  "a": 2,\n  "b": [\n    1\n  ]\n}', version: 2 });
      expect(json.history).toEqual([json.createRevision]);
      const old = (await api.get<KeyValueView>(`/api/keys/value?key=${encodeURIComponent('/t/v/json')}&revision=${json.createRevision}`)).json;
      expect(old.text).toBe('{"a":1}');
      expect((await api.get<KeyValueView>(`/api/keys/value?key=${encodeURIComponent('/t/v/yaml')}`)).json.kind).toBe('yaml');
      const bin = (await api.get<KeyValueView>(`/api/keys/value?key=${encodeURIComponent('/t/v/bin')}`)).json;
      expect(bin.kind).toBe('binary');
      expect(bin.hex).toContain('00 01 02 ff');
    });

    it('lists keys only, paged, with child folders and search', async () => {
      for (const k of ['/t/list/a', '/t/list/b', '/t/list/c', '/t/list/d/1', '/t/list/d/2', '/t/list/e/1']) await etcd.put(k).value('v');
      const page1 = (await api.get<KeyListView>(`/api/keys?prefix=${encodeURIComponent('/t/list/')}&limit=2`)).json;
      expect(page1.keys.map((k) => k.key)).toEqual(['/t/list/a', '/t/list/b']);
      expect(page1.keys[0]!.size).toBeUndefined();
      expect(page1.next).toBe('/t/list/b');
      expect(page1.children).toEqual(['/t/list/d/', '/t/list/e/']);
      const page2 = (await api.get<KeyListView>(`/api/keys?prefix=${encodeURIComponent('/t/list/')}&limit=2&after=${encodeURIComponent(page1.next!)}`)).json;
      expect(page2.keys.map((k) => k.key)).toEqual(['/t/list/c', '/t/list/d/1']);
      const found = (await api.get<KeyListView>(`/api/keys?prefix=${encodeURIComponent('/t/list/')}&search=D/`)).json;
      expect(found.keys.map((k) => k.key)).toEqual(['/t/list/d/1', '/t/list/d/2']);
      expect((await api.get(`/api/keys?limit=5000`)).status).toBe(400);
    });

    it('guards edits by mod revision: a conflict is 409 with both sides and changes nothing', async () => {
      const created = await api.request<{ modRevision: number }>('PUT', '/api/keys/value', { body: { key: '/t/edit', value: 'one', expectedModRevision: 0 } });
      expect(created.status).toBe(200);
      await etcd.put('/t/edit').value('theirs');
      const stale = await api.request('PUT', '/api/keys/value', { body: { key: '/t/edit', value: 'mine', expectedModRevision: created.json.modRevision } });
      expect(stale.status).toBe(409);
      const conflict = (stale.json as ApiError).error.conflict!;
      expect(conflict).toMatchObject({ yours: 'mine', theirs: 'theirs' });
      expect(conflict.theirsModRevision).toBeGreaterThan(created.json.modRevision);
      expect(await etcd.get('/t/edit').string()).toBe('theirs');
      expect((await api.request('DELETE', `/api/keys/value?key=${encodeURIComponent('/t/edit')}&expectedModRevision=${created.json.modRevision}`)).status).toBe(409);
      expect((await api.request('DELETE', `/api/keys/value?key=${encodeURIComponent('/t/edit')}&expectedModRevision=${conflict.theirsModRevision}`)).status).toBe(204);
      expect(await etcd.get('/t/edit').string()).toBeNull();
    });

    it('exports a prefix and imports it back (dry run first)', async () => {
      await etcd.put('/t/exp/a').value('1');
      await etcd.put('/t/exp/b').value(Buffer.from([0xff, 0x00]));
      const exported = (await api.get<{ keys: Array<{ key: string; value: string; encoding: string }> }>(`/api/keys/export?prefix=${encodeURIComponent('/t/exp/')}`)).json;
      expect(exported.keys).toEqual([
        { key: '/t/exp/a', value: '1', encoding: 'utf8' },
        { key: '/t/exp/b', value: Buffer.from([0xff, 0x00]).toString('base64'), encoding: 'base64' },
      ]);
      const body = { prefix: '/t/imp/', keys: [...exported.keys.map((k) => ({ ...k, key: k.key.replace('/t/exp/', '/t/imp/') })), { key: '/t/exp/a', value: '1', encoding: 'utf8' }] };
      const dry = await api.request('POST', '/api/keys/import', { body });
      expect(dry.json).toMatchObject({ dryRun: true, create: 2, update: 0, unchanged: 1, batches: 1 });
      expect(await etcd.get('/t/imp/a').string()).toBeNull();
      const real = await api.request('POST', '/api/keys/import?dryRun=false', { body });
      expect(real.json).toMatchObject({ dryRun: false, create: 2 });
      expect(await etcd.get('/t/imp/b').buffer()).toEqual(Buffer.from([0xff, 0x00]));
    });

    it('streams a snapshot, then a change event after a put', async () => {
      await etcd.put('/t/sse/one').value('1');
      type KeysEvent = LiveEvent<KeyListView>;
      const events = await api.events<KeysEvent>(`/api/events/keys?prefix=${encodeURIComponent('/t/sse/')}`, (e) => e.some((x) => x.type === 'changes'), {
        onOpen: async () => {
          await etcd.put('/t/sse/two').value('2');
        },
      });
      expect(events[0]).toMatchObject({ type: 'snapshot', data: { keys: [expect.objectContaining({ key: '/t/sse/one' })] } });
      const change = events.find((e) => e.type === 'changes') as Extract<KeysEvent, { type: 'changes' }>;
      expect(change.changes).toEqual([expect.objectContaining({ kind: 'put', key: '/t/sse/two' })]);
      // Only the delta: the new key, nothing about the unchanged one.
      expect(change.delta!.collections['keys']).toEqual({ upsert: [expect.objectContaining({ key: '/t/sse/two' })], remove: [] });
    });
  });

  describe('multiplexed live streams', () => {
    it('carries several streams over one connection, each with its own snapshot and deltas', async () => {
      const ids = ['keys:/t/mx/', 'locks', 'services'];
      const events = await api.events<LiveEnvelope>(`/api/events?streams=${encodeURIComponent(JSON.stringify(ids))}`, (e) => e.some((x) => x.stream === 'keys:/t/mx/' && x.event.type === 'changes'), {
        onOpen: async () => {
          await etcd.put('/t/mx/a').value('1');
        },
      });
      for (const id of ids) expect(events.find((e) => e.stream === id)?.event.type).toBe('snapshot');
      const change = events.find((e) => e.stream === 'keys:/t/mx/' && e.event.type === 'changes')!.event as Extract<LiveEvent<KeyListView>, { type: 'changes' }>;
      expect(change.changes).toEqual([expect.objectContaining({ kind: 'put', key: '/t/mx/a' })]);
      expect(change.delta!.collections['keys']!.upsert).toEqual([expect.objectContaining({ key: '/t/mx/a' })]);
    });

    it('refuses a malformed stream list with 400', async () => {
      for (const query of ['', '?streams=services', `?streams=${encodeURIComponent('["nope"]')}`, `?streams=${encodeURIComponent('[]')}`]) {
        const res = await api.get(`/api/events${query}`);
        expect(res.status).toBe(400);
        expect(code(res)).toBe('BAD_REQUEST');
      }
    });
  });

  describe('cluster', () => {
    it('shows status, health and members, compacts, and serves a verified snapshot', async () => {
      const view = (await api.get<ClusterView>('/api/cluster')).json;
      expect(view.endpoints).toEqual([expect.objectContaining({ ok: true })]);
      expect(view.health).toEqual([expect.objectContaining({ healthy: true })]);
      expect(view.members).toHaveLength(1);
      expect(view.compactRevision).toBe(0);
      const compacted = await api.request<{ revision: number }>('POST', '/api/cluster/compact', { body: { revision: view.revision } });
      expect(compacted.status).toBe(200);
      expect((await api.get<ClusterView>('/api/cluster')).json.compactRevision).toBe(view.revision);
      expect((await api.request('POST', '/api/cluster/compact', { body: { revision: 'soon' } })).status).toBe(400);
      expect((await api.request('POST', '/api/cluster/defrag', { body: { member: 'nobody' } })).status).toBe(404);
      expect((await api.request('POST', '/api/cluster/defrag', { body: { member: view.members[0]!.name } })).status).toBe(200);
      expect((await api.request('POST', '/api/cluster/alarms/disarm')).json).toEqual({ disarmed: [] });

      const res = await api.raw('/api/cluster/snapshot');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const dir = mkdtempSync(join(tmpdir(), 'console-snap-'));
      try {
        const file = join(dir, 'download.db');
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        const status = await readSnapshotFile(file, { requireDigest: true });
        expect(status.sha256).toBe(res.headers.get('x-snapshot-sha256'));
        expect(status.revision).toBe(Number(res.headers.get('x-snapshot-revision')));
        expect(status.revision).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('streams cluster snapshots', async () => {
      const events = await api.events<LiveEvent<ClusterView>>('/api/events/cluster', (e) => e.length >= 1);
      expect(events[0]).toMatchObject({ type: 'snapshot', data: { members: [expect.objectContaining({ name: 'm0' })] } });
    });
  });

  describe('traces and access', () => {
    it('receives OTLP/HTTP JSON on /v1/traces without a session and shows the traces', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const span = (spanId: string, parentSpanId: string, name: string, start: number, end: number) => ({
        traceId,
        spanId,
        parentSpanId,
        name,
        kind: 2,
        startTimeUnixNano: String(BigInt(start) * 1_000_000n),
        endTimeUnixNano: String(BigInt(end) * 1_000_000n),
        attributes: [{ key: 'http.route', value: { stringValue: '<b>/hello</b>' } }],
      });
      const body = {
        resourceSpans: [
          { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gateway' } }] }, scopeSpans: [{ spans: [span('00f067aa0ba902b7', '', 'GET /hello', 1000, 1010)] }] },
          { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'greeter' } }] }, scopeSpans: [{ spans: [span('00f067aa0ba902b8', '00f067aa0ba902b7', 'SayHello', 1002, 1008)] }] },
        ],
      };
      const anonymous = app.client();
      expect((await anonymous.request('POST', '/v1/traces', { body })).status).toBe(200);
      expect((await anonymous.request('POST', '/v1/traces', { body: 'x', headers: { 'content-type': 'application/x-protobuf' } })).status).toBe(415);
      expect((await anonymous.get('/api/traces')).status).toBe(401);
      const list = (await api.get<TracesView>('/api/traces')).json;
      expect(list.traces).toEqual([expect.objectContaining({ traceId, rootName: 'GET /hello', rootService: 'gateway', services: ['gateway', 'greeter'], spanCount: 2, durationMs: 10 })]);
      const detail = (await api.get<TraceDetailView>(`/api/traces/${traceId}`)).json;
      expect(detail.spans.map((s) => [s.name, s.depth, s.startOffsetMs])).toEqual([
        ['GET /hello', 0, 0],
        ['SayHello', 1, 2],
      ]);
      expect(detail.spans[0]!.attributes).toEqual({ 'http.route': '<b>/hello</b>' });
      expect((await api.get(`/api/traces/${'0'.repeat(32)}`)).status).toBe(404);
    });

    it('lists users and roles, and refuses to enable auth for a caller who is not root', async () => {
      expect((await api.get('/api/access')).json).toEqual({ authEnabled: false, users: [], roles: [] });
      const refused = await api.request('POST', '/api/access/enable');
      expect(refused.status).toBe(409);
      expect(code(refused)).toBe('ACCESS_LOCKOUT');
    });
  });

  it('signs out: the session ends and its cookie is cleared', async () => {
    const other = app.client();
    expect((await other.signIn('carol', '')).status).toBe(200);
    expect((await other.request('DELETE', '/api/session')).status).toBe(204);
    expect(other.signedIn).toBe(false);
    expect((await other.get('/api/services')).status).toBe(401);
  });
});

describe('console sign-in rate limit', () => {
  let cluster: EtcdCluster;
  let app: TestConsole;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    app = await startTestConsole(cluster.endpoints);
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.close();
  });

  it('answers 429 with Retry-After beyond SIGN_IN_ATTEMPTS_PER_MINUTE attempts per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await app.client().signIn(`user${i}`, '')).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    const limited = await app.client().signIn('late', '');
    expect(statuses[10]).toBe(429);
    expect(limited.status).toBe(429);
    expect(code(limited)).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('console shutdown', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('ends open live streams (and their watches) and closes the session clients', async () => {
    const app = await startTestConsole(cluster.endpoints);
    let closed = false;
    try {
      const api = app.client();
      expect((await api.signIn('ada', '')).status).toBe(200);
      const paths = ['/api/events/keys?prefix=%2F', '/api/events/services', '/api/events/locks', '/api/events/cluster'];
      let pending = paths.length;
      let allOpen!: () => void;
      const open = new Promise<void>((resolve) => (allOpen = resolve));
      const streams = Promise.all(paths.map((path) => api.events<LiveEvent<unknown>>(path, () => false, { timeoutMs: 30_000, onOpen: () => void (--pending === 0 && allOpen()) })));
      await open;
      await app.close();
      closed = true;
      const events = await streams; // every stream ended with the server, none timed out
      for (const list of events) expect(list[0]?.type).toBe('snapshot');
    } finally {
      if (!closed) await app.close();
    }
  });
});
