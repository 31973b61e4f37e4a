// End-to-end test of the service generator: in a copy of this workspace, `nx g` a service with
// every option, lint and typecheck it, run its generated tests, then run two replicas as real
// processes against a real 3-member etcd and use it the way clients and operators do.
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { publish } from '@etcd-patterns/config';
import { TraceReceiver, type ReceivedSpan } from '@etcd-patterns/demo';
import { listInstances } from '@etcd-patterns/discovery';
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { etcdChannelOptions, installEtcdBalancing } from '@etcd-patterns/lb-resolver';
import { Election } from '@etcd-patterns/lock';
import { PROTO_LOADER_OPTIONS } from '@etcd-patterns/protos';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './testing/repo-tree';

jest.setTimeout(60_000);

const NAME = 'billing';
const ELECTION = `/elections/${NAME}-leader`;
const NAMESPACE = `e2e-${NAME}/${NAME}`;
/** Top-level entries not copied: dependencies (linked instead), history, caches and outputs. */
const NOT_COPIED = new Set(['node_modules', '.git', 'tmp', 'dist', '.nx', 'coverage']);

interface BillingInfo {
  message: string;
  instance: string;
  version: string;
  zone: string;
  configVersion: number;
}
interface BillingRpc extends Client {
  getBillingInfo(request: object, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, reply?: BillingInfo) => void): void;
  incrementBillingCounter(request: { counter: string }, options: { deadline: number }, callback: (error: ServiceError | null, reply?: { value: number; fencingToken: number }) => void): void;
}
interface HealthRpc extends Client {
  check(request: { service: string }, options: { deadline: number }, callback: (error: ServiceError | null, reply?: { status: string }) => void): void;
}

/** Polls `probe` until it returns a value (not undefined); the interval is not an assertion. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** Runs a command in `cwd`; rejects with its output when it fails. */
function run(cwd: string, command: string, args: readonly string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
  delete env['JEST_WORKER_ID'];
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.message}):\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** One replica as a real process, with its JSON log lines. */
class Replica {
  readonly logs: Array<Record<string, unknown>> = [];
  private readonly exited: Promise<unknown[]>;

  constructor(
    readonly instance: string,
    readonly child: ChildProcess,
  ) {
    this.exited = once(child, 'exit');
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: line });
        }
      });
    }
  }

  static start(cwd: string, instance: string, env: Record<string, string>): Replica {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './libs/telemetry/src/register.ts', `apps/${NAME}/src/main.ts`], {
      cwd,
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json', ...env, INSTANCE_NAME: instance },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Replica(instance, child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line (past or future) that passes `test`. */
  async waitForLog(what: string, test: (entry: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(test);
      if (found) return found;
      const failed = !this.running ? 'exited' : Date.now() > deadline ? `logged no ${what} within ${timeoutMs} ms` : undefined;
      if (failed) throw new Error(`${this.instance} ${failed}:\n${this.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
      await sleep(50);
    }
  }

  /** SIGTERM (graceful shutdown); resolves with how the process ended. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const [code, signal] = (await this.exited) as [number | null, NodeJS.Signals | null];
    return { code, signal };
  }

  /** SIGKILL: no shutdown hook runs. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe(`nx g @etcd-patterns/nx-plugin:service ${NAME} --leaderTask --lock --http (a copy of the workspace)`, () => {
  let workspace: string;
  const realAppExisted = existsSync(join(REPO_ROOT, 'apps', NAME));

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'etcd-patterns-nx-plugin-'));
    cpSync(REPO_ROOT, workspace, {
      recursive: true,
      filter: (source) => {
        const rel = relative(REPO_ROOT, source);
        return rel === '' || (!NOT_COPIED.has(rel.split(sep)[0]!) && rel !== join('protos', 'generated'));
      },
    });
    // Linked, not copied; nothing here installs (--skipInstall), so the real node_modules stays as it is.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(workspace, 'node_modules'), 'dir');
  });

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
    // The real workspace got nothing.
    expect(existsSync(join(REPO_ROOT, 'apps', NAME))).toBe(realAppExisted);
    expect(existsSync(join(REPO_ROOT, 'node_modules', '@etcd-patterns', NAME))).toBe(false);
    if (workspace) expect(existsSync(workspace)).toBe(false);
  });

  it('generates the service, and a client of the greeter in it', async () => {
    expect(realAppExisted).toBe(false); // else the copy would refuse the name
    const nx = join(workspace, 'node_modules', '.bin', 'nx');
    const { stdout } = await run(workspace, nx, ['g', `@etcd-patterns/nx-plugin:service`, NAME, '--leaderTask', '--lock', '--http', '--skipInstall']);
    expect(stdout).toContain(`CREATE apps/${NAME}/src/${NAME}.module.ts`);
    expect(stdout).toContain('UPDATE docker-compose.yml');
    expect(stdout).toMatch(/gen-protos: \d+ files in protos\/generated/);
    expect(existsSync(join(workspace, 'protos/generated', NAME, 'v1', 'BillingService.ts'))).toBe(true);
    const again = await run(workspace, nx, ['g', `@etcd-patterns/nx-plugin:service`, NAME, '--skipInstall']).catch((error: Error) => error);
    expect(again).toBeInstanceOf(Error);
    expect(String(again)).toContain(`service ${NAME} already exists`);
    await run(workspace, nx, ['g', '@etcd-patterns/nx-plugin:client', 'greeter', `--in=${NAME}`]);
    expect(readFileSync(join(workspace, 'apps', NAME, 'src', `${NAME}.module.ts`), 'utf8')).toContain('GreeterClient,');
  }, 120_000);

  it('passes lint (module boundaries) and typecheck', async () => {
    const { stdout } = await run(workspace, join(workspace, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'lint', 'typecheck', '-p', NAME, '--outputStyle=static', '--skipNxCache']);
    expect(stdout).toMatch(new RegExp(`Successfully ran targets lint, typecheck for project ${NAME}`));
    // The boundaries are really checked: an app may not import a tool.
    const probe = join(workspace, 'apps', NAME, 'src', 'boundary-probe.ts');
    writeFileSync(probe, "import { AppProcess } from '@etcd-patterns/demo';\n\nexport const probe = AppProcess;\n");
    try {
      const refused = await run(workspace, join(workspace, 'node_modules', '.bin', 'eslint'), [probe]).catch((error: Error) => error);
      expect(String(refused)).toContain('@nx/enforce-module-boundaries');
    } finally {
      rmSync(probe);
    }
  }, 150_000);

  it('passes its own generated unit and integration tests', async () => {
    const { stdout, stderr } = await run(workspace, join(workspace, 'node_modules', '.bin', 'jest'), ['-c', `apps/${NAME}/jest.config.js`, '--ci']);
    expect(`${stdout}${stderr}`).toMatch(/Test Suites: 6 passed, 6 total/);
  }, 120_000);

  describe('two replicas as processes against a 3-member etcd', () => {
    let cluster: EtcdCluster;
    let client: Etcd3;
    let session: Session;
    let receiver: TraceReceiver;
    const spans: ReceivedSpan[] = [];
    const replicas: Replica[] = [];
    let rpc: BillingRpc;
    const deadline = (): { deadline: number } => ({ deadline: Date.now() + 5000 });
    const info = (metadata = new Metadata()): Promise<BillingInfo> =>
      new Promise((resolve, reject) => rpc.getBillingInfo({}, metadata, deadline(), (error, reply) => (error ? reject(error) : resolve(reply!))));
    const leader = async (): Promise<string | undefined> => (await new Election(session, ELECTION).leader())?.value;

    beforeAll(async () => {
      [cluster, receiver] = await Promise.all([EtcdCluster.start({ size: 3 }), TraceReceiver.start({ onSpans: (received) => spans.push(...received) })]);
      client = await createEtcdClient({ endpoints: cluster.endpoints });
      session = await Session.create(client, { ttlSeconds: 10 });
      const env = {
        ETCD_ENDPOINTS: cluster.endpoints.join(','),
        ETCD_SESSION_TTL_SECONDS: '2',
        BILLING_HOST: '127.0.0.1',
        BILLING_LEADER_INTERVAL_MS: '200',
        CONFIG_NAMESPACE: NAMESPACE,
        SHUTDOWN_DRAIN_MS: '0',
        LOG_LEVEL: 'info',
        METRICS_HOST: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      };
      replicas.push(Replica.start(workspace, `${NAME}-1`, env));
      await replicas[0]!.waitForLog('ready', (e) => e['msg'] === `${NAME} ready`); // the first one leads
      replicas.push(Replica.start(workspace, `${NAME}-2`, env));
      await replicas[1]!.waitForLog('ready', (e) => e['msg'] === `${NAME} ready`);

      installEtcdBalancing({ client });
      const protos = join(workspace, 'protos');
      const definition = loadSync(join(protos, NAME, 'v1', `${NAME}.proto`), { ...PROTO_LOADER_OPTIONS, includeDirs: [protos] });
      const Ctor = makeGenericClientConstructor(definition['billing.v1.BillingService'] as ServiceDefinition, 'BillingService');
      rpc = new Ctor(`etcd:///${NAME}`, credentials.createInsecure(), etcdChannelOptions({ policy: 'round_robin' })) as unknown as BillingRpc;
    }, 120_000);

    afterAll(async () => {
      rpc?.close();
      await Promise.all(replicas.map((r) => r.kill()));
      await session?.close();
      client?.close();
      await receiver?.close();
      await cluster?.close();
    });

    it('answers through etcd:///billing from both replicas, which report health and metrics', async () => {
      const seen = await waitFor('answers from both replicas', async () => {
        const instances = new Set<string>();
        for (let i = 0; i < 8; i++) instances.add((await info()).instance);
        return instances.size === 2 ? [...instances].sort() : undefined;
      });
      expect(seen).toEqual([`${NAME}-1`, `${NAME}-2`]);
      expect(await info()).toMatchObject({ message: expect.stringMatching(/^billing billing-[12] runs the built-in default config$/), version: '0.1.0', zone: 'local', configVersion: 0 });

      const healthDef = loadSync(join(workspace, 'protos/grpc/health/v1/health.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [join(workspace, 'protos')] });
      const Health = makeGenericClientConstructor(healthDef['grpc.health.v1.Health'] as ServiceDefinition, 'Health');
      for (const replica of replicas) {
        const ready = await replica.waitForLog('ready', (e) => e['msg'] === `${NAME} ready`);
        const health = new Health(String(ready['address']), credentials.createInsecure()) as unknown as HealthRpc;
        try {
          const reply = await new Promise((resolve, reject) => health.check({ service: 'billing.v1.BillingService' }, deadline(), (e, r) => (e ? reject(e) : resolve(r))));
          expect(reply).toEqual({ status: 'SERVING' });
        } finally {
          health.close();
        }
        const metrics = await (await fetch(String(ready['metrics']), { signal: AbortSignal.timeout(5000) })).text();
        expect(metrics).toContain('etcd_patterns_discovery_registrations_total{');
        const http = await fetch(`${String(ready['url'])}/readyz`, { signal: AbortSignal.timeout(5000) });
        expect(http.status).toBe(200);
      }
    });

    it('applies a published config on every replica without a restart', async () => {
      const pids = replicas.map((r) => r.child.pid);
      await publish({ client, namespace: NAMESPACE, document: { message: 'published to {instance}' }, author: 'e2e', message: 'e2e change' });
      const changed = await waitFor('both replicas on config version 1', async () => {
        const answers = new Map<string, BillingInfo>();
        for (let i = 0; i < 8; i++) {
          const reply = await info();
          answers.set(reply.instance, reply);
        }
        return [...answers.values()].filter((a) => a.configVersion === 1).length === 2 ? answers : undefined;
      });
      expect(changed.get(`${NAME}-1`)?.message).toBe(`published to ${NAME}-1`);
      expect(changed.get(`${NAME}-2`)?.message).toBe(`published to ${NAME}-2`);
      expect(replicas.map((r) => r.running)).toEqual([true, true]);
      expect(replicas.map((r) => r.child.pid)).toEqual(pids);
    });

    it('exports the server span of a call, continuing the caller\'s trace', async () => {
      const traceId = randomBytes(16).toString('hex');
      const parentSpanId = randomBytes(8).toString('hex');
      const metadata = new Metadata();
      metadata.set('traceparent', `00-${traceId}-${parentSpanId}-01`);
      const reply = await info(metadata);
      const span = await waitFor('the server span in the collected trace', () => spans.find((s) => s.traceId === traceId && s.parentSpanId === parentSpanId));
      expect(span).toMatchObject({ service: NAME, kind: 2, name: expect.stringContaining('billing.v1.BillingService/GetBillingInfo') });
      expect(reply.instance).toMatch(/^billing-[12]$/);
      expect(spans.some((s) => s.service === NAME && s.name === 'discovery.register')).toBe(true);
    });

    it('keeps counter increments exact across replicas (lock + fencing)', async () => {
      const increment = (): Promise<{ value: number; fencingToken: number }> =>
        new Promise((resolve, reject) => rpc.incrementBillingCounter({ counter: 'e2e' }, deadline(), (error, reply) => (error ? reject(error) : resolve(reply!))));
      const values = (await Promise.all(Array.from({ length: 6 }, increment))).map((r) => r.value).sort((a, b) => a - b);
      expect(values).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('moves the leader task to the other replica when the leader is killed with SIGKILL', async () => {
      const first = await waitFor('a leader', leader);
      const record = async (): Promise<{ instance: string; fencingToken: number } | undefined> => {
        const value = await client.get(`/${NAME}/leader-task`).string();
        return value ? (JSON.parse(value) as { instance: string; fencingToken: number }) : undefined;
      };
      const before = await waitFor('a leader-task run by the leader', async () => {
        const r = await record();
        return r?.instance === first ? r : undefined;
      });
      const victim = replicas.find((r) => r.instance === first)!;
      const survivor = replicas.find((r) => r.instance !== first)!;
      await victim.kill();
      expect(await waitFor('the survivor leading', async () => ((await leader()) === survivor.instance ? true : undefined))).toBe(true);
      const after = await waitFor('a leader-task run by the survivor', async () => {
        const r = await record();
        return r?.instance === survivor.instance ? r : undefined;
      });
      expect(after.fencingToken).toBeGreaterThan(before.fencingToken);
      await survivor.waitForLog('elected', (e) => e['msg'] === 'elected: running the leader task');
      // The survivor still answers through etcd:///billing (the killed one's registration expired).
      expect(await waitFor('answers from the survivor only', async () => ((await info()).instance === survivor.instance ? true : undefined))).toBe(true);
    });

    it('shuts down gracefully on SIGTERM: deregisters first, then stops', async () => {
      const survivor = replicas.find((r) => r.running)!;
      const ended = await survivor.stop();
      expect(ended.signal === 'SIGTERM' || ended.code === 0).toBe(true); // Nest re-raises the signal after its hooks
      const messages = survivor.logs.map((l) => l['msg']);
      expect(messages.indexOf('shutting down: deregistering')).toBeGreaterThan(-1);
      expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('shutting down: deregistering'));
      // Its own registration is gone at once (deregistered, not expired); the replica killed in
      // the previous test may still be listed until etcd expires its lease (TTL 2 s, later under load).
      const listed = (await listInstances({ client, service: NAME })).instances;
      expect(listed.filter((i) => i.metadata['instance'] === survivor.instance)).toEqual([]);
      expect(await waitFor('no billing instance left', async () => ((await listInstances({ client, service: NAME })).instances.length === 0 ? true : undefined))).toBe(true);
    });
  });
});
