// DEV ONLY, never shipped and never used by a test of the real system: a tiny in-memory stand-in
// for apps/console's `/api`, so the UI can be developed and screenshotted before (or without)
// the backend and etcd. It speaks the contract of libs/console-contract, serves the built app
// from apps/console-ui/dist, and seeds awkward data on purpose: 1,000 instances (FAKE_INSTANCES),
// malformed registry entries, very long names, HTML in values, drift, a lock queue.
//
//   npx tsx apps/console-ui/dev/fake-api.ts            # http://127.0.0.1:8089 (FAKE_PORT)
//   FAKE_AUTH=on FAKE_INSTANCES=1000 FAKE_DEMO=1 npx tsx apps/console-ui/dev/fake-api.ts
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type {
  AccessView,
  ClusterView,
  ConfigNamespaceView,
  ConfigNamespacesView,
  DemoView,
  KeyEntry,
  KeyListView,
  KeyValueView,
  LeasesView,
  LiveEvent,
  LocksView,
  ServicesView,
  SessionInfo,
  TraceDetailView,
  TracesView,
} from '@etcd-patterns/console-contract';

const PORT = Number(process.env['FAKE_PORT'] ?? 8089);
const AUTH = process.env['FAKE_AUTH'] === 'on';
const DEMO = process.env['FAKE_DEMO'] === '1';
const INSTANCES = Number(process.env['FAKE_INSTANCES'] ?? 12);
const STATIC_DIR = normalize(join(__dirname, '..', 'dist'));
const XSS = '<img src=x onerror=alert(1)>';
const LONG = 'a-very-long-service-name-that-goes-on-and-on-for-the-sake-of-testing-ellipsis-in-narrow-columns';

let revision = 5000;
const started = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

// ------------------------------------------------------------------ state
interface Kv {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  leaseId: string;
  history: Array<{ modRevision: number; value: string }>;
}
const kvs = new Map<string, Kv>();
function put(key: string, value: string, leaseId = '0'): Kv {
  revision += 1;
  const old = kvs.get(key);
  const kv: Kv = old
    ? { ...old, value, modRevision: revision, version: old.version + 1, history: [{ modRevision: revision, value }, ...old.history] }
    : { value, createRevision: revision, modRevision: revision, version: 1, leaseId, history: [{ modRevision: revision, value }] };
  kvs.set(key, kv);
  return kv;
}

const zones = ['zone-a', 'zone-b', 'zone-c'];
const services = ['greeter', 'worker', 'payments', LONG];
for (let i = 0; i < INSTANCES; i += 1) {
  const service = services[i % services.length]!;
  const address = `10.0.${Math.floor(i / 250)}.${i % 250}:${50051 + (i % 7)}`;
  put(`/services/${service}/${address}`, JSON.stringify({ address, metadata: { version: i % 5 === 0 ? '0.2.0' : '0.1.0', zone: zones[i % 3], weight: 1 + (i % 3), instance: `${service}-${i}` } }), (0x694d000 + i).toString(16));
}
put('/services/greeter/not-an-address', XSS);
put('/services/broken-json/10.9.9.9:1', '{"address": ');
put('/config/dev/greeter/v1', 'template: "Hello, {name}!"\nreplicas: 3\n');
put('/config/dev/greeter/v2', 'template: "Hi, {name}!"\nreplicas: 3\nbanner: "' + XSS + '"\n');
put('/app/settings.json', JSON.stringify({ feature: { enabled: true, ratio: 0.25 }, note: XSS }));
put('/app/settings.json', JSON.stringify({ feature: { enabled: false, ratio: 0.5 }, note: XSS }));
put('/app/binary', '\u0000\u0001\u0002\u00ffbinary');
put(`/app/${LONG}/${LONG}/leaf`, 'deep');
for (let i = 0; i < 30; i += 1) put(`/jobs/job-${String(i).padStart(4, '0')}`, JSON.stringify({ status: i % 3 === 0 ? 'done' : 'queued', names: ['Ada'] }));

const configVersions = new Map<string, Array<{ version: number; revision: number; time: string; author: string; message: string; yaml: string; rollbackOf?: number }>>([
  [
    'dev/greeter',
    [
      { version: 1, revision: 4100, time: iso(started - 86_400_000), author: 'alice', message: 'first version', yaml: 'template: "Hello, {name}!"\nreplicas: 3\n' },
      { version: 2, revision: 4200, time: iso(started - 3_600_000), author: 'bob', message: 'friendlier greeting', yaml: `template: "Hi, {name}!"\nreplicas: 3\nbanner: "${XSS}"\n` },
    ],
  ],
  ['prod/greeter', [{ version: 7, revision: 4300, time: iso(started - 7_200_000), author: 'root', message: '', yaml: 'template: "Hello, {name}."\nreplicas: 6\n' }]],
  [`prod/${LONG}`, [{ version: 1, revision: 4400, time: iso(started - 600_000), author: 'ci', message: 'bootstrap', yaml: 'a: 1\n' }]],
]);

const users = [
  { name: 'root', roles: ['root'] },
  { name: 'greeter', roles: ['greeter-app'] },
];
const roles: AccessView['roles'][number][] = [
  { name: 'root', permissions: [] },
  { name: 'greeter-app', permissions: [{ type: 'readwrite', key: '/services/greeter/', rangeEnd: '/services/greeter0', prefix: true }, { type: 'read', key: '/config/dev/greeter/', rangeEnd: '/config/dev/greeter0', prefix: true }] },
];
const demo: { -readonly [K in keyof DemoView]: Array<{ -readonly [P in keyof DemoView[K][number]]: DemoView[K][number][P] }> } = {
  members: [{ name: 'etcd-1', state: 'running' }, { name: 'etcd-2', state: 'running' }, { name: 'etcd-3', state: 'paused' }],
  apps: [{ id: 'greeter-1', app: 'greeter', state: 'running' }, { id: 'greeter-2', app: 'greeter', state: 'stopped' }, { id: 'worker-1', app: 'worker', state: 'running' }],
};
const sessions = new Map<string, SessionInfo>();

// ------------------------------------------------------------------ views
function servicesView(): ServicesView {
  const instances: ServicesView['instances'][number][] = [];
  const malformed: ServicesView['malformed'][number][] = [];
  for (const [key, kv] of kvs) {
    if (!key.startsWith('/services/')) continue;
    const [, , service = '', address = ''] = key.split('/');
    try {
      const parsed = JSON.parse(kv.value) as { address: string; metadata: Record<string, unknown> };
      if (!/:\d+$/.test(address)) throw new Error('the key does not end in host:port');
      const i = instances.length;
      instances.push({
        key,
        service,
        address,
        version: String(parsed.metadata['version']),
        zone: String(parsed.metadata['zone']),
        weight: Number(parsed.metadata['weight']),
        metadata: parsed.metadata,
        leaseId: kv.leaseId,
        ttlSeconds: 10 - (i % 10),
        grantedTtlSeconds: 10,
        readAt: iso(Date.now()),
        createRevision: kv.createRevision,
        modRevision: kv.modRevision,
        since: iso(started - i * 61_000),
      });
    } catch (error) {
      malformed.push({ key, value: escapeControls(kv.value), reason: (error as Error).message, modRevision: kv.modRevision });
    }
  }
  return { revision, prefix: '/services', instances, malformed, leases: [] };
}

function escapeControls(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x20 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
}

function owner(name: string, n: number, value = ''): LocksView['locks'][number]['holder'] {
  const lease = (0x7a10 + n).toString(16);
  return { key: `${name}/${lease}`, leaseId: lease, createRevision: 4800 + n, value, since: iso(Date.now() - (n + 1) * 45_000), ttlSeconds: 30 - n };
}
function locksView(): LocksView {
  return {
    revision,
    locks: [
      { name: '/locks/jobs/job-0001', holder: owner('/locks/jobs/job-0001', 1), waiters: [owner('/locks/jobs/job-0001', 4), owner('/locks/jobs/job-0001', 6)] },
      { name: `/locks/${LONG}`, holder: owner(`/locks/${LONG}`, 2), waiters: [] },
    ],
    elections: [
      {
        name: '/elections/worker-requeue',
        leader: owner('/elections/worker-requeue', 3, 'worker-1 10.0.0.5:50061'),
        candidates: [owner('/elections/worker-requeue', 3, 'worker-1 10.0.0.5:50061'), owner('/elections/worker-requeue', 5, XSS)],
      },
    ],
  };
}

function namespaceView(ns: string): ConfigNamespaceView | undefined {
  const versions = configVersions.get(ns);
  if (!versions) return undefined;
  const live = versions[versions.length - 1]!;
  const applied =
    ns === 'dev/greeter'
      ? [
          { instance: 'greeter-1', version: live.version, source: 'watch', appliedAt: iso(Date.now() - 50_000) },
          { instance: 'greeter-2', version: live.version - 1, source: 'watch', appliedAt: iso(Date.now() - 4_000_000), rejected: { version: live.version, reason: `schema: /replicas must be <= 2 ${XSS}` } },
          { instance: 'greeter-3', version: 0, malformed: 'not JSON' },
        ]
      : [];
  const drift = applied.some((a) => a.version !== live.version);
  return {
    namespace: ns,
    version: live.version,
    revision: live.revision,
    author: live.author,
    time: live.time,
    message: live.message,
    document: {},
    yaml: live.yaml,
    versions: versions.map(({ yaml: _yaml, ...v }) => v),
    applied,
    drift,
    driftReasons: drift ? ['replicas-disagree'] : [],
    ...(ns === 'dev/greeter' ? { schema: { type: 'object', properties: { replicas: { type: 'integer', maximum: 5 } } } } : {}),
  };
}

function keyList(prefix: string, search: string, limit: number, after: string | undefined): KeyListView {
  const all = [...kvs.keys()].filter((k) => k.startsWith(prefix)).sort();
  const children = [...new Set(all.map((k) => k.slice(prefix.length)).filter((rest) => rest.includes('/')).map((rest) => prefix + rest.slice(0, rest.indexOf('/') + 1)))];
  const direct = all.filter((k) => (search ? k.includes(search) : !k.slice(prefix.length).includes('/')));
  const from = after ? direct.findIndex((k) => k > after) : 0;
  const page = from < 0 ? [] : direct.slice(from, from + limit);
  const keys: KeyEntry[] = page.map((key) => entry(key, kvs.get(key)!));
  const next = from >= 0 && from + limit < direct.length ? page[page.length - 1] : undefined;
  return { revision, prefix, keys, ...(next ? { next } : {}), children };
}
function entry(key: string, kv: Kv): KeyEntry {
  return { key, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, leaseId: kv.leaseId, size: Buffer.byteLength(kv.value) };
}
function keyValue(key: string, at: number | undefined): KeyValueView | undefined {
  const kv = kvs.get(key);
  if (!kv) return undefined;
  const value = at ? kv.history.find((h) => h.modRevision === at)?.value : kv.value;
  if (value === undefined) return undefined;
  const binary = [...value].some((c) => c.charCodeAt(0) < 9 || c.charCodeAt(0) === 0xff);
  let kind: KeyValueView['kind'] = binary ? 'binary' : 'text';
  let pretty: string | undefined;
  if (!binary) {
    try {
      pretty = JSON.stringify(JSON.parse(value), null, 2);
      kind = 'json';
    } catch {
      if (/^\w+:/m.test(value)) kind = 'yaml';
    }
  }
  return {
    ...entry(key, kv),
    kind,
    ...(binary ? { hex: Buffer.from(value, 'latin1').toString('hex').replace(/(..)/g, '$1 ').trim() } : { text: value }),
    ...(pretty ? { pretty } : {}),
    readRevision: revision,
    history: kv.history.map((h) => h.modRevision),
  };
}

function clusterView(): ClusterView {
  const members = [1, 2, 3].map((n) => ({ id: `8e9e05c52164694${n}`, name: `etcd-${n}`, status: 'started', peerUrls: [`http://127.0.0.1:${2380 + n * 10}`], clientUrls: [`http://127.0.0.1:${2379 + n * 10}`], isLearner: false }));
  return {
    endpoints: [
      ...members.slice(0, 2).map((m, i) => ({ endpoint: m.clientUrls[0]!, ok: true, memberId: m.id, name: m.name, version: '3.4.23', dbSize: 24_576_000 + i * 1000, dbSizeInUse: 12_000_000, leaderId: members[0]!.id, isLeader: i === 0, isLearner: false, raftTerm: 4, raftIndex: revision + 20, raftAppliedIndex: revision + 20, errors: i === 1 ? ['NOSPACE'] : [], tookMs: 1.7 })),
      { endpoint: members[2]!.clientUrls[0]!, ok: false, name: 'etcd-3', error: { code: 'ETCD_UNAVAILABLE', message: 'connect ECONNREFUSED 127.0.0.1:2409' } },
    ],
    members,
    health: members.map((m, i) => ({ endpoint: m.clientUrls[0]!, name: m.name, healthy: i === 0, tookMs: i < 2 ? 2.1 : undefined, alarms: i === 1 ? ['NOSPACE'] : [], ...(i === 2 ? { error: { code: 'ETCD_UNAVAILABLE', message: 'did not answer' } } : {}) })),
    alarms: [{ memberId: members[1]!.id, alarm: 'NOSPACE' }],
    revision,
    compactRevision: 4000,
  };
}

function leasesView(): LeasesView {
  const byLease = new Map<string, string[]>();
  for (const [key, kv] of kvs) if (kv.leaseId !== '0') byLease.set(kv.leaseId, [...(byLease.get(kv.leaseId) ?? []), key]);
  const leases: LeasesView['leases'][number][] = [...byLease.entries()].map(([id, keys], i) => ({ id, ttlSeconds: 10 - (i % 10), grantedTtlSeconds: 10, readAt: iso(Date.now()), keys, owners: ['registration'] }));
  leases.push({ id: '7a11', ttlSeconds: 25, grantedTtlSeconds: 30, readAt: iso(Date.now()), keys: ['/locks/jobs/job-0001/7a11', '/elections/worker-requeue/7a11', '/config/dev/greeter/applied/greeter-1'], owners: ['lock', 'election', 'config-applied'] });
  return { leases };
}

function tracesView(): TracesView {
  return {
    traces: [
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', rootName: 'GET /hello', rootService: 'gateway', services: ['gateway', 'greeter'], spanCount: 5, durationMs: 18.4, startTime: iso(Date.now() - 5_000) },
      { traceId: '00f067aa0ba902b700f067aa0ba902b7', rootName: 'POST /jobs', rootService: 'gateway', services: ['gateway', 'worker', 'greeter'], spanCount: 4, durationMs: 240, startTime: iso(Date.now() - 60_000) },
    ],
  };
}
function traceDetail(traceId: string): TraceDetailView | undefined {
  if (!tracesView().traces.some((t) => t.traceId === traceId)) return undefined;
  const span = (spanId: string, parentSpanId: string, depth: number, name: string, service: string, startOffsetMs: number, durationMs: number, status = 'OK') => ({ spanId, parentSpanId, depth, name, service, kind: depth === 0 ? 'SERVER' : 'CLIENT', startOffsetMs, durationMs, status, attributes: { 'http.route': '/hello', 'note': XSS } });
  return {
    traceId,
    spans: [
      span('a1', '', 0, 'GET /hello', 'gateway', 0, 18.4),
      span('a2', 'a1', 1, 'greeter.v1.GreeterService/SayHello', 'gateway', 1.2, 15.1),
      span('a3', 'a2', 2, 'greeter.v1.GreeterService/SayHello', 'greeter', 2.0, 13.2),
      span('a4', 'a3', 3, 'render template', 'greeter', 3.1, 2.4),
      span('a5', 'a3', 3, 'config lookup with a rather long span name to check the label column', 'greeter', 6.0, 8.0, 'ERROR'),
    ],
  };
}

// ------------------------------------------------------------------ HTTP
type Json = Record<string, unknown> | readonly unknown[];
function send(res: ServerResponse, status: number, body?: Json): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
function fail(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  send(res, status, { error: { code, message, ...extra } });
}
async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
function cookie(req: IncomingMessage, name: string): string | undefined {
  return (req.headers.cookie ?? '').split(/;\s*/).map((c) => c.split('=')).find(([n]) => n === name)?.[1];
}

/** Writes one stream's events; `stream` set: as `LiveEnvelope`s of a multiplexed connection. */
function sse(req: IncomingMessage, res: ServerResponse, read: () => unknown, burst = 0, stream?: string): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const emit = (event: LiveEvent<unknown>) => res.write(`data: ${JSON.stringify(stream === undefined ? event : { stream, event })}\n\n`);
  emit({ type: 'snapshot', revision, data: read() });
  // `keys?prefix=/burst/`: 1,000 separate change events at once (the UI must not render 1,000 times).
  if (burst > 0) {
    setTimeout(() => {
      for (let i = 0; i < burst; i += 1) {
        revision += 1;
        emit({ type: 'changes', revision, changes: [{ kind: 'put', key: `/burst/key-${i}`, modRevision: revision }] });
      }
    }, 1500);
    return;
  }
  // Ticks without a delta: the UI refetches (the real console sends deltas).
  const timer = setInterval(() => {
    revision += 1;
    emit({ type: 'changes', revision, changes: [{ kind: 'put', key: `/fake/tick/${revision}`, modRevision: revision }] });
  }, 3000);
  req.once('close', () => clearInterval(timer));
}

async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.slice('/api'.length);
  const method = req.method ?? 'GET';
  if (path === '/session' && method === 'POST') {
    const { username, password } = await body(req);
    if (AUTH && !(username === 'root' && password === 'root')) return fail(res, 401, 'UNAUTHENTICATED', 'authentication failed, invalid user ID or password');
    const id = randomBytes(16).toString('hex');
    const info: SessionInfo = { username: AUTH ? String(username) : '', authEnabled: AUTH, csrfToken: randomBytes(16).toString('hex'), roles: AUTH ? ['root'] : [], demoControls: DEMO, listen: `127.0.0.1:${PORT}` };
    sessions.set(id, info);
    res.setHeader('set-cookie', `ep_session=${id}; HttpOnly; SameSite=Strict; Path=/`);
    return send(res, 200, info as unknown as Json);
  }
  const session = sessions.get(cookie(req, 'ep_session') ?? '');
  if (!session) return fail(res, 401, 'UNAUTHENTICATED', 'sign in first');
  if (method !== 'GET' && req.headers['x-csrf-token'] !== session.csrfToken) return fail(res, 403, 'CSRF', 'missing or wrong x-csrf-token');
  if (path === '/session') {
    if (method === 'DELETE') {
      sessions.delete(cookie(req, 'ep_session') ?? '');
      res.writeHead(204).end();
      return;
    }
    return send(res, 200, session as unknown as Json);
  }
  const readers = (prefix: string): Record<string, () => unknown> => ({ services: servicesView, locks: locksView, cluster: clusterView, config: () => ({ revision, namespaces: [...configVersions.keys()].map((namespace) => ({ namespace, version: configVersions.get(namespace)!.at(-1)!.version })) }), keys: () => keyList(prefix, '', 100, undefined) });
  if (path === '/events') {
    // Multiplexed: `?streams=["services","keys:/app/"]`.
    const ids = JSON.parse(url.searchParams.get('streams') ?? '[]') as string[];
    for (const id of ids) {
      const [name, prefix] = id.startsWith('keys:') ? ['keys', id.slice(5)] : [id, ''];
      const read = readers(prefix)[name];
      if (read) sse(req, res, read, name === 'keys' && prefix.startsWith('/burst') ? 1000 : 0, id);
    }
    return;
  }
  const events = /^\/events\/(\w+)$/.exec(path);
  if (events) {
    const prefix = url.searchParams.get('prefix') ?? '/';
    const read = readers(prefix)[events[1]!];
    return read ? sse(req, res, read, events[1] === 'keys' && prefix.startsWith('/burst') ? 1000 : 0) : fail(res, 404, 'NOT_FOUND', `no stream ${events[1]}`);
  }
  if (path === '/services') return send(res, 200, servicesView() as unknown as Json);
  if (path === '/locks') return send(res, 200, locksView() as unknown as Json);
  if (path === '/cluster') return send(res, 200, clusterView() as unknown as Json);
  if (path === '/cluster/alarms/disarm') return send(res, 200, { disarmed: clusterView().alarms });
  if (path === '/cluster/defrag') {
    const { member } = await body(req);
    await new Promise((resolve) => setTimeout(resolve, 600));
    return send(res, 200, { member: String(member), endpoint: 'http://127.0.0.1:2389', dbSizeBefore: 24_576_000, dbSizeAfter: 12_001_280 });
  }
  if (path === '/cluster/compact') return send(res, 200, { revision, currentRevision: revision });
  if (path === '/leases') return send(res, 200, leasesView() as unknown as Json);
  if (path.startsWith('/leases/') && method === 'DELETE') {
    const id = decodeURIComponent(path.slice('/leases/'.length));
    for (const [key, kv] of kvs) if (kv.leaseId === id) kvs.delete(key);
    res.writeHead(204).end();
    return;
  }
  if (path === '/access') {
    if (!AUTH) return send(res, 200, { authEnabled: false, users, roles });
    return send(res, 200, { authEnabled: true, users, roles });
  }
  if (path === '/access/enable') return fail(res, 409, 'ACCESS_LOCKOUT', 'refusing to enable auth: the signed-in user is not root (you would lock yourself out)');
  if (path.startsWith('/access/')) return fail(res, 403, 'ETCD_PERMISSION_DENIED', 'permission denied: etcdserver: permission denied');
  if (path === '/traces') return send(res, 200, tracesView() as unknown as Json);
  if (path.startsWith('/traces/')) {
    const detail = traceDetail(decodeURIComponent(path.slice('/traces/'.length)));
    return detail ? send(res, 200, detail as unknown as Json) : fail(res, 404, 'NOT_FOUND', 'unknown trace');
  }
  if (path === '/demo') return DEMO ? send(res, 200, demo as unknown as Json) : fail(res, 404, 'NOT_FOUND', 'no demo');
  const demoAction = /^\/demo\/(members|apps)\/([^/]+)\/(\w+)$/.exec(path);
  if (demoAction) {
    const [, group, name, action] = demoAction;
    const list = group === 'members' ? demo.members : demo.apps;
    const item = list.find((m) => ('name' in m ? m.name : m.id) === decodeURIComponent(name!));
    if (item) item.state = (action === 'pause' ? 'paused' : action === 'kill' ? 'stopped' : 'running') as never;
    return send(res, 200, {});
  }
  if (path === '/config') return send(res, 200, { namespaces: [...configVersions.entries()].map(([namespace, v]) => ({ namespace, version: v.at(-1)!.version, time: v.at(-1)!.time, author: v.at(-1)!.author })) } satisfies ConfigNamespacesView as unknown as Json);
  const cfg = /^\/config\/([^/]+)\/([^/]+)(?:\/(validate|publish|rollback|versions\/(\d+)))?$/.exec(path);
  if (cfg) {
    const ns = `${decodeURIComponent(cfg[1]!)}/${decodeURIComponent(cfg[2]!)}`;
    const versions = configVersions.get(ns) ?? [];
    const live = versions.at(-1);
    if (!cfg[3]) {
      const view = namespaceView(ns);
      return view ? send(res, 200, view as unknown as Json) : fail(res, 404, 'NOT_FOUND', `nothing published in ${ns}`);
    }
    if (cfg[4]) {
      const v = versions.find((x) => x.version === Number(cfg[4]));
      return v ? send(res, 200, { version: v.version, document: {}, yaml: v.yaml }) : fail(res, 404, 'NOT_FOUND', 'no such version');
    }
    const input = await body(req);
    if (cfg[3] === 'rollback') {
      if (input['baseVersion'] !== (live?.version ?? 0)) return fail(res, 409, 'CONFIG_CONFLICT', 'the live version changed', { conflict: { yours: input['baseVersion'], theirs: live?.version, theirsVersion: live?.version } });
      const source = versions.find((x) => x.version === input['version'])!;
      revision += 1;
      versions.push({ version: live!.version + 1, revision, time: iso(Date.now()), author: session.username || '(auth off)', message: '', yaml: source.yaml, rollbackOf: source.version });
      return send(res, 200, { version: live!.version + 1, revision, diff: { added: [], removed: [], changed: [] } });
    }
    const text = String(input['text'] ?? '');
    const badLine = text.split('\n').findIndex((line) => /replicas:\s*(\d+)/.exec(line) && Number(/replicas:\s*(\d+)/.exec(line)![1]) > 5);
    if (badLine >= 0) return fail(res, 400, 'BAD_REQUEST', 'the document does not match the stored schema', { issues: [{ path: 'replicas', message: 'must be <= 5', at: `${badLine + 1}:11` }] });
    if (cfg[3] === 'validate') return send(res, 200, { ok: true });
    if (input['baseVersion'] !== (live?.version ?? 0)) return fail(res, 409, 'CONFIG_CONFLICT', `version ${live?.version} was published after version ${String(input['baseVersion'])}`, { conflict: { yours: text, theirs: live?.yaml, theirsVersion: live?.version } });
    revision += 1;
    const version = (live?.version ?? 0) + 1;
    versions.push({ version, revision, time: iso(Date.now()), author: session.username || '(auth off)', message: String(input['message'] ?? ''), yaml: text });
    configVersions.set(ns, versions);
    return send(res, 200, { version, revision, diff: { added: [], removed: [], changed: ['template'] } });
  }
  if (path === '/keys') {
    return send(res, 200, keyList(url.searchParams.get('prefix') ?? '', url.searchParams.get('search') ?? '', Number(url.searchParams.get('limit') ?? 500), url.searchParams.get('after') ?? undefined) as unknown as Json);
  }
  if (path === '/keys/value') {
    const key = url.searchParams.get('key') ?? '';
    if (method === 'GET') {
      const at = url.searchParams.get('revision');
      const view = keyValue(key, at ? Number(at) : undefined);
      return view ? send(res, 200, view as unknown as Json) : fail(res, 404, 'NOT_FOUND', `no key ${key}`);
    }
    if (method === 'PUT') {
      const input = await body(req);
      const current = kvs.get(String(input['key']));
      if ((current?.modRevision ?? 0) !== input['expectedModRevision']) return fail(res, 409, 'KEY_CONFLICT', 'the key changed since you read it', { conflict: { yours: input['value'], theirs: current?.value ?? null, theirsModRevision: current?.modRevision ?? 0 } });
      const kv = put(String(input['key']), String(input['value']));
      return send(res, 200, entry(String(input['key']), kv) as unknown as Json);
    }
    if (method === 'DELETE') {
      kvs.delete(key);
      res.writeHead(204).end();
      return;
    }
  }
  if (path === '/keys/export') {
    const prefix = url.searchParams.get('prefix') ?? '';
    res.setHeader('content-disposition', 'attachment; filename="export.json"');
    return send(res, 200, { prefix, revision, keys: [...kvs].filter(([k]) => k.startsWith(prefix)).map(([key, kv]) => ({ key, value: kv.value, encoding: 'utf8' })) });
  }
  if (path === '/keys/import') {
    const input = (await body(req)) as { keys?: Array<{ key: string; value: string }> };
    const dryRun = url.searchParams.get('dryRun') !== 'false';
    const changes = (input.keys ?? []).filter((k) => kvs.get(k.key)?.value !== k.value).map((k) => ({ key: k.key, action: kvs.has(k.key) ? ('update' as const) : ('create' as const) }));
    if (!dryRun) for (const k of input.keys ?? []) put(k.key, k.value);
    return send(res, 200, { dryRun, create: changes.filter((c) => c.action === 'create').length, update: changes.filter((c) => c.action === 'update').length, unchanged: (input.keys?.length ?? 0) - changes.length, batches: Math.ceil((input.keys?.length ?? 0) / 128), changes });
  }
  fail(res, 404, 'NOT_FOUND', `no route ${method} ${path}`);
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/api/')) {
    api(req, res, url).catch((error: unknown) => fail(res, 500, 'INTERNAL', (error as Error).message));
    return;
  }
  const file = normalize(join(STATIC_DIR, url.pathname === '/' ? 'index.html' : url.pathname));
  if (!file.startsWith(STATIC_DIR)) return fail(res, 404, 'NOT_FOUND', 'no');
  readFile(file)
    .then((content) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(content);
    })
    .catch(() => fail(res, 404, 'NOT_FOUND', `no file ${url.pathname} (run npx nx build console-ui)`));
}).listen(PORT, '127.0.0.1', () => process.stdout.write(`fake console API on http://127.0.0.1:${PORT} (auth ${AUTH ? 'on: root/root' : 'off'}, ${INSTANCES} instances)\n`));
