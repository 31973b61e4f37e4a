import { logger, type Tree } from '@nx/devkit';
import { parse } from 'yaml';
import { isGeneratorError, type GeneratorErrorCode } from '../../internal/generator-error';
import { JS_RESERVED_WORDS } from '../../internal/service-names';
import { REPO_FILES, repoTree, snapshot } from '../../testing/repo-tree';
import { HEALTH_PROTO_FILE, serviceGenerator } from './generator';
import type { ServiceGeneratorOptions } from './schema';

jest.mock('node:child_process', () => ({ ...jest.requireActual<object>('node:child_process'), execFileSync: jest.fn() }));
const { execFileSync } = jest.requireMock<{ execFileSync: jest.Mock }>('node:child_process');

interface ComposeService {
  build?: { dockerfile?: string };
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  expose?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = (tree: Tree): Record<string, ComposeService> =>
  (parse(tree.read('docker-compose.yml', 'utf-8')!, { merge: true }) as { services: Record<string, ComposeService> }).services;
const read = (tree: Tree, file: string): string => tree.read(file, 'utf-8') ?? '';

/** Runs the generator expecting a refusal; returns its code and message, and checks nothing was written. */
async function refusal(tree: Tree, options: ServiceGeneratorOptions): Promise<{ code: GeneratorErrorCode; message: string }> {
  const before = snapshot(tree);
  let thrown: unknown;
  try {
    await serviceGenerator(tree, options);
  } catch (error) {
    thrown = error;
  }
  if (!isGeneratorError(thrown)) throw new Error(`expected a GeneratorError, got ${String(thrown)}`);
  expect(snapshot(tree)).toEqual(before);
  return { code: thrown.code, message: thrown.message };
}

describe('service generator', () => {
  let warnings: string[];
  beforeEach(() => {
    execFileSync.mockReset();
    warnings = [];
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'warn').mockImplementation((message: string) => void warnings.push(message));
  });
  afterEach(() => jest.restoreAllMocks());

  it('creates the proto, its exports, the app, tests, README, Dockerfile, compose and Prometheus entries', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', skipProtoGen: true, skipInstall: true });

    const proto = read(tree, 'protos/invoices/v1/invoices.proto');
    expect(proto).toContain('package invoices.v1;');
    expect(proto).toContain('rpc GetInvoicesInfo(GetInvoicesInfoRequest) returns (GetInvoicesInfoResponse);');
    expect(proto).not.toContain('Counter');
    expect(read(tree, HEALTH_PROTO_FILE)).toContain('package grpc.health.v1;');

    const index = read(tree, 'protos/index.ts');
    expect(index).toContain("export const INVOICES_PROTO = join(PROTO_ROOT, 'invoices/v1/invoices.proto');");
    expect(index).toContain("export const INVOICES_PACKAGE = 'invoices.v1';\nexport const INVOICES_SERVICE = 'InvoicesService';");
    expect(index).toContain("export type { GetInvoicesInfoResponse, GetInvoicesInfoResponse__Output } from './generated/invoices/v1/GetInvoicesInfoResponse';");
    expect(index).toContain("export type { InvoicesServiceClient, InvoicesServiceHandlers } from './generated/invoices/v1/InvoicesService';");
    expect(index).toContain("export const HEALTH_PACKAGE = 'grpc.health.v1';");
    expect(index.startsWith(read(repoTree(['protos/index.ts']), 'protos/index.ts').split('\nexport const GREETER_PROTO')[0]!)).toBe(true);

    const app = 'apps/invoices';
    for (const file of [
      'project.json', 'package.json', 'tsconfig.json', 'jest.config.js', 'Dockerfile', 'README.md',
      'src/main.ts', 'src/bootstrap.ts', 'src/grpc-options.ts', 'src/invoices.module.ts', 'src/invoices.controller.ts', 'src/invoices-config.ts',
      'src/health.controller.ts', 'src/env.ts', 'src/tokens.ts',
      'src/env.spec.ts', 'src/invoices-config.spec.ts', 'src/invoices.controller.spec.ts', 'src/health.controller.spec.ts', 'src/compose.spec.ts', 'src/invoices.int-spec.ts',
    ]) {
      expect({ file, exists: tree.exists(`${app}/${file}`) }).toEqual({ file, exists: true });
    }
    for (const file of ['src/invoices-counters.ts', 'src/invoices-leader.ts', 'src/http.controller.ts']) expect(tree.exists(`${app}/${file}`)).toBe(false);
    expect(JSON.parse(read(tree, `${app}/project.json`))).toMatchObject({ name: 'invoices', projectType: 'application', tags: ['type:app', 'framework:nest'] });
    const module = read(tree, `${app}/src/invoices.module.ts`);
    expect(module).toContain("export const INVOICES_SERVICE_NAME = 'invoices';");
    expect(module).toMatch(/metadata: \{ version: env\.INVOICES_VERSION, zone: env\.INVOICES_ZONE, instance: env\.INSTANCE_NAME \}/);
    expect(module).toContain('storeSchema: true');
    expect(module).toContain('reportAs: env.INSTANCE_NAME');
    expect(module).not.toContain('LockModule');
    expect(read(tree, `${app}/src/main.ts`)).toContain("'invoices ready'");
    expect(read(tree, `${app}/Dockerfile`)).toContain('"apps/invoices/src/main.ts"');
    const all = [...snapshot(tree)].filter(([file]) => file.startsWith(`${app}/`) || file.startsWith('protos/invoices'));
    for (const [file, text] of all) {
      expect({ file, stub: /\bTODO\b|FIXME|<%|%>/.test(text) }).toEqual({ file, stub: false });
    }

    const readme = read(tree, `${app}/README.md`);
    expect(readme).toContain('npx epctl access apply deploy/access.yaml --dry-run');
    expect(readme).toContain('least-privilege role and user `invoices` to `deploy/access.yaml`');
    expect(readme).toContain('libs/telemetry/README.md');
    expect(readme).not.toContain('```ts'); // tools/readme compiles every ts block of apps/*/README.md

    const service = compose(tree)['invoices']!;
    expect(service).toMatchObject({ build: { dockerfile: 'apps/invoices/Dockerfile' }, deploy: { replicas: 2 }, expose: ['9464'] });
    expect(Object.keys(service.environment!)).toEqual([
      'ETCD_ENDPOINTS', 'ETCD_SESSION_TTL_SECONDS', 'INSTANCE_NAME', 'INVOICES_HOST', 'INVOICES_PORT', 'INVOICES_ADVERTISE_HOST', 'INVOICES_VERSION', 'INVOICES_ZONE',
      'CONFIG_NAMESPACE', 'SHUTDOWN_DRAIN_MS', 'LOG_LEVEL', 'OTEL_SDK_DISABLED', 'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL',
      'METRICS_HOST', 'METRICS_PORT',
    ]);
    expect(service.environment).toMatchObject({ INVOICES_PORT: '50053', CONFIG_NAMESPACE: 'dev/invoices', METRICS_PORT: '9464', OTEL_SERVICE_NAME: 'invoices' });
    expect(service.healthcheck?.test?.join(' ')).toContain("connect(50053,'127.0.0.1'");
    expect(service.depends_on?.['etcd-1']).toEqual({ condition: 'service_healthy' });
    // Everything that was there stays byte for byte.
    const original = read(repoTree(['docker-compose.yml']), 'docker-compose.yml');
    const services = original.indexOf('\nvolumes:');
    expect(read(tree, 'docker-compose.yml').startsWith(original.slice(0, services))).toBe(true);
    expect(read(tree, 'docker-compose.yml').endsWith(original.slice(services))).toBe(true);

    const prometheus = parse(read(tree, 'deploy/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; dns_sd_configs?: unknown[] }> };
    expect(prometheus.scrape_configs.find((j) => j.job_name === 'invoices')).toEqual({
      job_name: 'invoices',
      dns_sd_configs: [{ names: ['invoices'], type: 'A', port: 9464, refresh_interval: '10s' }],
    });
    const access = parse(read(tree, 'deploy/access.yaml')) as { roles: Record<string, unknown>; users: Record<string, unknown> };
    expect(access.roles['invoices']).toEqual({ read: ['/services/'], readwrite: ['/services/invoices/'], config: ['dev/invoices'] });
    expect(access.users['invoices']).toEqual({ roles: ['invoices'], passwordFile: '/run/secrets/etcd-invoices-password' });
    expect(access.roles['greeter']).toBeDefined();
    expect(read(tree, 'tools/demo/src/app-process.ts')).toMatch(/^export type AppName = .*\| 'invoices';$/m);
    expect(readme).toContain("the\ngenerator added `'invoices'` to its `AppName` list");
  });

  it('--leaderTask: a runAsLeader task with fenced writes, its interval variable, LockModule', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', leaderTask: true, skipProtoGen: true, skipInstall: true });
    const leader = read(tree, 'apps/invoices/src/invoices-leader.ts');
    expect(leader).toContain("export const LEADER_ELECTION = '/elections/invoices-leader';");
    expect(leader).toContain('this.locks.runAsLeader(');
    expect(leader).toContain('leadership.fencedTxn(');
    const module = read(tree, 'apps/invoices/src/invoices.module.ts');
    expect(module).toContain('LockModule.forRoot({ sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS })');
    expect(module).toContain('InvoicesLeaderTask,');
    expect(read(tree, 'apps/invoices/src/env.ts')).toContain('INVOICES_LEADER_INTERVAL_MS:');
    expect(compose(tree)['invoices']!.environment).toMatchObject({ INVOICES_LEADER_INTERVAL_MS: '10000' });
    expect(read(tree, 'apps/invoices/README.md')).toContain('campaign in `/elections/invoices-leader/`');
    expect(read(tree, 'apps/invoices/src/invoices.int-spec.ts')).toContain('runs the leader task');
    expect(tree.exists('apps/invoices/src/invoices-counters.ts')).toBe(false);
  });

  it('--lock --leaderTask: the etcd role also gets its lock prefix, its election and its own keys', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', lock: true, leaderTask: true, skipProtoGen: true, skipInstall: true });
    const access = parse(read(tree, 'deploy/access.yaml')) as { roles: Record<string, { readwrite: string[] }> };
    expect(access.roles['invoices']!.readwrite).toEqual(['/services/invoices/', '/locks/invoices/', '/elections/invoices-leader/', '/invoices/']);
  });

  it('--lock: an Increment rpc behind a Mutex with a fenced write, exported types, the timeout variable', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', lock: true, skipProtoGen: true, skipInstall: true });
    expect(read(tree, 'protos/invoices/v1/invoices.proto')).toContain('rpc IncrementInvoicesCounter(IncrementInvoicesCounterRequest) returns (IncrementInvoicesCounterResponse);');
    expect(read(tree, 'protos/index.ts')).toContain('export type { IncrementInvoicesCounterResponse, IncrementInvoicesCounterResponse__Output }');
    const counters = read(tree, 'apps/invoices/src/invoices-counters.ts');
    expect(counters).toContain('mutex.lock({ signal })');
    expect(counters).toContain('held.fencedTxn(');
    expect(counters).toContain("'/locks/invoices/counters/'");
    expect(read(tree, 'apps/invoices/src/invoices.controller.ts')).toContain("@GrpcMethod(INVOICES_SERVICE, 'IncrementInvoicesCounter')");
    expect(read(tree, 'apps/invoices/src/invoices.module.ts')).toContain('InvoicesCounters,');
    expect(compose(tree)['invoices']!.environment).toMatchObject({ INVOICES_LOCK_TIMEOUT_MS: '5000' });
    expect(read(tree, 'apps/invoices/README.md')).toContain('take its locks (`/locks/invoices/`)');
    expect(tree.exists('apps/invoices/src/invoices-leader.ts')).toBe(false);
  });

  it('--http: a hybrid app with the facade, its port variable, a readiness health check', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', http: true, skipProtoGen: true, skipInstall: true });
    expect(read(tree, 'apps/invoices/src/http.controller.ts')).toContain("@Get('invoices/info')");
    expect(read(tree, 'apps/invoices/src/http.controller.ts')).not.toContain('increment');
    const bootstrap = read(tree, 'apps/invoices/src/bootstrap.ts');
    expect(bootstrap).toContain('app.connectMicroservice<GrpcOptions>(');
    expect(bootstrap).toContain('await app.startAllMicroservices();');
    expect(read(tree, 'apps/invoices/src/invoices.module.ts')).toContain('controllers: [InvoicesController, HealthController, InvoicesHttpController]');
    const service = compose(tree)['invoices']!;
    expect(service.environment).toMatchObject({ INVOICES_HTTP_PORT: '8080' });
    expect(service.expose).toEqual(['8080', '9464']);
    expect(service.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:8080/readyz');
  });

  it('all flags together, a kebab-case name, and --replicas', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'order-history', leaderTask: true, lock: true, http: true, replicas: 3, skipProtoGen: true, skipInstall: true });
    expect(read(tree, 'protos/order-history/v1/order-history.proto')).toContain('package order_history.v1;\n\nservice OrderHistoryService {');
    expect(read(tree, 'protos/index.ts')).toContain("export const ORDER_HISTORY_PROTO = join(PROTO_ROOT, 'order-history/v1/order-history.proto');");
    expect(read(tree, 'protos/index.ts')).toContain("from './generated/order_history/v1/GetOrderHistoryInfoRequest';");
    expect(read(tree, 'apps/order-history/src/order-history.module.ts')).toContain('export class OrderHistoryModule');
    expect(read(tree, 'apps/order-history/src/http.controller.ts')).toContain("@Post('order-history/counters/:counter/increment')");
    expect(compose(tree)['order-history']).toMatchObject({ deploy: { replicas: 3 }, environment: { ORDER_HISTORY_HTTP_PORT: '8080', ORDER_HISTORY_LEADER_INTERVAL_MS: '10000', ORDER_HISTORY_LOCK_TIMEOUT_MS: '5000' } });
  });

  it('a second service reuses the health proto and takes the next gRPC port', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', skipProtoGen: true, skipInstall: true });
    const health = read(tree, HEALTH_PROTO_FILE);
    await serviceGenerator(tree, { name: 'payments', skipProtoGen: true, skipInstall: true });
    expect(read(tree, HEALTH_PROTO_FILE)).toBe(health);
    expect(read(tree, 'protos/index.ts').match(/export const HEALTH_PROTO =/g)).toHaveLength(1);
    expect(compose(tree)['payments']!.environment).toMatchObject({ PAYMENTS_PORT: '50054' });
    expect(read(tree, 'tools/demo/src/app-process.ts')).toMatch(/\| 'invoices' \| 'payments';$/m);
  });

  it('generates the proto types and installs afterwards, unless skipped', async () => {
    const callback = await serviceGenerator(repoTree(), { name: 'invoices' });
    expect(execFileSync).not.toHaveBeenCalled(); // nothing runs before Nx wrote the files
    callback();
    expect(execFileSync.mock.calls.map(([cmd, args]: [string, string[]]) => [cmd, ...args])).toEqual([
      ['bash', 'tools/scripts/gen-protos.sh'],
      ['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'],
    ]);
    execFileSync.mockReset();
    (await serviceGenerator(repoTree(), { name: 'invoices', skipProtoGen: true, skipInstall: true }))();
    expect(execFileSync).not.toHaveBeenCalled();
  });

  it('works without docker-compose.yml, Prometheus config or a demo AppName line (and says so)', async () => {
    const tree = repoTree(REPO_FILES.filter((f) => !['docker-compose.yml', 'deploy/prometheus.yml', 'tools/demo/src/app-process.ts'].includes(f)));
    (await serviceGenerator(tree, { name: 'invoices', skipProtoGen: true, skipInstall: true }))();
    expect(tree.exists('apps/invoices/src/invoices.module.ts')).toBe(true);
    expect(tree.exists('apps/invoices/src/compose.spec.ts')).toBe(false);
    expect(warnings).toEqual([
      'invoices: docker-compose.yml not found: no compose service added',
      expect.stringContaining('invoices: not added to the AppName type of tools/demo/src/app-process.ts'),
    ]);
    expect(tree.exists('docker-compose.yml')).toBe(false);
    expect(read(tree, 'apps/invoices/README.md')).toContain("once `'invoices'` is added to the `AppName` type");
  });

  describe('refusals (nothing is written)', () => {
    it.each([
      ['', /a name is required/],
      ['my service', /contains white space; use kebab-case, e.g. "my-service"/],
      ['Billing', /contains upper-case letters; use lower-case kebab-case, e.g. "billing"/],
      ['orderHistory', /contains upper-case letters.*"order-history"/],
      ['2fa', /starts with a digit/],
      ['order_history', /is not kebab-case/],
      ['order--history', /is not kebab-case/],
      ['billing-', /is not kebab-case/],
      ['-billing', /is not kebab-case/],
      ['v-2', /is not kebab-case/],
      ['a'.repeat(31), /longer than 30 characters/],
      ...['gateway', 'greeter', 'worker', 'console', 'epctl', 'backup', 'ops', 'grpc'].map((name): [string, RegExp] => [name, /is reserved/]),
      ...['class', 'delete', 'new', 'function', 'await', 'enum', 'yield'].map((name): [string, RegExp] => [name, /JavaScript reserved word/]),
    ])('%j: INVALID_NAME', async (name, message) => {
      expect(await refusal(repoTree(), { name })).toEqual({ code: 'INVALID_NAME', message: expect.stringMatching(message) });
    });

    it('refuses every JavaScript reserved word that is a valid kebab-case name', async () => {
      const candidates = [...JS_RESERVED_WORDS].filter((w) => /^[a-z]+$/.test(w));
      const tree = repoTree();
      for (const name of candidates) expect(await refusal(tree, { name })).toMatchObject({ code: 'INVALID_NAME' });
    });

    it('refuses an invalid --replicas', async () => {
      expect(await refusal(repoTree(), { name: 'invoices', replicas: 0 })).toMatchObject({ code: 'INVALID_OPTION' });
    });

    it('refuses to run again on a name it generated, naming what exists', async () => {
      const tree = repoTree();
      await serviceGenerator(tree, { name: 'invoices', lock: true, skipProtoGen: true, skipInstall: true });
      const { code, message } = await refusal(tree, { name: 'invoices', http: true });
      expect(code).toBe('ALREADY_EXISTS');
      expect(message).toMatch(/^service invoices already exists \(apps\/invoices exists; a project called invoices exists; protos\/invoices exists; docker-compose.yml already has a service invoices; deploy\/access.yaml already has a role or user invoices; protos\/index.ts already defines INVOICES_PROTO\); nothing was written/);
    });

    it.each<[string, (tree: Tree) => void]>([
      ['an apps/ folder', (tree) => tree.write('apps/invoices/notes.md', 'x')],
      ['a project of that name', (tree) => tree.write('libs/invoices-lib/project.json', JSON.stringify({ name: 'invoices', root: 'libs/invoices-lib' }))],
      ['a protos/ folder', (tree) => tree.write('protos/invoices/v1/invoices.proto', 'syntax = "proto3";')],
      ['a compose service', (tree) => tree.write('docker-compose.yml', `${read(tree, 'docker-compose.yml').replace('\nvolumes:', '\n  invoices:\n    image: x\n\nvolumes:')}`)],
      ['an etcd user in deploy/access.yaml', (tree) => tree.write('deploy/access.yaml', `${read(tree, 'deploy/access.yaml')}\n  invoices:\n    roles: [viewer]\n`)],
    ])('refuses a name taken by %s', async (_what, seed) => {
      const tree = repoTree();
      seed(tree);
      expect(await refusal(tree, { name: 'invoices' })).toMatchObject({ code: 'ALREADY_EXISTS' });
    });

    it('refuses a name that is an existing project (a library)', async () => {
      expect(await refusal(repoTree(), { name: 'etcd' })).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('a project called etcd exists') });
    });

    it('refuses outside this workspace: no protos/index.ts, or one without the lines it edits', async () => {
      expect(await refusal(repoTree(['docker-compose.yml']), { name: 'invoices' })).toMatchObject({ code: 'UNSUPPORTED_WORKSPACE', message: expect.stringContaining('protos/index.ts not found') });
      const tree = repoTree();
      tree.write('protos/index.ts', "export const X = 1;\n");
      expect(await refusal(tree, { name: 'invoices' })).toMatchObject({ code: 'UNSUPPORTED_WORKSPACE', message: expect.stringContaining('no `export const X_PROTO') });
    });

    it('refuses a docker-compose.yml whose services are not a block mapping', async () => {
      const tree = repoTree();
      tree.write('docker-compose.yml', 'services: { a: { image: x } }\n');
      expect(await refusal(tree, { name: 'invoices' })).toMatchObject({ code: 'UNSUPPORTED_WORKSPACE', message: expect.stringContaining('no block-style `services:`') });
    });
  });
});
