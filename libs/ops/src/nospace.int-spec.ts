import { createEtcdClient, isEtcdPatternsError, SessionKeeper, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { ServiceRegistry } from '@etcd-patterns/discovery';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import { alarms, disarm } from './alarms';
import { ClusterOps } from './cluster-ops';
import { clusterHealth } from './health';
import { compact, defragment } from './maintenance';
import { members } from './members';

jest.setTimeout(120_000);

describe('a full cluster (NOSPACE alarm)', () => {
  let cluster: EtcdCluster;
  let ops: ClusterOps;
  let client: Etcd3;
  let keeper: SessionKeeper;
  let registry: ServiceRegistry;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, extraArgs: ['--quota-backend-bytes=4194304'] });
    ops = await ClusterOps.connect({ endpoints: cluster.endpoints });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    keeper = SessionKeeper.start(client, { ttlSeconds: 3 });
    registry = new ServiceRegistry({ session: keeper });
  });
  afterAll(async () => {
    await registry?.close();
    await keeper?.close();
    client?.close();
    await ops?.close();
    await cluster?.close();
  });

  it('gives writers ETCD_NOSPACE, keeps existing leases alive, and compact + defragment + disarm bring writes back', async () => {
    const registration = await registry.register({ service: 'billing', address: '127.0.0.1:7001' });
    const chunk = 'n'.repeat(256 * 1024);
    let failure: unknown;
    for (let i = 0; i < 200 && !failure; i++) {
      await client.put('/fill/blob').value(`${i}${chunk}`).exec().catch((e: unknown) => (failure = toEtcdError(e)));
    }
    expect(failure).toMatchObject({ code: 'ETCD_NOSPACE', retryable: false });
    expect(await alarms(ops)).toEqual(expect.arrayContaining([expect.objectContaining({ alarm: 'NOSPACE' })]));
    expect((await clusterHealth(ops)).some((h) => !h.healthy && h.alarms.includes('NOSPACE'))).toBe(true);

    // Reads and keepalives go on: the registration outlives several TTLs.
    await sleep(7000);
    expect(registration.state).toBe('registered');
    expect(await client.get('/services/billing/127.0.0.1:7001').exists()).toBe(true);
    const stillFull = await client.put('/fill/other').value('x').exec().catch((e: unknown) => toEtcdError(e));
    expect(isEtcdPatternsError(stillFull, 'ETCD_NOSPACE')).toBe(true);

    // The operator's way out, in etcd's documented order.
    await compact(ops, 'current');
    for (const m of await members(ops)) await defragment(ops, m.name);
    expect((await disarm(ops)).length).toBeGreaterThan(0);
    expect(await alarms(ops)).toEqual([]);
    await client.put('/fill/other').value('writable again');
    expect(await client.get('/fill/other').string()).toBe('writable again');
    expect((await clusterHealth(ops)).every((h) => h.healthy)).toBe(true);
    expect(registration.state).toBe('registered');
  });
});
