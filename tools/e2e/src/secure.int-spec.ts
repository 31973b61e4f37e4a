// Secure mode end to end: a 3-member etcd cluster with TLS for clients and peers and
// --client-cert-auth, etcd auth enabled by applying (a test copy of) deploy/access.yaml with the
// real `epctl access apply`, and greeter, worker and gateway as real processes, each with its own
// etcd user (ETCD_USERNAME + ETCD_PASSWORD_FILE), its own client certificate, and gRPC over TLS
// between the services (server certificates naming the service: DNS:greeter, DNS:worker).
// Then: the system works, and each app's credentials are refused, with ETCD_PERMISSION_DENIED,
// everything that belongs to another app.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConfig, listVersions, publish } from '@etcd-patterns/config';
import { AppProcess, REPO_ROOT, type AppName } from '@etcd-patterns/demo';
import { register } from '@etcd-patterns/discovery';
import { createEtcdClient, Session, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, type CertFiles } from '@etcd-patterns/etcd-cluster';
import { Mutex } from '@etcd-patterns/lock';
import { waitFor } from './wait-for';

jest.setTimeout(120_000);

const USERS = ['root', 'greeter', 'gateway', 'worker', 'console', 'operator', 'backup', 'viewer'] as const;
type User = (typeof USERS)[number];

/** The error's stable code (EtcdPatternsError, ConfigError, LockError...), else etcd3's mapped by toEtcdError. */
function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return toEtcdError(error).code;
}

async function denied(what: string, run: () => Promise<unknown>): Promise<Error> {
  let failure: unknown;
  // A denial must be prompt: a call that keeps retrying a refused write would hang here.
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within 10 s (still retrying a refused call?)`)), 10_000);
  });
  try {
    await Promise.race([run(), hung]);
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(timer);
  }
  if (failure instanceof Error && failure.message.startsWith(`${what}: no answer`)) throw failure;
  if (failure === undefined) throw new Error(`${what}: expected ETCD_PERMISSION_DENIED, but it succeeded`);
  expect({ what, code: codeOf(failure) }).toEqual({ what, code: 'ETCD_PERMISSION_DENIED' });
  return failure as Error;
}

function runEpctl(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO_ROOT, 'apps', 'epctl', 'bin', 'epctl'), [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('secure mode: TLS + etcd auth from deploy/access.yaml + gRPC TLS (real processes)', () => {
  let cluster: EtcdCluster;
  let dir: string;
  let gatewayUrl: string;
  const certs = new Map<User, CertFiles>();
  const passwordFile = (user: User): string => join(dir, `etcd-${user}-password`);
  const clients: Etcd3[] = [];
  const procs: AppProcess[] = [];

  /** Client-library options of one user: CA, its client certificate, its password file. */
  const etcdEnv = (user: User): Record<string, string> => ({
    ETCD_ENDPOINTS: cluster.endpoints.join(','),
    ETCD_CA_FILE: cluster.tls!.caFile,
    ETCD_CERT_FILE: certs.get(user)!.certFile,
    ETCD_KEY_FILE: certs.get(user)!.keyFile,
    ETCD_USERNAME: user,
    ETCD_PASSWORD_FILE: passwordFile(user),
  });
  const connect = async (user: User): Promise<Etcd3> => {
    const c = await createEtcdClient({
      endpoints: cluster.endpoints,
      caFile: cluster.tls!.caFile,
      certFile: certs.get(user)!.certFile,
      keyFile: certs.get(user)!.keyFile,
      username: user,
      passwordFile: passwordFile(user),
    });
    clients.push(c);
    return c;
  };
  const start = async (app: AppName, user: User, extra: Record<string, string>): Promise<AppProcess> => {
    const proc = await AppProcess.start({
      app,
      env: { ...etcdEnv(user), ETCD_SESSION_TTL_SECONDS: '5', METRICS_PORT: 'off', OTEL_SDK_DISABLED: 'true', ...extra },
    });
    procs.push(proc);
    return proc;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, tls: { clientCertAuth: true } });
    dir = mkdtempSync(join(tmpdir(), 'secure-e2e-'));
    for (const user of USERS) {
      writeFileSync(passwordFile(user), `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
      certs.set(user, await cluster.tls!.clientCert(user));
    }
    // The reference access file, with the password files of this test instead of Docker secrets.
    const accessFile = join(dir, 'access.yaml');
    writeFileSync(accessFile, readFileSync(join(REPO_ROOT, 'deploy', 'access.yaml'), 'utf8').replaceAll('/run/secrets/', `${dir}/`));
    chmodSync(accessFile, 0o600);
    // As root (bootstraps root and enables auth): epctl's login fails with auth still off and
    // it connects again without credentials.
    const applied = await runEpctl(['--endpoints', cluster.endpoints.join(','), 'access', 'apply', accessFile, '--yes'], etcdEnv('root'));
    if (applied.code !== 0) throw new Error(`epctl access apply failed (${applied.code}): ${applied.stderr}${applied.stdout}`);
    const again = await runEpctl(['--endpoints', cluster.endpoints.join(','), 'access', 'apply', accessFile, '--dry-run'], etcdEnv('root'));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no changes|nothing to (do|change)|up to date/i);

    const ops = await connect('console');
    await publish({ client: ops, namespace: 'prod/greeter', document: { template: 'Hello, {name}!' }, author: 'e2e', message: 'initial' });
    await publish({ client: ops, namespace: 'prod/gateway', document: { note: 'gateway config' }, author: 'e2e', message: 'initial' });

    const pki = cluster.tls!.pki;
    const greeterCert = await pki.serverCert('greeter-grpc', { subjectAltNames: ['DNS:greeter', 'IP:127.0.0.1'] });
    const workerCert = await pki.serverCert('worker-grpc', { subjectAltNames: ['DNS:worker', 'IP:127.0.0.1'] });
    const [greeter, worker] = await Promise.all([
      start('greeter', 'greeter', { INSTANCE_NAME: 'g1', GREETER_HOST: '127.0.0.1', GREETER_ADVERTISE_HOST: '127.0.0.1', CONFIG_NAMESPACE: 'prod/greeter', SHUTDOWN_DRAIN_MS: '200', GRPC_TLS_CERT_FILE: greeterCert.certFile, GRPC_TLS_KEY_FILE: greeterCert.keyFile }),
      start('worker', 'worker', { INSTANCE_NAME: 'w1', WORKER_HOST: '127.0.0.1', WORKER_ADVERTISE_HOST: '127.0.0.1', SHUTDOWN_DRAIN_MS: '200', GRPC_TLS_CERT_FILE: workerCert.certFile, GRPC_TLS_KEY_FILE: workerCert.keyFile, GRPC_TLS_CA_FILE: cluster.tls!.caFile }),
    ]);
    const gateway = await start('gateway', 'gateway', { INSTANCE_NAME: 'gw', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GRPC_TLS_CA_FILE: cluster.tls!.caFile });
    for (const p of [greeter, worker]) expect((await p.waitForLog((e) => e['msg'] === `${p.app} ready`))['tls']).toBe(true);
    gatewayUrl = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const c of clients) c.close();
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const http = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('greets through the gateway and completes a job, every hop authenticated and encrypted', async () => {
    const hello = await waitFor('a greeting over gRPC TLS', async () => {
      const r = await http('GET', '/hello?name=Ada');
      return r.status === 200 ? r : undefined;
    });
    expect(hello.body).toMatchObject({ message: 'Hello, Ada!', instance: 'g1' });
    const submitted = await http('POST', '/jobs', { names: ['Ada', 'Grace'] });
    expect(submitted.status).toBeLessThan(300);
    const id = String(submitted.body['id']);
    const done = await waitFor('the job to complete', async () => {
      const r = await http('GET', `/jobs/${id}`);
      return r.body['status'] === 'done' ? r : undefined;
    });
    expect(JSON.stringify(done.body)).toContain('Hello, Grace!');
  });

  it("refuses greeter's credentials everything of the other apps, and changes nothing of theirs", async () => {
    const greeter = await connect('greeter');
    const ops = await connect('console');
    const workersBefore = (await ops.getAll().prefix('/services/worker/').keys()).sort();
    const gatewayConfigBefore = await getConfig({ client: ops, namespace: 'prod/gateway' });
    const session = await Session.create(greeter, { ttlSeconds: 5 });
    try {
      await denied("greeter registering as worker", () => register({ session, service: 'worker', address: '127.0.0.1:1' }));
      await denied("greeter overwriting worker's registration", () => greeter.put(workersBefore[0]!).value('{"address":"127.0.0.1:1"}').exec());
      await denied("greeter reading gateway's config", () => getConfig({ client: greeter, namespace: 'prod/gateway' }));
      await denied("greeter taking a job lock", () => new Mutex(session, '/locks/jobs/some-job').lock({ signal: AbortSignal.timeout(5000) }));
    } finally {
      await session.close();
    }
    expect((await ops.getAll().prefix('/services/worker/').keys()).sort()).toEqual(workersBefore);
    expect((await getConfig({ client: ops, namespace: 'prod/gateway' })).version).toBe(gatewayConfigBefore.version);
    expect(await ops.getAll().prefix('/locks/jobs/some-job').keys()).toEqual([]);
  });

  it('lets the viewer read but never publish config', async () => {
    const viewer = await connect('viewer');
    const ops = await connect('console');
    const before = await listVersions({ client: ops, namespace: 'prod/greeter' });
    expect((await getConfig({ client: viewer, namespace: 'prod/greeter' })).document).toEqual({ template: 'Hello, {name}!' });
    await denied('viewer publishing config', () => publish({ client: viewer, namespace: 'prod/greeter', document: { template: 'pwned {name}' }, author: 'viewer' }));
    expect((await listVersions({ client: ops, namespace: 'prod/greeter' })).length).toBe(before.length);
  });
});
