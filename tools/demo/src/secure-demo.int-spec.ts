// The core of `npm run demo -- --secure`: a 3-member etcd cluster with TLS for clients and peers
// and --client-cert-auth (ports chosen at run time), made secure by prepareSecureDemo (passwords,
// certificates, deploy/access.yaml applied with auth enabled), then a greeter and the gateway as
// real processes with the demo's secure environment. Proves: they register over TLS with auth
// on, a call goes gateway -> greeter over gRPC TLS, and anonymous or plaintext access is refused.
import { statSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish } from '@etcd-patterns/config';
import { createEtcdClient, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { AppProcess, type AppName } from './app-process';
import { DEFAULT_GREETER_CONFIG } from './default-config';
import { demoNetworkEnv } from './demo-env';
import { prepareSecureDemo, type SecureDemo } from './secure-demo';
import { CONSOLE_CERT_NAME, SECURE_CONFIG_NAMESPACE } from './secure-env';

jest.setTimeout(60_000);

/** The error's code: our own, else etcd3's mapped by toEtcdError. */
async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    const own = (error as { code?: unknown }).code;
    return typeof own === 'string' && /^[A-Z_]+$/.test(own) ? own : toEtcdError(error).code;
  }
  return 'succeeded';
}

describe('secure demo core (TLS + auth + gRPC TLS, real processes)', () => {
  let cluster: EtcdCluster;
  let stateDir: string;
  let demo: SecureDemo;
  let gatewayUrl: string;
  const procs: AppProcess[] = [];
  const clients: Etcd3[] = [];

  const start = async (app: AppName, extra: Record<string, string>): Promise<AppProcess> => {
    const proc = await AppProcess.start({
      app,
      env: {
        ...demoNetworkEnv(),
        ETCD_ENDPOINTS: cluster.endpoints.join(','),
        CONFIG_NAMESPACE: SECURE_CONFIG_NAMESPACE,
        ETCD_SESSION_TTL_SECONDS: '5',
        METRICS_PORT: 'off',
        OTEL_SDK_DISABLED: 'true',
        SHUTDOWN_DRAIN_MS: '0',
        ...demo.appEnv(app),
        ...extra,
      },
      readyTimeoutMs: 30_000,
    });
    procs.push(proc);
    return proc;
  };
  const connect = async (user: string): Promise<Etcd3> => {
    const client = await createEtcdClient(demo.clientOptions(user));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, tls: { clientCertAuth: true } });
    stateDir = mkdtempSync(join(tmpdir(), 'secure-demo-'));
    demo = await prepareSecureDemo({ endpoints: cluster.endpoints, pki: cluster.tls!.pki, stateDir });
    await publish({ client: await connect('console'), namespace: SECURE_CONFIG_NAMESPACE, document: DEFAULT_GREETER_CONFIG, author: 'demo', message: 'default greeting' });
    await start('greeter', { INSTANCE_NAME: 'greeter-1', GREETER_ZONE: 'zone-a' });
    const gateway = await start('gateway', { INSTANCE_NAME: 'gateway', GATEWAY_PORT: '0' });
    gatewayUrl = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const c of clients) c.close();
    await cluster?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps every password in a 0600 file of the state dir, and none in the environment or the logs', () => {
    expect(demo.users).toEqual(expect.arrayContaining(['root', 'viewer', 'greeter', 'gateway']));
    expect(statSync(demo.secretsDir).mode & 0o777).toBe(0o700);
    const passwords = demo.users.map((user) => {
      expect({ user, mode: statSync(demo.passwordFile(user)).mode & 0o777 }).toEqual({ user, mode: 0o600 });
      return readFileSync(demo.passwordFile(user), 'utf8').trim();
    });
    expect(new Set(passwords).size).toBe(passwords.length);
    const shown = [...procs.flatMap((p) => p.lines), ...(['greeter', 'gateway'] as const).map((a) => JSON.stringify(demo.appEnv(a))), readFileSync(demo.operatorEnvFile, 'utf8')].join('\n');
    for (const pw of passwords) expect(shown).not.toContain(pw);
  });

  it('registers the greeter over TLS with auth on, as its own user', async () => {
    expect((await procs[0]!.waitForLog((e) => e['msg'] === 'greeter ready'))['tls']).toBe(true);
    const viewer = await connect('viewer');
    expect(await viewer.getAll().prefix('/services/greeter/').keys()).toHaveLength(1);
    // Its credentials are its own: the greeter may not register as the worker.
    const greeter = await connect('greeter');
    expect(await codeOf(() => greeter.put('/services/worker/127.0.0.1:1').value('{}').exec())).toBe('ETCD_PERMISSION_DENIED');
  });

  it('answers a call through the gateway to the greeter (gRPC TLS, each app with its own etcd user)', async () => {
    const res = await fetch(`${gatewayUrl}/hello?name=Ada`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ instance: 'greeter-1', message: expect.stringContaining('Ada') });
  });

  it('refuses anonymous and plaintext access to etcd', async () => {
    const endpoint = cluster.endpoints[0]!;
    // Plaintext to a TLS port: the connection fails.
    const plain = await etcdctl([`http://${endpoint}`], ['get', '/services/', '--prefix', '--keys-only', '--command-timeout=3s']);
    expect(plain.code).not.toBe(0);
    expect(plain.stdout).toBe('');
    // TLS without a client certificate: refused at the handshake (--client-cert-auth).
    const noCert = await codeOf(() => createEtcdClient({ endpoints: cluster.endpoints, caFile: demo.caFile, env: {} }).then((c) => (clients.push(c), c.get('/x').string())));
    expect(noCert).toBe('ETCD_TLS_FAILED');
    // The console's certificate (trusted, no CN: it names no etcd user) without a password token.
    const cert = demo.clientCert(CONSOLE_CERT_NAME);
    const anonymous = await createEtcdClient({ endpoints: cluster.endpoints, caFile: demo.caFile, ...cert, env: {} });
    clients.push(anonymous);
    expect(await codeOf(() => anonymous.getAll().prefix('/services/').keys())).toBe('ETCD_PERMISSION_DENIED');
    expect(await codeOf(() => anonymous.put('/services/greeter/evil').value('{}').exec())).toBe('ETCD_PERMISSION_DENIED');
    // A wrong password is refused too.
    expect(await codeOf(() => createEtcdClient({ ...demo.clientOptions('viewer'), passwordFile: undefined, password: 'not-the-password' }).then((c) => (clients.push(c), c.get('/x').string())))).toBe('ETCD_AUTH_FAILED');
  });

  it('starts the console with no etcd user of its own, and signs visitors in as etcd users (RBAC decides)', async () => {
    const consoleApp = await start('console', { CONSOLE_PORT: '0', CONSOLE_STATIC_DIR: stateDir });
    const url = String((await consoleApp.waitForLog((e) => e['msg'] === 'console ready'))['url']);
    const signIn = (username: string, password: string): Promise<Response> =>
      fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
        signal: AbortSignal.timeout(10_000),
      });
    expect((await signIn('viewer', 'not-the-password')).status).toBe(401);
    const session = await signIn('viewer', readFileSync(demo.passwordFile('viewer'), 'utf8').trim());
    expect(session.status).toBe(200);
    const body = (await session.json()) as { authEnabled?: boolean; csrfToken?: string };
    expect(body.authEnabled).toBe(true);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const services = await fetch(`${url}/api/services`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
    expect(services.status).toBe(200);
    expect(JSON.stringify(await services.json())).toContain('greeter-1');
    // The viewer may read but not write: etcd says so, the console passes it on.
    const put = await fetch(`${url}/api/keys/value`, {
      method: 'PUT',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': body.csrfToken! },
      body: JSON.stringify({ key: '/services/greeter/evil', value: '{}', expectedModRevision: 0 }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('ETCD_PERMISSION_DENIED');
  });
});
