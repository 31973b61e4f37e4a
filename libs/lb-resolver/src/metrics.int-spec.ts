// The library's OpenTelemetry instruments, counted through a real in-process MeterProvider:
// real grpc-js servers registered in a real 1-member etcd cluster, called through etcd:///.
import type { Attributes } from '@opentelemetry/api';
import { MetricsProbe } from '@etcd-patterns/metrics-probe';
import { ServiceRegistry } from '@etcd-patterns/discovery';
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import * as grpc from '@grpc/grpc-js';
import { installEtcdBalancing } from './install';
import { METER_NAME, METER_VERSION } from './internal/metrics';
import { P2C_POLICY } from './p2c-balancer';
import { etcdChannelOptions, type BalancingPolicy } from './service-config';
import { callEcho, EchoClient, EchoServer } from './testing/echo-service';
import { WEIGHTED_ROUND_ROBIN_POLICY } from './weighted-round-robin-balancer';

jest.setTimeout(60_000);

describe('lb-resolver metrics (1-member cluster, real grpc-js servers, in-process MeterProvider)', () => {
  const probe = new MetricsProbe(METER_NAME, METER_VERSION);
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let session: Session;
  let registry: ServiceRegistry;
  const servers: EchoServer[] = [];
  const clients: grpc.Client[] = [];

  /** Picks by `server.address`, over points whose attributes include `match`. */
  const picks = async (match: Attributes): Promise<Record<string, number>> => {
    const byAddress: Record<string, number> = {};
    for (const p of await probe.points('etcd_patterns.lb_resolver.picks', match)) {
      const address = String(p.attributes['server.address']);
      byAddress[address] = (byAddress[address] ?? 0) + (p.value as number);
    }
    return byAddress;
  };

  const channel = (policy: BalancingPolicy): grpc.Client => {
    const client = new EchoClient('etcd:///metered', grpc.credentials.createInsecure(), etcdChannelOptions({ policy }));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    probe.install();
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    session = await Session.create(etcd, { ttlSeconds: 30 });
    registry = new ServiceRegistry({ session });
    installEtcdBalancing({ client: etcd });
    for (const name of ['a', 'b']) servers.push(await EchoServer.start({ name, service: 'metered', registry }));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const server of servers) server.forceStop();
    await registry?.close();
    await session?.close();
    etcd?.close();
    await cluster?.close();
    await probe.uninstall();
  });

  it.each([
    ['p2c', P2C_POLICY],
    ['weighted_round_robin', WEIGHTED_ROUND_ROBIN_POLICY],
  ] as const)('counts every %s pick per instance address, as the instances count the calls they answered', async (policy, policyName) => {
    const client = channel(policy);
    for (const server of servers) server.calls = 0;
    for (let i = 0; i < 20; i++) await callEcho(client);
    const byAddress = await picks({ 'discovery.service': 'metered', 'lb.policy': policyName });
    expect(byAddress).toEqual(Object.fromEntries(servers.filter((s) => s.calls > 0).map((s) => [s.address, s.calls])));
    expect(Object.values(byAddress).reduce((a, b) => a + b, 0)).toBe(20);
  });

  it("leaves grpc-js's own policies uncounted", async () => {
    const before = await picks({});
    const client = channel('round_robin');
    for (let i = 0; i < 5; i++) await callEcho(client);
    expect(await picks({})).toEqual(before);
  });
});
