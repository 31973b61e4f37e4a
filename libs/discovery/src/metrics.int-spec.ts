// The library's OpenTelemetry instruments, counted through a real in-process MeterProvider
// against a real 1-member etcd cluster.
import type { Attributes } from '@opentelemetry/api';
import { MetricsProbe } from '@etcd-patterns/metrics-probe';
import { createEtcdClient, SessionKeeper, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { METER_NAME, METER_VERSION } from './internal/metrics';
import type { Registration, RegistrationState } from './registration';
import { ServiceRegistry } from './service-registry';

jest.setTimeout(60_000);

/** Resolves once `registration` went through `recovering` and is `registered` again. */
function reregistered(registration: Registration): Promise<void> {
  const states: RegistrationState[] = [];
  return new Promise((resolve) => {
    const off = registration.onStateChange((state) => {
      states.push(state);
      if (state === 'registered' && states.includes('recovering')) {
        off();
        resolve();
      }
    });
  });
}

describe('discovery metrics (1-member cluster, in-process MeterProvider)', () => {
  const probe = new MetricsProbe(METER_NAME, METER_VERSION);
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let keeper: SessionKeeper;
  let registry: ServiceRegistry;

  /** Sum of the counter `name` over points whose attributes include `match`. */
  const total = (name: string, match: Attributes): Promise<number> => probe.total(name, match);

  beforeAll(async () => {
    probe.install();
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    keeper = SessionKeeper.start(etcd, { ttlSeconds: 10 });
    registry = new ServiceRegistry({ session: keeper });
  });
  afterAll(async () => {
    await registry?.close();
    await keeper?.close();
    etcd?.close();
    await cluster?.close();
    await probe.uninstall();
  });

  it('counts a registration once, by service', async () => {
    await registry.register({ service: 'metered', address: '127.0.0.1:7501' });
    await registry.register({ service: 'metered', address: '127.0.0.1:7502' });
    await registry.register({ service: 'other', address: '127.0.0.1:7503' });
    expect(await total('etcd_patterns.discovery.registrations', { 'discovery.service': 'metered' })).toBe(2);
    expect(await total('etcd_patterns.discovery.registrations', { 'discovery.service': 'other' })).toBe(1);
    expect(await total('etcd_patterns.discovery.reregistrations', {})).toBe(0);
  });

  it('counts a re-registration when its key is deleted by hand', async () => {
    const reg = registry.registrations.find((r) => r.address === '127.0.0.1:7501')!;
    const back = reregistered(reg);
    await etcdctl(cluster.endpoints, ['del', reg.key]);
    await back;
    expect(await total('etcd_patterns.discovery.reregistrations', { 'discovery.service': 'metered', reason: 'key-deleted' })).toBe(1);
    expect(await total('etcd_patterns.discovery.registrations', { 'discovery.service': 'metered' })).toBe(2);
  });

  it('counts a re-registration of every instance on the next lease when the lease is lost', async () => {
    const all = registry.registrations;
    const back = Promise.all(all.map(reregistered));
    await etcd.leaseClient.leaseRevoke({ ID: keeper.current!.leaseId });
    await back;
    expect(await total('etcd_patterns.discovery.reregistrations', { 'discovery.service': 'metered', reason: 'new-lease' })).toBe(2);
    expect(await total('etcd_patterns.discovery.reregistrations', { 'discovery.service': 'other', reason: 'new-lease' })).toBe(1);
  });
});
