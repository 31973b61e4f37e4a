import { logger, type Tree } from '@nx/devkit';
import { isGeneratorError, type GeneratorErrorCode } from '../../internal/generator-error';
import { repoTree, snapshot } from '../../testing/repo-tree';
import { serviceGenerator } from '../service/generator';
import { clientGenerator } from './generator';
import type { ClientGeneratorOptions } from './schema';

const read = (tree: Tree, file: string): string => tree.read(file, 'utf-8') ?? '';

async function refusal(tree: Tree, options: ClientGeneratorOptions): Promise<{ code: GeneratorErrorCode; message: string }> {
  const before = snapshot(tree);
  let thrown: unknown;
  try {
    await clientGenerator(tree, options);
  } catch (error) {
    thrown = error;
  }
  if (!isGeneratorError(thrown)) throw new Error(`expected a GeneratorError, got ${String(thrown)}`);
  expect(snapshot(tree)).toEqual(before);
  return { code: thrown.code, message: thrown.message };
}

describe('client generator', () => {
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'warn').mockImplementation((message: string) => void warnings.push(message));
  });
  afterEach(() => jest.restoreAllMocks());

  it('adds a typed etcd:///greeter client to the gateway and provides it in its module', async () => {
    const tree = repoTree();
    const moduleBefore = read(tree, 'apps/gateway/src/gateway.module.ts');
    await clientGenerator(tree, { name: 'greeter', in: 'gateway' });
    const client = read(tree, 'apps/gateway/src/greeter-client.ts');
    expect(client).toContain('export class GreeterClient implements OnApplicationShutdown');
    expect(client).toContain("url: settings.target ?? 'etcd:///greeter'");
    expect(client).toContain('sayHello: Unary<SayHelloRequest, SayHelloResponse__Output>;');
    expect(client).toContain('sayHello(request: SayHelloRequest): Promise<SayHelloResponse__Output> {');
    expect(client).toContain('GREETER_PACKAGE,\n  GREETER_PROTO,\n  GREETER_SERVICE,');
    expect(client).toContain('installEtcdBalancing({ client, onError:'); // the gateway has a LOGGER token
    expect(client).toContain('@Inject(LOGGER) log: Logger');
    expect(client).not.toMatch(/<%|%>|TODO/);
    const module = read(tree, 'apps/gateway/src/gateway.module.ts');
    expect(module).toContain("\nimport { GreeterClient } from './greeter-client';\n");
    expect(module).toMatch(/\n(\s+)GatewayLifecycle,\n\1GreeterClient,\n/);
    // Only the import and the provider were added.
    expect(module.replace("\nimport { GreeterClient } from './greeter-client';", '').replace(/\n\s+GreeterClient,/, '')).toBe(moduleBefore);
  });

  it('writes one method per unary rpc (worker: SubmitJob and GetJob)', async () => {
    const tree = repoTree();
    await clientGenerator(tree, { name: 'worker', in: 'greeter' });
    const client = read(tree, 'apps/greeter/src/worker-client.ts');
    expect(client).toContain('submitJob(request: SubmitJobRequest): Promise<Job__Output> {');
    expect(client).toContain('getJob(request: GetJobRequest): Promise<Job__Output> {');
    expect(client.match(/type Job__Output,/g)).toHaveLength(1);
    expect(read(tree, 'apps/greeter/src/greeter.module.ts')).toContain('WorkerClient,');
  });

  it('calls a service made by the service generator, in one of its own apps', async () => {
    const tree = repoTree();
    await serviceGenerator(tree, { name: 'invoices', lock: true, skipProtoGen: true, skipInstall: true });
    await serviceGenerator(tree, { name: 'payments', skipProtoGen: true, skipInstall: true });
    await clientGenerator(tree, { name: 'invoices', in: 'payments' });
    const client = read(tree, 'apps/payments/src/invoices-client.ts');
    expect(client).toContain('getInvoicesInfo(request: GetInvoicesInfoRequest): Promise<GetInvoicesInfoResponse__Output>');
    expect(client).toContain('incrementInvoicesCounter(request: IncrementInvoicesCounterRequest): Promise<IncrementInvoicesCounterResponse__Output>');
    expect(read(tree, 'apps/payments/src/payments.module.ts')).toMatch(/\n\s+PaymentsLifecycle,\n\s+InvoicesClient,\n/);
  });

  it('without a LOGGER token, the client logs nothing itself', async () => {
    const tree = repoTree();
    tree.write('apps/gateway/src/tokens.ts', 'export const GATEWAY_ENV = Symbol();\n');
    await clientGenerator(tree, { name: 'greeter', in: 'gateway' });
    const client = read(tree, 'apps/gateway/src/greeter-client.ts');
    expect(client).toContain('installEtcdBalancing({ client });');
    expect(client).not.toContain('LOGGER');
  });

  it('leaves streaming rpcs out, and says so', async () => {
    const tree = repoTree();
    tree.write('protos/greeter/v1/greeter.proto', `${read(tree, 'protos/greeter/v1/greeter.proto').replace('rpc SayHello(SayHelloRequest) returns (SayHelloResponse);', 'rpc SayHello(SayHelloRequest) returns (SayHelloResponse);\n  rpc Follow(SayHelloRequest) returns (stream SayHelloResponse) { option deprecated = true; }')}`);
    await clientGenerator(tree, { name: 'greeter', in: 'gateway' });
    expect(read(tree, 'apps/gateway/src/greeter-client.ts')).toContain('(streaming ones left out: Follow)');
    expect(read(tree, 'apps/gateway/src/greeter-client.ts')).not.toContain('follow(');
    expect(warnings).toEqual(['greeter client: streaming rpcs left out: Follow']);
  });

  it('writes the client but leaves the module alone when it has no single providers array, and says how', async () => {
    const tree = repoTree();
    tree.write('apps/gateway/src/gateway.module.ts', "import { Module } from '@nestjs/common';\n@Module({})\nexport class GatewayModule {}\n");
    await clientGenerator(tree, { name: 'greeter', in: 'gateway' });
    expect(tree.exists('apps/gateway/src/greeter-client.ts')).toBe(true);
    expect(read(tree, 'apps/gateway/src/gateway.module.ts')).not.toContain('GreeterClient');
    expect(warnings).toEqual([expect.stringContaining("add GreeterClient to the providers of the app's Nest module")]);
  });

  describe('refusals (nothing is written)', () => {
    it('an app that does not exist', async () => {
      expect(await refusal(repoTree(), { name: 'greeter', in: 'nope' })).toEqual({ code: 'APP_NOT_FOUND', message: 'no app apps/nope (apps/nope/project.json); apps: gateway, greeter' });
    });

    it('a service without a proto', async () => {
      expect(await refusal(repoTree(), { name: 'billing', in: 'gateway' })).toEqual({
        code: 'PROTO_NOT_FOUND',
        message: 'no service proto protos/billing/v1/billing.proto: generate the service first (npx nx g @etcd-patterns/nx-plugin:service billing) or add its proto',
      });
    });

    it('a proto whose constants or types protos/index.ts does not export', async () => {
      const tree = repoTree();
      tree.write('protos/billing/v1/billing.proto', 'syntax = "proto3";\npackage billing.v1;\nservice BillingService { rpc Get(GetRequest) returns (GetResponse); }\n');
      expect(await refusal(tree, { name: 'billing', in: 'gateway' })).toMatchObject({
        code: 'UNSUPPORTED_PROTO',
        message: expect.stringContaining('protos/index.ts does not export BILLING_PROTO, BILLING_PACKAGE, BILLING_SERVICE, type GetRequest, type GetResponse__Output'),
      });
    });

    it('a proto with messages of another package, several services, or only streams', async () => {
      for (const [body, message] of [
        ['service S { rpc A(google.protobuf.Empty) returns (R); }', /messages from other packages \(google.protobuf.Empty\)/],
        ['service S { rpc A(Q) returns (R); }\nservice T { rpc B(Q) returns (R); }', /declares 2 services/],
        ['service S { rpc A(stream Q) returns (R); }', /has only streaming rpcs/],
        ['message Q {}', /declares 0 services/],
      ] as const) {
        const tree = repoTree();
        tree.write('protos/greeter/v1/greeter.proto', `syntax = "proto3";\npackage greeter.v1;\n${body}\n`);
        expect(await refusal(tree, { name: 'greeter', in: 'gateway' })).toMatchObject({ code: 'UNSUPPORTED_PROTO', message: expect.stringMatching(message) });
      }
    });

    it('an app without a Nest module', async () => {
      const tree = repoTree();
      tree.write('apps/cli/project.json', '{ "name": "cli" }');
      tree.write('apps/cli/src/main.ts', 'export {};\n');
      expect(await refusal(tree, { name: 'greeter', in: 'cli' })).toMatchObject({ code: 'UNSUPPORTED_WORKSPACE', message: expect.stringContaining('apps/cli has no Nest module') });
    });

    it('a client that exists already (running it twice)', async () => {
      const tree = repoTree();
      await clientGenerator(tree, { name: 'greeter', in: 'gateway' });
      expect(await refusal(tree, { name: 'greeter', in: 'gateway' })).toEqual({ code: 'ALREADY_EXISTS', message: 'apps/gateway/src/greeter-client.ts exists already; nothing was written' });
    });

    it.each([
      [{ name: 'Greeter', in: 'gateway' }, /^name "Greeter" must be a kebab-case name/],
      [{ name: 'greeter', in: '../gateway' }, /^--in "..\/gateway" must be a kebab-case name/],
      [{ name: '', in: 'gateway' }, /^name "" must be/],
    ])('invalid names: %j', async (options, message) => {
      expect(await refusal(repoTree(), options)).toMatchObject({ code: 'INVALID_NAME', message: expect.stringMatching(message) });
    });
  });
});
