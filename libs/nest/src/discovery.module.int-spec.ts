import 'reflect-metadata';
import { listInstances } from '@etcd-patterns/discovery';
import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { Test } from '@nestjs/testing';
import { DiscoveryHealthIndicator, DiscoveryModule, DiscoveryRegistrar } from './discovery.module';
import { EtcdModule } from './etcd.module';

jest.setTimeout(60_000);

describe('Nest DiscoveryModule (real etcd)', () => {
  let cluster: EtcdCluster;
  let observer: Etcd3;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    observer = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    observer?.close();
    await cluster?.close();
  });

  it('registers after start, reports health, deregisters on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EtcdModule.forRoot({ client: { endpoints: cluster.endpoints }, sessionTtlSeconds: 30 }),
        DiscoveryModule.forRoot({ service: 'nest-app', address: '127.0.0.1:7701', metadata: { version: '1.0.0' } }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const health = app.get(DiscoveryHealthIndicator);
    expect(health.check()).toEqual({ status: 'down', state: 'unregistered' });
    await app.get(DiscoveryRegistrar).register();
    expect(health.check()).toEqual({ status: 'up', state: 'registered' });
    expect((await listInstances({ client: observer, service: 'nest-app' })).instances).toHaveLength(1);

    await app.close();
    expect((await listInstances({ client: observer, service: 'nest-app' })).instances).toHaveLength(0);
  });

  it('fails start-up with a typed error when etcd is unreachable', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [EtcdModule.forRoot({ client: { endpoints: ['127.0.0.1:1'], connectTimeoutMs: 500 } })],
    });
    await expect(moduleRef.compile()).rejects.toMatchObject({ code: 'ETCD_UNAVAILABLE' });
  });
});
